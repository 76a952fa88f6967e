"""/healthz and /readyz through gunicorn on PostgreSQL and Redis, as a kubelet calls them
(python bench/probes.py [--calls 50]): p50 and p95 of each, against a static file served by the same
process in the same run (the floor of one request). Targets: /healthz p95 under 10 ms, /readyz p95
under 100 ms (Kubernetes' default probe timeout is 1 s). No Celery worker runs: readiness must not
wait on one.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support.services import ROOT, environment, free_port, fresh_database, manage
from core.stats import percentile


def timed_calls(url: str, calls: int, host: str) -> list[float]:
    """Milliseconds per call, one after another, with the Host header a kubelet sends."""
    samples = []
    for _ in range(calls):
        request = urllib.request.Request(url, headers={"Host": host})
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=5) as response:
            response.read()
            assert response.status == 200, response.status
        samples.append(1000 * (time.perf_counter() - started))
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()
    env = environment(fresh_database("vernissage_bench_probes"))
    manage(env, "migrate", "--noinput")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--threads", "2", "--env", "DJANGO_SETTINGS_MODULE=bench.support.settings", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    base, kubelet = f"http://127.0.0.1:{port}", "10.1.2.3:8000"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        for path in ("/healthz", "/readyz", "/static/favicon.svg"):
            timed_calls(base + path, 5, kubelet if path.endswith("z") else "localhost")  # warm
        results = {
            path: timed_calls(base + path, args.calls, kubelet if path.endswith("z") else "localhost")
            for path in ("/static/favicon.svg", "/healthz", "/readyz")
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
    floor = statistics.median(results["/static/favicon.svg"])
    print(f"gunicorn 1 worker x 2 threads, PostgreSQL + Redis, no Celery worker, {args.calls} calls each")
    for path, target in (("/healthz", 10), ("/readyz", 100)):
        samples = results[path]
        p50, p95 = statistics.median(samples), percentile(samples, 0.95)
        print(
            f"  {path:9} p50 {p50:6.2f} ms, p95 {p95:6.2f} ms ({p50 / floor:.1f}x a static file's {floor:.2f} ms; "
            f"target p95 < {target} ms: {'met' if p95 < target else 'NOT met'})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
