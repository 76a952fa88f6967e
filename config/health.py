"""Liveness and readiness probes, by Kubernetes' conventions, and the staff's detailed view.

/healthz is liveness: this process answers; nothing else is checked, so a dependency's outage never
restarts healthy web pods. /readyz is readiness of this web process: its database, cache and broker
answer, each within a short timeout, so a pod leaves the load balancer only when it cannot serve.
Neither waits on the Celery workers: the worker tier's health is on /metrics
(vernissage_workers_live per queue), the staff dashboard and /staff/health/.

Both are answered by ProbeMiddleware, first in the chain: before the Host check (a kubelet sends the
pod's IP as Host; ALLOWED_HOSTS is waived for these two paths and only these), the HTTPS redirect,
sessions and authentication, so they cost well under a millisecond of Django. Strangers get status
words only, no vendors or host names; the details are for staff.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

from accounts.models import OutboundEmail
from accounts.permissions import staff_page
from config.celery import app as celery_app
from generations import dispatch
from reviews.models import Publication

logger = logging.getLogger(__name__)

BROKER_CONNECT_TIMEOUT_S = 1.0
WORKER_INSPECT_TIMEOUT_S = 1.0
PROBES = {"/healthz", "/readyz"}


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return f"{connection.vendor} answered"


def _check_cache() -> str:
    cache.set("readyz", "ok", timeout=10)
    if cache.get("readyz") != "ok":
        raise RuntimeError("cache did not return the value just written")
    return "read and write succeeded"


def _check_broker() -> str:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_CONNECT_TIMEOUT_S)
        # kombu's Redis transport connects lazily; a PING proves the server answers.
        client = getattr(conn.default_channel, "client", None)
        if hasattr(client, "ping"):
            client.ping()
        return f"{conn.transport_cls} accepted a connection"


READINESS = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}


def _run(check: Callable[[], str]) -> dict:
    started = time.perf_counter()
    try:
        detail, ok = check(), True
    except Exception as exc:  # a probe reports every failure instead of raising it
        detail, ok = f"{type(exc).__name__}: {exc}", False
    return {"ok": ok, "detail": detail, "ms": round((time.perf_counter() - started) * 1000, 1)}


def readiness() -> dict[str, dict]:
    """Each readiness check's outcome, with the details staff may see."""
    return {name: _run(check) for name, check in READINESS.items()}


def _probe_response(request) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        response = HttpResponse(status=405)
        response["Allow"] = "GET, HEAD"
    elif request.path_info == "/healthz":
        response = JsonResponse({"status": "ok"})
    else:
        checks = readiness()
        ok = all(check["ok"] for check in checks.values())
        if not ok:  # one line for the operator, at WARNING: a starting pod is not an error
            failed = {name: check["detail"] for name, check in checks.items() if not check["ok"]}
            logger.warning("readyz: not ready: %s", failed)
        words = {name: "ok" if check["ok"] else "fail" for name, check in checks.items()}
        response = JsonResponse({"status": "ok" if ok else "fail", "checks": words}, status=200 if ok else 503)
    response["Cache-Control"] = "no-store"
    response._has_been_logged = True  # Django would log a 503 probe at ERROR; logged above instead
    if request.method == "HEAD":
        response.content = b""
    return response


class ProbeMiddleware:
    """Answers /healthz and /readyz before anything else runs (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info in PROBES:
            return _probe_response(request)
        return self.get_response(request)


@staff_page()
def health_detail(request):
    """/staff/health/: each readiness check with its detail and time, the live workers per queue, and the
    side effects that keep failing (emails, signatures)."""
    try:
        queues, workers_error = dispatch.workers_by_queue(timeout_s=WORKER_INSPECT_TIMEOUT_S), ""
    except Exception as exc:  # the broker being down is shown, not a broken page
        queues, workers_error = {}, f"{type(exc).__name__}: {exc}"
    context = {
        "emails": OutboundEmail.objects.filter(Q(state="failed") | Q(state="pending", attempts__gt=0))[:50],
        "unsigned": Publication.objects.filter(signed_at__isnull=True)
        .exclude(sign_error="")
        .select_related("request")[:50],
        "checks": readiness(),
        "queues": queues,
        "missing_queues": [queue for queue in settings.WORKER_QUEUES if queue not in queues],
        "workers_error": workers_error,
    }
    return render(request, "generations/staff_health.html", context)
