"""Reads for the studio, the API, the queue view and the metrics; query counts independent of rows."""

from __future__ import annotations

import functools
import statistics
from datetime import timedelta

from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from accounts.models import Cohort, Membership, ProgramSwitches, TermsAcceptance, TermsVersion, User
from generations.dispatch import fair_share_queue
from generations.models import CreditAccount, Generation, LedgerEntry

Status = Generation.Status


def generations_visible_to(*, user: User) -> QuerySet[Generation]:
    """An artist sees their own; reviewers the generations of their cohorts; admins all."""
    generations = Generation.objects.select_related("cohort", "artist").filter(deleted_at__isnull=True)
    if user.is_program_admin:
        return generations
    if user.is_program_staff:
        cohorts = Membership.objects.filter(user=user, role=Membership.Role.REVIEWER, status="active").values("cohort")
        return generations.filter(Q(cohort__in=cohorts) | Q(artist=user))
    return generations.filter(artist=user)


def queue_positions() -> dict[int, int]:
    """Each queued generation's place in the fair-share order (1 = next)."""
    return {pk: index for index, pk in enumerate(fair_share_queue().values_list("pk", flat=True), start=1)}


def queue_position(*, generation: Generation) -> int | None:
    """One generation's place in the fair-share order, counted by the database (no rows fetched).

    The studio polls each queued row every second, so this must not read the whole queue.
    """
    queue = fair_share_queue()
    mine = queue.filter(pk=generation.pk).values("share", "queued_at").first()
    if mine is None:
        return None  # not claimable now (paused, at the running cap) or no longer queued
    share, queued_at = mine["share"], mine["queued_at"]
    ahead = queue.filter(
        Q(share__lt=share)
        | Q(share=share, queued_at__lt=queued_at)
        | Q(share=share, queued_at=queued_at, pk__lt=generation.pk)
    ).count()
    return ahead + 1


def recent_gpu_seconds_per_job(*, sample: int = 50) -> float:
    recent = list(
        Generation.objects.filter(status=Status.SUCCEEDED)
        .order_by("-finished_at")
        .values_list("gpu_seconds", flat=True)[:sample]
    )
    return statistics.median(recent) if recent else 5.0


def with_queue_estimates(generations: list[Generation]) -> list[Generation]:
    """Adds ``queue_position`` and ``estimated_start`` to queued generations (one queue read for the page)."""
    if not any(g.status == Status.QUEUED for g in generations):
        return generations
    return _estimate(generations, queue_positions())


def with_queue_estimate(generation: Generation) -> Generation:
    """The same for one generation (a detail view, a polled row): counted in the database, no queue read."""
    if generation.status != Status.QUEUED:
        return generation
    return _estimate([generation], {generation.pk: queue_position(generation=generation)})[0]


def _estimate(generations: list[Generation], positions: dict[int, int | None]) -> list[Generation]:
    per_job = recent_gpu_seconds_per_job()
    now = timezone.now()
    for generation in generations:
        position = positions.get(generation.pk)
        generation.queue_position = position
        generation.estimated_start = now + timedelta(seconds=per_job * (position - 1)) if position else None
    return generations


def ledger_for(*, account: CreditAccount) -> QuerySet[LedgerEntry]:
    return account.entries.order_by("-created_at", "-id")


def artist_cohorts(*, user: User) -> QuerySet[Cohort]:
    return Cohort.objects.filter(
        memberships__user=user, memberships__role=Membership.Role.ARTIST, memberships__status="active"
    ).order_by("name")


@functools.cache
def _memberships_with_gates() -> QuerySet[Membership]:
    """Artist memberships annotated with what a submission checks, for the membership's own person.

    Built once per process, since building these joins and subqueries costs more than running them;
    submission_gates() filters a copy.
    """
    newest_terms = TermsVersion.objects.filter(cohort=OuterRef("cohort")).order_by("-version").values("pk")[:1]
    switches = ProgramSwitches.objects.filter(pk=1)
    return (
        Membership.objects.filter(role=Membership.Role.ARTIST)
        .select_related("cohort", "cohort__quota_policy")
        .annotate(
            quota_override=FilteredRelation(
                "cohort__quota_overrides", condition=Q(cohort__quota_overrides__user=F("user"))
            ),
            override_credits=F("quota_override__credits_per_period"),
            override_running=F("quota_override__max_running_per_artist"),
            override_queued=F("quota_override__max_queued_per_artist"),
            credit_account=FilteredRelation(
                "cohort__credit_accounts", condition=Q(cohort__credit_accounts__user=F("user"))
            ),
            account_pk=F("credit_account__pk"),
            account_period_ends_at=F("credit_account__period_ends_at"),
            newest_terms_pk=Subquery(newest_terms),
            terms_accepted=Exists(
                TermsAcceptance.objects.filter(user=OuterRef("user"), terms=OuterRef("newest_terms_pk"))
            ),
            generation_paused=Subquery(switches.values("generation_paused")),
            generation_paused_reason=Subquery(switches.values("generation_paused_reason")),
        )
        .order_by("cohort__name")
    )


def submission_gates(
    *, artist: User, cohort: Cohort | None = None, cohort_slug: str | None = None, idempotency_key: str | None = None
) -> list[Membership]:
    """The artist memberships a submission could go to, with everything it checks, in one query.

    ``cohort`` picks one membership whatever its status (the submission says why it cannot use
    it); ``cohort_slug``, or neither, picks among active ones. Each row carries its cohort and
    quota policy, the artist's overrides (``override_*``), credit account (``account_pk``,
    ``account_period_ends_at``), the newest terms and whether they were accepted, the global
    pause, and the generation already made with ``idempotency_key`` (``existing_pk``). One query
    instead of one per check keeps a submission cheap (bench/api_submit.py).
    """
    memberships = _memberships_with_gates().filter(user=artist)
    if cohort is not None:
        memberships = memberships.filter(cohort=cohort)
    else:
        memberships = memberships.filter(status=Membership.Status.ACTIVE)
        if cohort_slug:
            memberships = memberships.filter(cohort__slug=cohort_slug)
    if idempotency_key:
        existing = Generation.objects.filter(artist=artist, idempotency_key=idempotency_key).order_by().values("pk")
        memberships = memberships.annotate(existing_pk=Subquery(existing[:1]))
    return list(memberships)


def queue_overview() -> dict:
    """For the admin queue view and the metrics."""
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    depth = dict(
        Generation.objects.filter(status=Status.QUEUED).values_list("cohort__name").annotate(n=Count("id")).order_by()
    )
    running = list(
        Generation.objects.filter(status=Status.RUNNING).select_related("artist", "cohort").order_by("started_at")
    )
    gpu_today = Generation.objects.filter(finished_at__gte=today).aggregate(total=Sum("gpu_seconds"))["total"] or 0.0
    return {"depth": depth, "running": running, "gpu_seconds_today": gpu_today}


def usage_per_artist(*, since_days: int = 7) -> QuerySet:
    since = timezone.now() - timedelta(days=since_days)
    return (
        Generation.objects.filter(queued_at__gte=since)
        .values("artist__email", "cohort__name")
        .annotate(
            jobs=Count("id"),
            succeeded=Count("id", filter=Q(status=Status.SUCCEEDED)),
            failed=Count("id", filter=Q(status=Status.FAILED)),
            gpu_seconds=Sum("gpu_seconds"),
            credits=Sum("cost", filter=Q(status=Status.SUCCEEDED)),
        )
        .order_by("-gpu_seconds")
    )
