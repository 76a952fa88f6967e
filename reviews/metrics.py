"""The reviews part of /metrics (config/metrics.py serves them all): the review queue's depth and age."""

from __future__ import annotations

from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from reviews.models import PublicationRequest


class ReviewQueueCollector:
    def collect(self):
        now = timezone.now()
        rows = (
            PublicationRequest.objects.filter(state__in=PublicationRequest.OPEN)
            .values_list("cohort__slug")
            .annotate(open=Count("id"), overdue=Count("id", filter=Q(deadline_at__lte=now)), oldest=Min("created_at"))
            .order_by()
        )
        depth = GaugeMetricFamily(
            "vernissage_review_queue_depth", "Publication requests waiting for a decision", labels=["cohort"]
        )
        overdue = GaugeMetricFamily(
            "vernissage_review_queue_overdue", "Waiting requests past the review deadline", labels=["cohort"]
        )
        age = GaugeMetricFamily(
            "vernissage_review_queue_oldest_age_seconds", "Age of the oldest waiting request", labels=["cohort"]
        )
        for cohort, waiting, late, oldest in rows:
            depth.add_metric([cohort], waiting)
            overdue.add_metric([cohort], late)
            age.add_metric([cohort], (now - oldest).total_seconds())
        yield depth
        yield overdue
        yield age
