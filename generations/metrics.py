"""/metrics in Prometheus format, for staff or a scraper holding METRICS_TOKEN.

Values are read from the database at scrape time, so every web process answers
the same and nothing needs a multiprocess directory.
"""

from __future__ import annotations

import logging
import secrets

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, FloatField, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.http import HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    SummaryMetricFamily,
)

from accounts.permissions import staff_powers
from generations import dispatch
from generations.models import Generation, LedgerEntry

logger = logging.getLogger(__name__)


class GenerationCollector:
    def collect(self):
        depth = GaugeMetricFamily("vernissage_queue_depth", "Queued generations per cohort", labels=["cohort"])
        for cohort, count in (
            Generation.objects.filter(status="queued").values_list("cohort__slug").annotate(n=Count("id")).order_by()
        ):
            depth.add_metric([cohort], count)
        yield depth
        # A gauge: a job moves from queued to running to an end state, so per-status counts go down too.
        by_status = GaugeMetricFamily("vernissage_generations", "Generations now in each status", labels=["status"])
        for status, count in Generation.objects.values_list("status").annotate(n=Count("id")).order_by():
            by_status.add_metric([status], count)
        yield by_status
        finished = Generation.objects.filter(status="succeeded", started_at__isnull=False, finished_at__isnull=False)
        totals = finished.aggregate(
            jobs=Count("id"),
            gpu=Sum("gpu_seconds"),
            wall=Sum(ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())),
        )
        durations = SummaryMetricFamily(
            "vernissage_generation_duration_seconds", "Start-to-finish time of succeeded generations"
        )
        durations.add_metric(
            [], count_value=totals["jobs"], sum_value=totals["wall"].total_seconds() if totals["wall"] else 0.0
        )
        yield durations
        seconds = CounterMetricFamily("vernissage_gpu_seconds", "GPU seconds spent on succeeded generations")
        seconds.add_metric([], totals["gpu"] or 0.0)
        yield seconds
        failures = CounterMetricFamily("vernissage_generation_failures", "Failed generations")
        failures.add_metric([], Generation.objects.filter(status="failed").count())
        yield failures
        spent = CounterMetricFamily("vernissage_credits_spent", "Credits charged for succeeded generations")
        spent.add_metric([], LedgerEntry.objects.filter(kind="charge").aggregate(total=Sum("amount"))["total"] or 0)
        yield spent
        yield phase_histogram()
        yield workers_gauge()


def workers_gauge() -> GaugeMetricFamily:
    """Live Celery workers per queue, asked of the broker at scrape time (at most half a second)."""
    live = GaugeMetricFamily("vernissage_workers_live", "Celery workers answering, per queue", labels=["queue"])
    try:
        queues = dispatch.workers_by_queue(timeout_s=0.5)
    except Exception:  # the broker being down: no worker can be reached, which is what the gauge says
        logger.warning("metrics: could not ask the broker for live workers", exc_info=True)
        queues = {}
    for queue in sorted(set(settings.WORKER_QUEUES) | set(queues)):
        live.add_metric([queue], len(queues.get(queue, [])))
    return live


PHASE_BUCKETS_MS = (1, 2, 5, 10, 20, 40, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 120000)


def phase_histogram() -> HistogramMetricFamily:
    """Seconds per phase of succeeded jobs (Generation.PHASES), counted in one aggregate query."""
    aggregates = {}
    for phase in Generation.PHASES:
        recorded = Q(phase_ms__has_key=phase)
        aggregates[f"{phase}:count"] = Count("id", filter=recorded)
        aggregates[f"{phase}:sum"] = Sum(Cast(KeyTextTransform(phase, "phase_ms"), FloatField()), filter=recorded)
        for bucket in PHASE_BUCKETS_MS:
            aggregates[f"{phase}:{bucket}"] = Count("id", filter=Q(**{f"phase_ms__{phase}__lte": bucket}))
    values = Generation.objects.filter(status="succeeded").aggregate(**aggregates)
    histogram = HistogramMetricFamily(
        "vernissage_generation_phase_seconds", "Time per phase of succeeded generations", labels=["phase"]
    )
    for phase in Generation.PHASES:
        buckets = [(f"{bucket / 1000:g}", values[f"{phase}:{bucket}"]) for bucket in PHASE_BUCKETS_MS]
        buckets.append(("+Inf", values[f"{phase}:count"]))
        histogram.add_metric([phase], buckets=buckets, sum_value=(values[f"{phase}:sum"] or 0.0) / 1000)
    return histogram


def metrics_view(request):
    if not staff_powers(request):
        refusal = _scrape_token_refusal(request)
        if refusal is not None:
            return refusal
    registry = CollectorRegistry()
    registry.register(GenerationCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def _scrape_token_refusal(request) -> HttpResponse | None:
    """None when the request carries METRICS_TOKEN; otherwise the answer that says what is missing."""
    expected = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if not header:
        return HttpResponse(
            "Staff sign-in with two-factor, or the scrape token, is required.\n", status=403, content_type="text/plain"
        )
    bearer = header.removeprefix("Bearer ").strip()
    # Compared as bytes: a header may carry any latin-1 character, which compare_digest refuses in a str.
    if expected and secrets.compare_digest(bearer.encode("utf-8", "surrogateescape"), expected.encode()):
        return None
    response = HttpResponse("The scrape token is not valid.\n", status=401, content_type="text/plain")
    response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response
