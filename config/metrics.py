"""/metrics in Prometheus format, for staff or a scraper holding METRICS_TOKEN: every app's collector
and the build's identity (config wires the apps together, so the view lives here)."""

from __future__ import annotations

import platform
import secrets

import django
from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from accounts.permissions import staff_powers
from generations.metrics import GenerationCollector
from reviews.metrics import ReviewQueueCollector


class BuildInfoCollector:
    def collect(self):
        info = GaugeMetricFamily(
            "vernissage_build_info", "The running build: always 1, its labels say which",
            labels=["version", "python", "django"],
        )  # fmt: skip
        info.add_metric([settings.PLATFORM_VERSION, platform.python_version(), django.get_version()], 1)
        yield info


@require_safe
def metrics_view(request):
    if not staff_powers(request):
        refusal = _scrape_token_refusal(request)
        if refusal is not None:
            return refusal
    registry = CollectorRegistry()
    for collector in (BuildInfoCollector(), GenerationCollector(), ReviewQueueCollector()):
        registry.register(collector)
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
