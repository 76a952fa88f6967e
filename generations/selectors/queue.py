"""Reads of the queue: what may run next (fair share), each clip's place in line and when it may start,
how far a render is; query counts independent of rows."""

from __future__ import annotations

import statistics
from datetime import timedelta

from django.db.models import (
    Case,
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
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Cohort, Membership
from generations.models import Generation, QuotaOverride, QuotaPolicy

Status = Generation.Status

__all__ = [
    "DEFAULT_PHASE_SHARES", "PROGRESS_PHASES", "artists_with_paid_waiting", "fair_share_queue", "phase_shares",
    "policy_default", "queue_position", "queue_positions", "recent_seconds_per_job", "with_queue_estimate",
    "with_queue_estimates",
]  # fmt: skip


def policy_default(name: str):
    """A quota policy's value when the cohort has none (the model's default: one place for it)."""
    return QuotaPolicy._meta.get_field(name).default


def _queued_unblocked() -> QuerySet[Generation]:
    """Queued generations nothing holds back but, perhaps, their artist's running cap: an active cohort, an
    active membership, an account not suspended."""
    active_member = Membership.objects.active().filter(user=OuterRef("artist"), cohort=OuterRef("cohort"))
    return Generation.objects.filter(
        status=Status.QUEUED, cohort__status=Cohort.Status.ACTIVE, artist__suspended_at__isnull=True
    ).filter(Exists(active_member))


def artists_with_paid_waiting(*, artist_ids: set[int]) -> set[int]:
    """Which of these artists have a paid clip queued that only their running cap holds back (their own
    relaxed clip on a GPU, say): that relaxed clip gives way (generations/lanes.py)."""
    if not artist_ids:
        return set()
    waiting = _queued_unblocked().filter(lane=Generation.Lane.PAID, artist_id__in=artist_ids)
    return set(waiting.values_list("artist_id", flat=True).distinct())


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
    return (
        _queued_unblocked()
        .annotate(
            used=Coalesce(Subquery(used_24h, output_field=FloatField()), Value(0.0)),
            running_now=Coalesce(Subquery(running, output_field=IntegerField()), Value(0)),
            # The effective policy, as limits_with_overrides() computes it: the override, else the
            # cohort's policy, else the policy's defaults.
            running_cap=Coalesce(
                Subquery(override_cap, output_field=IntegerField()),
                F("cohort__quota_policy__max_running_per_artist"),
                Value(policy_default("max_running_per_artist")),
                output_field=IntegerField(),
            ),
            weight=Coalesce(
                F("cohort__quota_policy__weight"), Value(float(policy_default("weight"))), output_field=FloatField()
            ),
        )
        .filter(running_now__lt=F("running_cap"))
        .annotate(share=ExpressionWrapper(F("used") / F("weight"), output_field=FloatField()))
        # Every runnable paid clip before any relaxed one (generations/lanes.py); fair share inside each.
        .order_by(Case(When(lane=Generation.Lane.RELAXED, then=1), default=0), "share", "queued_at", "id")
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


def recent_seconds_per_job(*, sample: int = 50) -> float:
    """A clip's whole time on a worker (load, denoise, decode, encode, store), the median of recent ones."""
    recent = Generation.objects.filter(status=Status.SUCCEEDED, started_at__isnull=False).order_by("-finished_at")
    spans = [(end - start).total_seconds() for start, end in recent.values_list("started_at", "finished_at")[:sample]]
    return statistics.median(spans) if spans else 5.0


PROGRESS_PHASES = ("denoise", "decode", "encode", "store")  # in order; store: to storage and recorded
DEFAULT_PHASE_SHARES = {"denoise": 0.5, "decode": 0.35, "encode": 0.05, "store": 0.1}


def phase_shares(*, preset: str, sample: int = 20) -> dict[str, float]:
    """Each phase's expected share of a clip's time with ``preset``, from its recent clips (the defaults
    until it has some): what a progress bar that counts every phase weighs them by."""
    recent = Generation.objects.filter(preset=preset, status=Status.SUCCEEDED).exclude(phase_ms={})
    rows = list(recent.order_by("-finished_at").values_list("phase_ms", flat=True)[:sample])
    if not rows:
        return dict(DEFAULT_PHASE_SHARES)
    spent = {phase: statistics.median(row.get(phase, 0) for row in rows) for phase in ("denoise", "decode", "encode")}
    spent["store"] = statistics.median(row.get("store", 0) + row.get("settle", 0) for row in rows)
    total = sum(spent.values()) or 1.0
    return {phase: max(spent[phase] / total, 0.01) for phase in PROGRESS_PHASES}


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
    per_job = recent_seconds_per_job()
    now = timezone.now()
    for generation in generations:
        position = positions.get(generation.pk)
        generation.queue_position = position
        generation.estimated_start = now + timedelta(seconds=per_job * (position - 1)) if position else None
    return generations
