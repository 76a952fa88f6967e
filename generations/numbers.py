"""Staff numbers: the queue page's overview and jobs, usage per artist, and the admin dashboard's
live figures and daily series. Counts and percentiles come from the database, in a fixed number of
queries whatever the number of jobs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from core.stats import percentile_cont
from generations.models import Generation

Status = Generation.Status


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
    recent = list(
        Generation.objects.filter(status=Status.SUCCEEDED)
        .exclude(phase_ms={})
        .select_related("artist", "cohort")
        .order_by("-finished_at")[:20]
    )
    for generation in recent:  # in the order of Generation.PHASES, for the table
        generation.phase_row = [generation.phase_ms.get(phase) for phase in Generation.PHASES]
    return {"depth": depth, "running": running, "gpu_seconds_today": gpu_today, "recent": recent,
            "phases": Generation.PHASES}  # fmt: skip


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


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont(share) WITHIN GROUP (ORDER BY expression); it also takes intervals."""

    function = "percentile_cont"
    template = "%(function)s(%(share)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, share: float, **extra):
        super().__init__(expression, share=float(share), **extra)


@dataclass
class LiveNumbers:
    """What is happening now: the dashboard polls these every few seconds, so they read two days at most."""

    queued: int  # paid clips; the relaxed lane's are counted apart (they wait behind every paid one)
    running: int
    oldest_wait_s: float | None
    relaxed_queued: int
    relaxed_running: int
    by_state_today: dict[str, int]
    wait_p50_today_s: float | None
    wait_p95_today_s: float | None
    wait_p50_yesterday_s: float | None


@dataclass
class DailySeries:
    """The last ``days`` days, oldest first, for the dashboard's charts."""

    days: list[str]
    wait_p50_s: list[float | None]
    wait_p95_s: list[float | None]
    gpu_seconds_by_cohort: dict[str, list[float | None]]
    jobs_by_state: dict[str, list[float | None]]


def _last_days(days: int):
    """(the start of the first day, {date: index}, labels) for the last ``days`` days, today last."""
    first_day = timezone.localdate() - timedelta(days=days - 1)
    day_list = [first_day + timedelta(days=i) for i in range(days)]
    since = timezone.make_aware(datetime.combine(first_day, datetime.min.time()))
    return since, {day: i for i, day in enumerate(day_list)}, [day.strftime("%b %-d") for day in day_list]


def _wait_percentiles(since, index: dict) -> tuple[list[float | None], list[float | None]]:
    """Median and 95th percentile of queued-to-started seconds per day since ``since``. PostgreSQL computes
    them (percentile_cont, one query); SQLite, the single-machine default, gives the waits to Python."""
    started = Generation.objects.filter(started_at__gte=since).annotate(day=TruncDate("started_at"))
    p50, p95 = [None] * len(index), [None] * len(index)
    if connection.vendor == "postgresql":
        wait = ExpressionWrapper(F("started_at") - F("queued_at"), output_field=DurationField())
        rows = started.values("day").annotate(
            p50=PercentileCont(wait, 0.5, output_field=DurationField()),
            p95=PercentileCont(wait, 0.95, output_field=DurationField()),
        )
        for row in rows.order_by():
            if row["day"] in index:
                p50[index[row["day"]]], p95[index[row["day"]]] = row["p50"].total_seconds(), row["p95"].total_seconds()
        return p50, p95
    waits: dict = {}
    for day, queued_at, started_at in started.values_list("day", "queued_at", "started_at"):
        waits.setdefault(day, []).append((started_at - queued_at).total_seconds())
    for day, values in waits.items():
        if day in index:
            p50[index[day]], p95[index[day]] = percentile_cont(values, 0.5), percentile_cont(values, 0.95)
    return p50, p95


def live_numbers() -> LiveNumbers:
    """Three queries whatever the number of jobs."""
    now = timezone.now()
    paid, relaxed = Q(lane=Generation.Lane.PAID), Q(lane=Generation.Lane.RELAXED)
    live = Generation.objects.aggregate(
        queued=Count("id", filter=Q(status=Status.QUEUED) & paid),
        running=Count("id", filter=Q(status=Status.RUNNING) & paid),
        oldest=Min("queued_at", filter=Q(status=Status.QUEUED) & paid),
        relaxed_queued=Count("id", filter=Q(status=Status.QUEUED) & relaxed),
        relaxed_running=Count("id", filter=Q(status=Status.RUNNING) & relaxed),
    )
    since, index, _ = _last_days(2)
    today = since + timedelta(days=1)
    by_state_today = dict(
        Generation.objects.filter(queued_at__gte=today).values_list("status").annotate(n=Count("id")).order_by()
    )
    (yesterday_p50, today_p50), (_, today_p95) = _wait_percentiles(since, index)
    return LiveNumbers(
        queued=live["queued"], running=live["running"], relaxed_queued=live["relaxed_queued"],
        relaxed_running=live["relaxed_running"],
        oldest_wait_s=(now - live["oldest"]).total_seconds() if live["oldest"] else None,
        by_state_today=by_state_today, wait_p50_today_s=today_p50, wait_p95_today_s=today_p95,
        wait_p50_yesterday_s=yesterday_p50,
    )  # fmt: skip


def daily_series(*, days: int = 14) -> DailySeries:
    """Three queries whatever the number of jobs."""
    since, index, labels = _last_days(days)
    p50, p95 = _wait_percentiles(since, index)

    gpu: dict[str, list[float | None]] = {}
    finished = Generation.objects.filter(finished_at__gte=since).annotate(day=TruncDate("finished_at"))
    for day, cohort, seconds in finished.values_list("day", "cohort__name").annotate(s=Sum("gpu_seconds")).order_by():
        if day in index:
            gpu.setdefault(cohort, [0.0] * days)[index[day]] = seconds or 0.0

    states: dict[str, list[float | None]] = {}
    queued = Generation.objects.filter(queued_at__gte=since).annotate(day=TruncDate("queued_at"))
    for day, state, count in queued.values_list("day", "status").annotate(n=Count("id")).order_by():
        if day in index:
            states.setdefault(Status(state).label, [0] * days)[index[day]] = count
    return DailySeries(days=labels, wait_p50_s=p50, wait_p95_s=p95, gpu_seconds_by_cohort=gpu, jobs_by_state=states)


def queue_jobs(*, limit: int = 100) -> list[Generation]:
    """The jobs behind the queue's counts: running first (oldest start first), then waiting in queue order."""
    jobs = (
        Generation.objects.filter(status__in=[Status.RUNNING, Status.QUEUED])
        .select_related("artist", "cohort")
        .order_by(Case(When(status=Status.RUNNING, then=Value(0)), default=Value(1)), "started_at", "queued_at")
    )
    return list(jobs[:limit])
