"""Liveness and readiness probes for load balancers and operators.

/healthz says the process answers; /readyz says it can do useful work: the
database answers, the broker accepts connections and at least one Celery worker
replies to a ping. Each check reports its own status so an operator sees which
part is down; any failure makes the answer 503.
"""

import time
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app as celery_app
from generations import dispatch

WORKER_PING_TIMEOUT_S = 1.0
BROKER_CONNECT_TIMEOUT_S = 2.0


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


def _check_workers() -> str:
    names = dispatch.live_workers(timeout_s=WORKER_PING_TIMEOUT_S)
    if not names:
        raise RuntimeError(f"no worker answered a ping within {WORKER_PING_TIMEOUT_S:g} s")
    return f"{len(names)} live: {', '.join(names)}"


def _run(check: Callable[[], str]) -> dict:
    started = time.perf_counter()
    try:
        detail, ok = check(), True
    except Exception as exc:  # a probe reports every failure instead of raising it
        detail, ok = f"{type(exc).__name__}: {exc}", False
    return {"ok": ok, "detail": detail, "ms": round((time.perf_counter() - started) * 1000, 1)}


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    checks = {"database": _run(_check_database), "cache": _run(_check_cache), "broker": _run(_check_broker)}
    if checks["broker"]["ok"]:
        checks["workers"] = _run(_check_workers)
    else:
        checks["workers"] = {"ok": False, "detail": "not asked: the broker is unreachable", "ms": 0.0}
    ok = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if ok else "fail", "checks": checks}, status=200 if ok else 503)
