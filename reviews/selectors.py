"""Every non-trivial read of review before publish, shaped for its page or endpoint, with a query count
that does not grow with the number of rows."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import Cohort, User
from accounts.selectors import consents_current
from accounts.validators import looks_like_email
from core.relations import related_or_none
from core.stats import percentile
from reviews.models import Appeal, Decision, Publication, PublicationRequest, ReasonCode, ReviewPolicy
from reviews.permissions import requests_reviewable_by

State = PublicationRequest.State
OUTCOME_WORDS = {
    "approve": "approved", "reject": "rejected", "request_changes": "changes requested", "take_down": "taken down",
}  # fmt: skip
TAKE_DOWN_APPEAL_WORDS = {"approve": "take-down reversed", "reject": "take-down upheld"}
SCOPES = {
    ("review", "approve"): "The clip is published in the public gallery with your credit line.",
    (
        "review",
        "reject",
    ): "The clip is not published. It stays in your studio, private, and you keep every right to it.",
    ("review", "request_changes"): (
        "The clip is not published yet: change what the note asks and request publication again."
    ),
    ("take_down", "take_down"): (
        "The clip was removed from the public gallery and its public copy deleted. It stays in your studio, "
        "private, and you keep every right to it."
    ),
    ("take_down_appeal", "approve"): "The clip goes back into the public gallery with your credit line.",
    ("take_down_appeal", "reject"): (
        "The clip stays out of the public gallery. It stays in your studio, private, and you keep every right to it."
    ),
}


def review_policy_of(cohort: Cohort) -> ReviewPolicy:
    """The cohort's review policy, or the defaults where it has none; select_related("cohort__review_policy")
    on a query of requests saves a query per cohort."""
    return related_or_none(cohort, "review_policy") or ReviewPolicy(cohort=cohort)


# --- Statements of reasons ------------------------------------------------------------------------


def appeal_open_until(decision: Decision) -> datetime | None:
    """The last moment the artist may appeal a decision (None: it cannot be appealed: only a rejection and a
    take-down can, within the cohort's window)."""
    if (decision.stage, decision.outcome) not in Decision.APPEALABLE:
        return None
    return decision.decided_at + timedelta(days=review_policy_of(decision.request.cohort).appeal_window_days)


def appealable_decision(
    request: PublicationRequest, *, decisions: list[Decision], appealed: set[int], publication: Publication | None
) -> Decision | None:
    """Which of ``decisions`` (the request's, oldest first) the artist may appeal, whatever the window: the
    latest, if it is a rejection the request still stands on or the take-down of its publication in force,
    and was not appealed (``appealed``: the ids of decisions appealed already)."""
    latest = decisions[-1] if decisions else None
    if latest is None or (latest.stage, latest.outcome) not in Decision.APPEALABLE or latest.pk in appealed:
        return None
    if latest.stage == Decision.Stage.REVIEW:
        stands = request.state == State.REJECTED and request.stage == PublicationRequest.Stage.REVIEW
    else:
        stands = publication is not None and publication.take_down_id == latest.pk
    return latest if stands and request.state not in PublicationRequest.OPEN else None


def statement_of_reasons(decision: Decision, *, appeal: Appeal | None = None) -> dict:
    """What the artist is told about a decision, in the shape of DSA Article 17: what was decided, the
    facts and the clause relied on, whether any part was automated, and how and until when to appeal
    (or, given the ``appeal`` filed against it, that it was appealed)."""
    request = decision.request
    reason = decision.reason_code
    final = decision.stage in Decision.FINAL_STAGES
    appeal_until = appeal_open_until(decision)
    stage_of_scope = Decision.Stage.REVIEW if decision.stage == Decision.Stage.APPEAL else decision.stage
    if final:
        redress = "This was the decision on your appeal, by a reviewer other than the first; it is final."
    elif appeal is not None:
        redress = f"You appealed on {appeal.created_at:%Y-%m-%d %H:%M} UTC. " + (
            "Another reviewer decided the appeal: see that decision."
            if appeal.decision_id
            else "Another reviewer decides, and that decision is final."
        )
    elif appeal_until:
        redress = (
            f"You may appeal once, with a message, until {appeal_until:%Y-%m-%d %H:%M} UTC, from your "
            "publishing page or the API; another reviewer decides."
        )
    elif decision.outcome == Decision.Outcome.REQUEST_CHANGES:
        redress = "Request publication again once the clip or its details are changed."
    else:
        redress = ""
    words = TAKE_DOWN_APPEAL_WORDS if decision.stage == Decision.Stage.TAKE_DOWN_APPEAL else OUTCOME_WORDS
    return {
        "decision": words[decision.outcome],
        "outcome": decision.outcome,
        "stage": decision.stage,
        "decided_at": decision.decided_at,
        "scope": SCOPES[(stage_of_scope, decision.outcome)],
        "facts": decision.note,
        "reason": (
            {
                "code": reason.code,
                "label": reason.label,
                "description": reason.description,
                "policy_clause": reason.policy_clause,
                "ground": reason.ground,
                "category": reason.category,
                "ground_url": reason.ground_url,
            }
            if reason
            else None
        ),
        "automated": decision.automated,
        "automation": (
            "Part of this decision was automated." if decision.automated else "A person decided; nothing was automated."
        ),
        "appeal_until": appeal_until,
        "redress": redress,
        **_transparency_fields(
            decision, reason, policy=review_policy_of(request.cohort), appealable=bool(appeal_until)
        ),
    }


def _transparency_fields(decision: Decision, reason, *, policy, appealable: bool) -> dict:
    """The EU DSA Transparency Database's fields of a statement (its API's names and values). A refusal
    to publish restricts the clip's visibility (it stays private); a take-down, and an appeal that upholds
    one, removes it; an approval (and a take-down reversed) restricts nothing."""
    negative = decision.outcome != Decision.Outcome.APPROVE
    removal = negative and decision.stage in (Decision.Stage.TAKE_DOWN, Decision.Stage.TAKE_DOWN_APPEAL)
    routes = []
    if appealable:
        routes.append("the internal appeal (DSA Art. 20), once, from the publishing page or the API")
    if negative:
        routes.append(
            f"out-of-court dispute settlement (DSA Art. 21): {policy.out_of_court_body}"
            if policy.out_of_court_body
            else "out-of-court dispute settlement by a body certified under DSA Art. 21"
        )
        routes.append("the courts of your country of residence")
    if removal:
        visibility, visibility_other = ["DECISION_VISIBILITY_CONTENT_REMOVED"], ""
    elif negative:
        visibility, visibility_other = (
            ["DECISION_VISIBILITY_OTHER"],
            "Not published in the public gallery; the clip stays private.",
        )
    else:
        visibility, visibility_other = [], ""
    return {
        "id": f"decision-{decision.pk}",
        "puid": str(decision.request.generation.public_id),
        "decision_visibility": visibility,
        "decision_visibility_other": visibility_other,
        "decision_ground": reason.ground if reason else "",
        "category": reason.category if reason else "",
        "ground_url": reason.ground_url if reason else "",
        "content_type": ["CONTENT_TYPE_VIDEO"],
        "source_type": "SOURCE_VOLUNTARY",  # every review is the program's own initiative, not a notice
        "automated_detection": False,
        "automated_decision": "AUTOMATED_DECISION_PARTIALLY"
        if decision.automated
        else "AUTOMATED_DECISION_NOT_AUTOMATED",
        "territorial_scope": list(settings.DSA_TERRITORIAL_SCOPE),
        "content_date": decision.request.generation.finished_at or decision.request.created_at,
        "redress_routes": routes,
    }


def statement_as_text(statement: dict) -> str:
    lines = [f"Decision: {statement['decision']}.", statement["scope"]]
    if statement["reason"]:
        reason = statement["reason"]
        lines.append(f"Reason: {reason['label']} ({reason['policy_clause']}). {reason['description']}")
    if statement["facts"]:
        lines.append(f"Reviewer's note: {statement['facts']}")
    lines.append(statement["automation"])
    if statement["redress"]:
        lines.append(statement["redress"])
    return "\n".join(lines)


# --- The artist's requests -----------------------------------------------------------------------


def requests_of(*, artist: User) -> QuerySet[PublicationRequest]:
    """The artist's requests, newest first, with their decisions (and reasons), appeals and publication."""
    held = Decision.objects.filter(request=OuterRef("pk"), held_until__isnull=False)
    return (
        PublicationRequest.objects.filter(artist=artist)
        .annotate(decision_held=Exists(held))
        .select_related("cohort__review_policy", "generation", "publication")
        .prefetch_related(
            "appeals",
            Prefetch(
                "decisions",
                queryset=Decision.objects.in_effect().select_related("reason_code").order_by("decided_at", "pk"),
                to_attr="decision_list",
            ),
        )
        .order_by("-created_at", "-id")
    )


def with_statements(requests: list[PublicationRequest]) -> list[PublicationRequest]:
    """Attach each decision's statement of reasons (``statements``) and whether the artist may appeal now.
    A decision inside its undo window has not been made as far as the artist knows: the request shows as
    still in review, so no outcome is ever shown without its statement (these rows are for display only)."""
    now = timezone.now()
    for request in requests:
        if getattr(request, "decision_held", False):
            request.state, request.closed_at = PublicationRequest.State.IN_REVIEW, None
        for decision in request.decision_list:
            decision.request = request
        appeals = {appeal.appealed_decision_id: appeal for appeal in request.appeals.all()}
        request.statements = [
            statement_of_reasons(decision, appeal=appeals.get(decision.pk)) for decision in request.decision_list
        ]
        appealable = appealable_decision(
            request,
            decisions=request.decision_list,
            appealed=set(appeals),
            publication=related_or_none(request, "publication"),
        )
        request.may_appeal = bool(appealable and appeal_open_until(appealable) > now)
        request.may_self_publish = (
            request.state in PublicationRequest.OPEN
            and request.stage == PublicationRequest.Stage.REVIEW
            and review_policy_of(request.cohort).publish_after_deadline
            and request.deadline_at <= now
        )
    return requests


# --- The review queue ----------------------------------------------------------------------------


@dataclass
class QueueFilters:
    cohort: str | None = None
    state: str | None = None
    older_than_hours: int | None = None


def own_request(*, artist: User, request_id: int) -> PublicationRequest | None:
    """The artist's own request with its statements of reasons, or None."""
    found = requests_of(artist=artist).filter(pk=request_id).first()
    return with_statements([found])[0] if found is not None else None


def publication_pages() -> QuerySet[Publication]:
    """Published clips as their page reads them (find one by public_id)."""
    return Publication.objects.select_related(
        "request__generation", "request__cohort", "request__artist", "decision", "take_down__reason_code"
    )


def statements_of_request(request: PublicationRequest) -> list:
    """Every statement of reasons made on ``request`` so far (the desk shows a request's history)."""
    return with_statements(list(requests_of(artist=request.artist).filter(pk=request.pk)))[0].statements


def queue_order(*, reviewer: User, at_most: int = 500) -> list[int]:
    """The ids of the reviewer's queue in its order (the desk's previous and next)."""
    return list(review_queue(reviewer=reviewer).values_list("pk", flat=True)[:at_most])


def queue_item(requests: QuerySet[PublicationRequest]) -> QuerySet[PublicationRequest]:
    """What the review desk reads of a request (reviews.permissions.access_review_item finds it)."""
    return requests.select_related("cohort", "generation", "artist", "claimed_by").prefetch_related("appeals")


def review_queue(*, reviewer: User, filters: QueueFilters | None = None) -> QuerySet[PublicationRequest]:
    """Open requests the reviewer may review, most urgent first; another reviewer's live claim is hidden."""
    filters = filters or QueueFilters()
    now = timezone.now()
    queue = (
        requests_reviewable_by(reviewer)
        .filter(state__in=PublicationRequest.OPEN)
        .exclude(Q(state=State.IN_REVIEW, lease_expires_at__gt=now) & ~Q(claimed_by=reviewer))
        .select_related("cohort", "generation", "artist", "claimed_by")
        .prefetch_related("appeals")
        .order_by("deadline_at", "id")
    )
    if filters.cohort:
        queue = queue.filter(cohort__slug=filters.cohort)
    if filters.state:
        queue = queue.filter(state=filters.state)
    if filters.older_than_hours:
        queue = queue.filter(created_at__lte=now - timedelta(hours=filters.older_than_hours))
    return queue


def undoable_decision(*, reviewer: User, decision_id) -> Decision | None:
    """The reviewer's own decision still inside its undo window (the review desk offers to take it back)."""
    if not str(decision_id or "").isdigit():
        return None
    found = Decision.objects.filter(pk=int(decision_id), reviewer=reviewer, held_until__gt=timezone.now())
    return found.select_related("request").first()


def reason_codes(*, active_only: bool = True) -> QuerySet[ReasonCode]:
    codes = ReasonCode.objects.all()
    return codes.filter(active=True) if active_only else codes


# --- The gallery ---------------------------------------------------------------------------------


def gallery() -> QuerySet[Publication]:
    """Publications in the gallery: signed, neither withdrawn nor taken down; newest first."""
    return (
        Publication.objects.filter(signed_at__isnull=False, withdrawn_at__isnull=True, taken_down_at__isnull=True)
        .exclude(video="")
        .select_related("request__generation", "request__cohort", "decision")
        .order_by("-published_at", "-id")
    )


def publications_of(*, artist: User) -> QuerySet[Publication]:
    return Publication.objects.filter(request__artist=artist).select_related("request", "take_down__reason_code")


# --- Numbers: the review dashboard and the transparency page --------------------------------------


@dataclass
class ReviewNumbers:
    decided: int = 0
    median_hours: float | None = None
    p90_hours: float | None = None
    inside_deadline_share: float | None = None
    appeals_decided: int = 0
    appeal_reversals: int = 0
    by_reason: list[tuple[str, str, int]] = field(default_factory=list)  # (code, label, count)
    by_reviewer: list[tuple[str, int]] = field(default_factory=list)
    overdue_by_cohort: list[tuple[str, int]] = field(default_factory=list)
    weekly_median_hours: list[tuple[datetime, float]] = field(default_factory=list)

    @property
    def appeal_reversal_rate(self) -> float | None:
        return self.appeal_reversals / self.appeals_decided if self.appeals_decided else None


def review_numbers(*, cohorts: QuerySet[Cohort] | None = None, since_days: int = 365) -> ReviewNumbers:
    """Time to decision, share inside the deadline, reasons, reviewers, appeals and overdue requests; a
    fixed number of queries whatever the number of decisions."""
    since = timezone.now() - timedelta(days=since_days)
    decisions = Decision.objects.in_effect().filter(decided_at__gte=since, automated=False)
    requests = PublicationRequest.objects.all()
    if cohorts is not None:
        decisions = decisions.filter(request__cohort__in=cohorts)
        requests = requests.filter(cohort__in=cohorts)
    rows = list(
        decisions.filter(stage=Decision.Stage.REVIEW).values_list(
            "decided_at", "request__created_at", "request__deadline_at"
        )
    )
    # One total everywhere: every decision in the period (reviews, appeals, take-downs) is one "decided",
    # which the per-reviewer rows add up to; the times are those of first reviews.
    numbers = ReviewNumbers(decided=decisions.count())
    hours = [(decided - created).total_seconds() / 3600 for decided, created, _ in rows]
    if hours:
        numbers.median_hours = statistics.median(hours)
        numbers.p90_hours = percentile(hours, 0.9)
        numbers.inside_deadline_share = sum(decided <= deadline for decided, _, deadline in rows) / len(rows)
    weekly: dict[datetime, list[float]] = defaultdict(list)
    for (decided, _created, _deadline), spent in zip(rows, hours, strict=True):
        week = (decided - timedelta(days=decided.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
        weekly[week].append(spent)
    numbers.weekly_median_hours = [(week, statistics.median(values)) for week, values in sorted(weekly.items())]
    numbers.by_reason = list(
        decisions.filter(reason_code__isnull=False)
        .values_list("reason_code__code", "reason_code__label")
        .annotate(count=Count("id"))
        .order_by("-count", "reason_code__code")
    )
    numbers.by_reviewer = [
        (name or email, count)
        for name, email, count in decisions.values_list("reviewer__display_name", "reviewer__email")
        .annotate(count=Count("id"))
        .order_by("-count", "reviewer__email")
    ]
    appeals = Appeal.objects.filter(
        decision__isnull=False, decision__held_until__isnull=True, decision__decided_at__gte=since
    )
    if cohorts is not None:
        appeals = appeals.filter(request__cohort__in=cohorts)
    outcomes = Counter(
        appeals.annotate(first=F("appealed_decision__outcome"), final=F("decision__outcome")).values_list(
            "first", "final"
        )
    )
    numbers.appeals_decided = sum(outcomes.values())
    # A rejection upheld and a take-down upheld are both "reject" on appeal; anything else changed the outcome.
    numbers.appeal_reversals = sum(count for (_first, final), count in outcomes.items() if final != "reject")
    numbers.overdue_by_cohort = list(
        requests.filter(state__in=PublicationRequest.OPEN, deadline_at__lte=timezone.now())
        .values_list("cohort__name")
        .annotate(count=Count("id"))
        .order_by("cohort__name")
    )
    return numbers


def credit_line_default(*, artist: User) -> str:
    """The credit the artist chose on their profile, else their display name; never their address ("" when
    neither is set: the artist must then say how to be credited)."""
    chosen = (consents_current(user=artist).get("credit_name") or artist.display_name or "").strip()
    return "" if looks_like_email(chosen) else chosen
