"""Every non-trivial read of the feedback app, shaped for its page or endpoint."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Greatest, TruncMonth
from django.utils import timezone

from accounts.models import Cohort, Membership, User
from core.periods import period_bounds
from core.relations import related_or_none
from feedback.models import (
    ContributionEntry,
    Dispute,
    FeedbackPolicy,
    PayoutStatement,
    PromotionRequest,
    RateCard,
    Report,
    ReportComment,
)
from feedback.permissions import reports_visible_to, triage_cohorts
from generations.models import Generation
from reviews.models import Publication


def policy_for(*, cohort: Cohort) -> FeedbackPolicy:
    return FeedbackPolicy.objects.filter(cohort=cohort).first() or FeedbackPolicy(cohort=cohort)


def rate_card_in_force(*, cohort: Cohort, at: datetime | None = None) -> RateCard | None:
    at = at or timezone.now()
    return (
        RateCard.objects.filter(cohort=cohort, published_at__lte=at)
        .prefetch_related("lines")
        .order_by("-version")
        .first()
    )


def reports_listed(*, user: User, board: bool) -> QuerySet[Report]:
    """The artist's own reports, or (``board``) every report of the shared boards they may read too."""
    visible = reports_visible_to(user=user)
    return visible if board else visible.filter(reporter=user)


def board(queryset: QuerySet[Report]) -> QuerySet[Report]:
    """Reports shaped for a board, newest first (pages are cut from a fixed order): reporter, cohort, counts of
    votes, comments and attachments."""
    return (
        queryset.select_related("cohort", "reporter", "duplicate_of", "rate_card")
        .annotate(vote_count=Count("votes", distinct=True), comment_count=Count("comments", distinct=True))
        .order_by("-created_at", "-id")
    )


def report_detail(queryset: QuerySet[Report]) -> QuerySet[Report]:
    """A report page's or answer's read: what it shows of its comments, files, ledger and clips, at once."""
    return (
        queryset.select_related("cohort", "reporter", "duplicate_of", "rate_card", "triaged_by")
        .prefetch_related(
            Prefetch("comments", queryset=ReportComment.objects.select_related("author")),
            "attachments",
            "entries",
            "generations",
        )
        .annotate(vote_count=Count("votes", distinct=True))
    )


# Words too common to say two reports are alike.
STOP_WORDS = frozenset({
    "the", "and", "for", "with", "when", "from", "this", "that", "are", "was",
    "not", "but", "all", "any", "can", "has", "have", "its", "into",
})  # fmt: skip


def title_words(text: str) -> list[str]:
    """The words of a title that carry its meaning: lower case, three letters or more, no stop words."""
    return [word for word in re.findall(r"\w{3,}", text.lower()) if word not in STOP_WORDS]


def _shares_word(word: str, words: list[str]) -> bool:
    """``word`` or a form of it ("crash", "crashes", "crashed": one shares the other's first four letters+)."""
    return any(other == word or (min(len(other), len(word)) >= 4 and other[:4] == word[:4]) for other in words)


def similar_reports(*, cohort: Cohort, text: str, exclude_id: int | None = None, limit: int = 5) -> list[Report]:
    """Likely duplicates in the cohort, by words in any order: trigram similarity on PostgreSQL; elsewhere
    (SQLite) the share of the typed words a report's title holds, at least half of them."""
    text = (text or "").strip()[:300]
    if len(text) < 4:
        return []
    reports = Report.objects.filter(cohort=cohort).exclude(pk=exclude_id)
    if connection.vendor == "postgresql":
        similarity = Greatest(TrigramWordSimilarity(text, "title"), TrigramWordSimilarity(text, "body"))
        return list(
            reports.annotate(similarity=similarity)
            .filter(similarity__gte=0.4)
            .order_by("-similarity", "-created_at")[:limit]
        )
    return similar_by_words(reports, text, limit=limit)


def similar_by_words(reports: QuerySet[Report], text: str, *, limit: int = 5) -> list[Report]:
    """Reports whose titles hold at least half of the words of ``text`` (in any order, any form), most first."""
    typed = list(dict.fromkeys(title_words(text)))[:8]
    if not typed:
        return []
    any_word = Q()
    for word in typed:
        any_word |= Q(title__icontains=word[:4] if len(word) >= 4 else word)
    scored = []
    for report in reports.filter(any_word).order_by("-created_at")[:200]:
        words = title_words(report.title)
        share = sum(_shares_word(word, words) for word in typed) / len(typed)
        if share >= 0.5:
            scored.append((share, report))
    scored.sort(key=lambda pair: -pair[0])  # stable: the newest first among equals
    return [report for _, report in scored[:limit]]


def contributions_of(*, artist: User) -> QuerySet[ContributionEntry]:
    return ContributionEntry.objects.filter(artist=artist).select_related("report", "promotion", "cohort")


def period_totals(*, period: str, artist: User | None = None) -> dict[int, dict]:
    """Per artist: {currency: minor units}, credits and entry count, from the ledger for the period."""
    start, end = period_bounds(period)
    entries = ContributionEntry.objects.filter(created_at__gte=start, created_at__lt=end)
    if artist is not None:
        entries = entries.filter(artist=artist)
    totals: dict[int, dict] = defaultdict(lambda: {"money": defaultdict(int), "credits": 0, "entries": 0})
    for artist_id, currency, amount, credits, count in (
        entries.values_list("artist_id", "currency")
        .annotate(amount=Sum("amount_minor"), credits=Sum("credits"), count=Count("id"))
        .order_by()
    ):
        row = totals[artist_id]
        if currency:
            row["money"][currency] += amount
        row["credits"] += credits
        row["entries"] += count
    return totals


def earnings_per_month(*, artist: User) -> list[tuple[date, dict[str, int], int]]:
    """(first day of month, {currency: minor}, credits) for the artist's earnings chart."""
    rows = (
        ContributionEntry.objects.filter(artist=artist)
        .annotate(month=TruncMonth("created_at"))
        .values_list("month", "currency")
        .annotate(amount=Sum("amount_minor"), credits=Sum("credits"))
        .order_by("month")
    )
    months: dict[date, list] = {}
    for month, currency, amount, credits in rows:
        entry = months.setdefault(month.date(), [defaultdict(int), 0])
        if currency:
            entry[0][currency] += amount
        entry[1] += credits
    return [(month, dict(money), credits) for month, (money, credits) in months.items()]


def statements_of(*, artist: User) -> QuerySet[PayoutStatement]:
    return PayoutStatement.objects.filter(artist=artist)


def promotion_requests_for(*, artist: User) -> QuerySet[PromotionRequest]:
    return PromotionRequest.objects.filter(artist=artist).select_related("publication__request")


# --- What the pages read -------------------------------------------------------------------------


def member_cohorts(*, user: User) -> list[Cohort]:
    """The cohorts ``user`` is an active member of (any role): where they may file and read reports."""
    return [m.cohort for m in Membership.objects.active().filter(user=user).select_related("cohort")]


def member_cohort(*, user: User, slug: str | None) -> Cohort | None:
    return next((cohort for cohort in member_cohorts(user=user) if cohort.slug == slug), None) if slug else None


def own_clips(*, artist: User, public_ids: list) -> list[Generation]:
    """The artist's own clips among ``public_ids`` (a report links only its reporter's clips)."""
    return list(Generation.objects.filter(artist=artist, public_id__in=public_ids)) if public_ids else []


def dispute_of(report: Report) -> Dispute | None:
    return related_or_none(report, "dispute")


def triage_reports(*, user: User, state="", kind="", severity="", cohort="") -> QuerySet[Report]:
    """The triage board of ``user``: their cohorts' reports, filtered (empty means any), for board()."""
    reports = Report.objects.filter(cohort__in=triage_cohorts(user=user))
    filters = {"state": state, "kind": kind, "severity": severity, "cohort__slug": cohort}
    return board(reports.filter(**{name: value for name, value in filters.items() if value}))


def all_cohorts() -> list[Cohort]:
    return list(Cohort.objects.order_by("name"))


def payout_statements(*, limit: int = 300) -> list[PayoutStatement]:
    return list(PayoutStatement.objects.select_related("artist")[:limit])


def promotion_requests(*, limit: int = 200) -> list[PromotionRequest]:
    return list(PromotionRequest.objects.select_related("publication__request", "artist")[:limit])


def publication_by_public_id(public_id) -> Publication | None:
    return Publication.objects.filter(public_id=public_id).first()
