"""Reads for the studio, the API, the queue view and the metrics; query counts independent of rows."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import (
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Cohort, Membership, User
from generations.models import CreditAccount, Generation, LedgerEntry, QuotaOverride, QuotaPolicy

Status = Generation.Status


def generations_visible_to(*, user: User, as_staff: bool = False) -> QuerySet[Generation]:
    """Everyone sees their own. With ``as_staff`` (the request may use staff powers: see
    accounts.permissions.staff_powers), reviewers also see their cohorts' and admins everyone's."""
    generations = Generation.objects.select_related("cohort", "artist").filter(deleted_at__isnull=True)
    if not as_staff:
        return generations.filter(artist=user)
    if user.is_program_admin:
        return generations
    if user.is_program_staff:
        cohorts = Membership.objects.filter(user=user, role=Membership.Role.REVIEWER, status="active").values("cohort")
        return generations.filter(Q(cohort__in=cohorts) | Q(artist=user))
    return generations.filter(artist=user)


def fair_share_queue() -> QuerySet[Generation]:
    """Queued generations that may run now, best claim first."""
    since = timezone.now() - timedelta(hours=24)
    used_24h = (
        Generation.objects.filter(artist=OuterRef("artist"), finished_at__gte=since)
        .order_by()
        .values("artist")
        .annotate(total=Sum("gpu_seconds"))
        .values("total")[:1]
    )
    running = (
        Generation.objects.filter(artist=OuterRef("artist"), status=Status.RUNNING)
        .order_by()
        .values("artist")
        .annotate(count=Count("id"))
        .values("count")[:1]
    )
    override_cap = QuotaOverride.objects.filter(user=OuterRef("artist"), cohort=OuterRef("cohort")).values(
        "max_running_per_artist"
    )[:1]
    active_member = Membership.objects.filter(
        user=OuterRef("artist"), cohort=OuterRef("cohort"), status=Membership.Status.ACTIVE
    )
    return (
        Generation.objects.filter(
            status=Status.QUEUED, cohort__status=Cohort.Status.ACTIVE, artist__suspended_at__isnull=True
        )
        .filter(Exists(active_member))
        .annotate(
            used=Coalesce(Subquery(used_24h, output_field=FloatField()), Value(0.0)),
            running_now=Coalesce(Subquery(running, output_field=IntegerField()), Value(0)),
            running_cap=Coalesce(
                Subquery(override_cap, output_field=IntegerField()),
                F("cohort__quota_policy__max_running_per_artist"),
                Value(1),
                output_field=IntegerField(),
            ),
            weight=Coalesce(F("cohort__quota_policy__weight"), Value(1.0), output_field=FloatField()),
        )
        .filter(running_now__lt=F("running_cap"))
        .annotate(share=ExpressionWrapper(F("used") / F("weight"), output_field=FloatField()))
        .order_by("share", "queued_at", "id")
    )


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


@dataclass(frozen=True)
class Limits:
    """A cohort's quota policy with one artist's overrides applied."""

    credits_per_period: int
    period_days: int
    max_running: int
    max_queued: int
    weight: float


def limits_for(*, user: User, cohort: Cohort) -> Limits:
    """The cohort's policy with the artist's overrides applied (one query)."""
    policy = (
        QuotaPolicy.objects.filter(cohort=cohort)
        .annotate(
            override_credits=Subquery(_override(user, cohort).values("credits_per_period")[:1]),
            override_running=Subquery(_override(user, cohort).values("max_running_per_artist")[:1]),
            override_queued=Subquery(_override(user, cohort).values("max_queued_per_artist")[:1]),
        )
        .first()
    )
    if policy is not None:
        return limits_with_overrides(policy, policy.override_credits, policy.override_running, policy.override_queued)
    override = _override(user, cohort).first()  # no policy yet: the defaults, still with the artist's overrides
    return limits_with_overrides(
        QuotaPolicy(cohort=cohort),
        override and override.credits_per_period,
        override and override.max_running_per_artist,
        override and override.max_queued_per_artist,
    )


def limits_with_overrides(policy: QuotaPolicy, credits: int | None, running: int | None, queued: int | None) -> Limits:
    """``policy`` with the artist's overrides (None keeps the policy's value)."""

    def pick(override, default):
        return override if override is not None else default

    return Limits(
        credits_per_period=pick(credits, policy.credits_per_period),
        period_days=policy.period_days,
        max_running=pick(running, policy.max_running_per_artist),
        max_queued=pick(queued, policy.max_queued_per_artist),
        weight=policy.weight,
    )


def _override(user: User, cohort: Cohort):
    return QuotaOverride.objects.filter(user=user, cohort=cohort)


@dataclass(frozen=True)
class SubmissionGate:
    """What a submission to one of the artist's cohorts checks, as read by submission_gates()."""

    cohort: Cohort  # id, name, slug and status loaded; other fields load on access
    membership_active: bool
    limits: Limits
    account_pk: int | None  # None until the artist's first submission in the cohort
    terms_pending: bool  # the cohort has terms and the artist has not accepted the newest
    paused: bool
    paused_reason: str
    existing_pk: int | None  # the generation this artist already made with the idempotency key


# Every check a submission makes, in one statement: the API's busiest write reads this once
# (bench/api_submit.py measures it). Plain SQL because the ORM spends three times as long
# building and compiling these joins as the database spends running them. Portable SQL
# (PostgreSQL and SQLite); tests/generations/test_submit.py covers each column.
_GATES_SQL = """
SELECT m.status, c.id, c.name, c.slug, c.status,
       p.id, p.credits_per_period, p.period_days, p.max_running_per_artist, p.max_queued_per_artist, p.weight,
       o.credits_per_period, o.max_running_per_artist, o.max_queued_per_artist,
       a.id,
       EXISTS (
           SELECT 1 FROM accounts_termsversion t
           WHERE t.cohort_id = c.id
             AND t.version = (SELECT MAX(v.version) FROM accounts_termsversion v WHERE v.cohort_id = c.id)
             AND NOT EXISTS (
                 SELECT 1 FROM accounts_termsacceptance ta WHERE ta.terms_id = t.id AND ta.user_id = m.user_id
             )
       ),
       s.generation_paused, s.generation_paused_reason,
       (SELECT g.id FROM generations_generation g WHERE g.artist_id = m.user_id AND g.idempotency_key = %s)
FROM accounts_membership m
JOIN accounts_cohort c ON c.id = m.cohort_id
LEFT JOIN generations_quotapolicy p ON p.cohort_id = c.id
LEFT JOIN generations_quotaoverride o ON o.cohort_id = c.id AND o.user_id = m.user_id
LEFT JOIN generations_creditaccount a ON a.cohort_id = c.id AND a.user_id = m.user_id
LEFT JOIN accounts_programswitches s ON s.id = 1
WHERE m.user_id = %s AND m.role = 'artist' AND {which}
ORDER BY c.name
"""


_POLICY_FIELDS = ("credits_per_period", "period_days", "max_running_per_artist", "max_queued_per_artist", "weight")


def submission_gates(
    *, artist: User, cohort: Cohort | None = None, cohort_slug: str | None = None, idempotency_key: str | None = None
) -> list[SubmissionGate]:
    """The cohorts a submission could go to, each with everything the submission checks, in one query.

    ``cohort`` picks it whatever the membership's status (the submission says why it cannot use
    it); ``cohort_slug``, or neither, picks among the artist's active memberships.
    """
    if cohort is not None:
        which, params = "m.cohort_id = %s", [cohort.pk]
    elif cohort_slug:
        which, params = "m.status = 'active' AND c.slug = %s", [cohort_slug]
    else:
        which, params = "m.status = 'active'", []
    with connection.cursor() as cursor:
        cursor.execute(_GATES_SQL.format(which=which), [idempotency_key, artist.pk, *params])
        rows = cursor.fetchall()
    gates = []
    for row in rows:
        (membership_status, *cohort_values), row = row[:5], row[5:]
        policy_pk, *policy_values = row[:6]
        policy = QuotaPolicy(**dict(zip(_POLICY_FIELDS, policy_values, strict=True))) if policy_pk else QuotaPolicy()
        credits, running, queued, account_pk, terms_pending, paused, paused_reason, existing_pk = row[6:]
        gates.append(
            SubmissionGate(
                cohort=Cohort.from_db(connection.alias, ["id", "name", "slug", "status"], cohort_values),
                membership_active=membership_status == Membership.Status.ACTIVE,
                limits=limits_with_overrides(policy, credits, running, queued),
                account_pk=account_pk,
                terms_pending=bool(terms_pending),
                paused=bool(paused),
                paused_reason=paused_reason or "",
                existing_pk=existing_pk,
            )
        )
    return gates


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
