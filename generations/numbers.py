"""Staff numbers: the queue page's overview and jobs, usage per artist, and the admin dashboard's
live figures and daily series. Counts and percentiles come from the database, in a fixed number of
queries whatever the number of jobs."""

from __future__ import annotations

import statistics
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

from core.stats import percentile
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
class ConsoleNumbers:
    """The admin home: what is happening now, and the last ``days`` days, oldest first."""

    queued: int
    running: int
    oldest_wait_s: float | None
    by_state_today: dict[str, int]
    days: list[str]
    wait_p50_s: list[float | None]
    wait_p95_s: list[float | None]
    gpu_seconds_by_cohort: dict[str, list[float | None]]
    jobs_by_state: dict[str, list[float | None]]


def console_numbers(*, days: int = 14) -> ConsoleNumbers:
    """A fixed number of queries whatever the number of jobs: the percentiles are computed by PostgreSQL
    (percentile_cont); SQLite, the single-machine default, gets them from the day's waits in Python."""
    now = timezone.now()
    first_day = timezone.localdate(now) - timedelta(days=days - 1)
    since = timezone.make_aware(datetime.combine(first_day, datetime.min.time()))
    day_list = [first_day + timedelta(days=i) for i in range(days)]
    labels = [day.strftime("%b %-d") for day in day_list]
    index = {day: i for i, day in enumerate(day_list)}

    live = Generation.objects.aggregate(
        queued=Count("id", filter=Q(status=Status.QUEUED)),
        running=Count("id", filter=Q(status=Status.RUNNING)),
        oldest=Min("queued_at", filter=Q(status=Status.QUEUED)),
    )
    today = since + timedelta(days=days - 1)
    by_state_today = dict(
        Generation.objects.filter(queued_at__gte=today).values_list("status").annotate(n=Count("id")).order_by()
    )

    started = Generation.objects.filter(started_at__gte=since).annotate(day=TruncDate("started_at"))
    p50, p95 = [None] * days, [None] * days
    if connection.vendor == "postgresql":
        wait = ExpressionWrapper(F("started_at") - F("queued_at"), output_field=DurationField())
        rows = (
            started.values("day")
            .annotate(
                p50=PercentileCont(wait, 0.5, output_field=DurationField()),
                p95=PercentileCont(wait, 0.95, output_field=DurationField()),
            )
            .order_by()
        )
        for row in rows:
            if row["day"] in index:
                p50[index[row["day"]]] = row["p50"].total_seconds()
                p95[index[row["day"]]] = row["p95"].total_seconds()
    else:
        waits: dict = {}
        for day, queued_at, started_at in started.values_list("day", "queued_at", "started_at"):
            waits.setdefault(day, []).append((started_at - queued_at).total_seconds())
        for day, values in waits.items():
            if day in index:
                p50[index[day]], p95[index[day]] = statistics.median(values), percentile(values, 0.95)

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

    oldest = live["oldest"]
    return ConsoleNumbers(
        queued=live["queued"], running=live["running"],
        oldest_wait_s=(now - oldest).total_seconds() if oldest else None,
        by_state_today=by_state_today, days=labels, wait_p50_s=p50, wait_p95_s=p95,
        gpu_seconds_by_cohort=gpu, jobs_by_state=states,
    )  # fmt: skip


def queue_jobs(*, limit: int = 100) -> list[Generation]:
    """The jobs behind the queue's counts: running first (oldest start first), then waiting in queue order."""
    jobs = (
        Generation.objects.filter(status__in=[Status.RUNNING, Status.QUEUED])
        .select_related("artist", "cohort")
        .order_by(Case(When(status=Status.RUNNING, then=Value(0)), default=Value(1)), "started_at", "queued_at")
    )
    return list(jobs[:limit])
