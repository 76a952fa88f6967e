"""The generations part of /metrics (config/metrics.py serves them all): queue, jobs, GPU time,
phases, workers and webhook deliveries. Values are read from the database at scrape time, so every
web process answers the same and nothing needs a multiprocess directory.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, FloatField, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    SummaryMetricFamily,
)

from generations import dispatch
from generations.models import Generation, LedgerEntry, WebhookDelivery

logger = logging.getLogger(__name__)


class GenerationCollector:
    def collect(self):
        # Per lane: relaxed clips wait behind every paid one, so their queue is read apart.
        depth = GaugeMetricFamily(
            "vernissage_queue_depth", "Queued generations per cohort and lane", labels=["cohort", "lane"]
        )
        queued = Generation.objects.filter(status="queued").values_list("cohort__slug", "lane")
        for cohort, lane, count in queued.annotate(n=Count("id")).order_by():
            depth.add_metric([cohort, lane], count)
        yield depth
        # A gauge: a job moves from queued to running to an end state, so per-status counts go down too.
        by_status = GaugeMetricFamily(
            "vernissage_generations", "Generations now in each status, per lane", labels=["status", "lane"]
        )
        for status, lane, count in Generation.objects.values_list("status", "lane").annotate(n=Count("id")).order_by():
            by_status.add_metric([status, lane], count)
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
        yield webhook_deliveries()


def webhook_deliveries() -> GaugeMetricFamily:
    """Webhook deliveries by outcome: delivered, retrying (not yet delivered nor given up), gave_up."""
    counts = WebhookDelivery.objects.aggregate(
        delivered=Count("id", filter=Q(delivered_at__isnull=False)),
        gave_up=Count("id", filter=Q(given_up_at__isnull=False)),
        retrying=Count("id", filter=Q(delivered_at=None, given_up_at=None)),
    )
    family = GaugeMetricFamily("vernissage_webhook_deliveries", "Webhook deliveries by outcome", labels=["outcome"])
    for outcome, count in counts.items():
        family.add_metric([outcome], count)
    return family


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
