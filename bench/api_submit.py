"""Submissions per second through gunicorn on PostgreSQL and Redis, against a bare token-authenticated
DRF endpoint in the same run (python bench/api_submit.py [--seconds 10] [--clients 8]).

The submission path does everything a real one does: token authentication with leak counting,
atomic rate limits, validation, prompt policy, pricing, a locked credit reservation, the insert,
and the Celery wake-up message after commit. The bare endpoint looks the token up and inserts one
row. Target: at least 0.5x the bare endpoint's rate.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support.services import ROOT, environment, free_port, fresh_database, manage, setup_django


def prepare(artists: int) -> list[str]:
    """``artists`` artists with room for every submission, each with a token; returns the tokens.

    One artist's submissions queue on their credit account's row lock by design, so each client
    thread plays a different artist, as real traffic would.
    """
    from accounts.models import Cohort, Membership, User
    from accounts.services import token_create
    from generations.models import QuotaOverride, QuotaPolicy

    cohort = Cohort.objects.create(
        name="Bench", slug="bench", status="active", leak_max_submissions_per_minute=10**9, leak_max_addresses=10**6
    )
    QuotaPolicy.objects.create(cohort=cohort)
    plaintexts = []
    for n in range(artists):
        artist = User.objects.create_user(f"bench{n}@example.org", "bench-password-1")
        Membership.objects.create(user=artist, cohort=cohort)
        QuotaOverride.objects.create(user=artist, cohort=cohort, credits_per_period=10**9, max_queued_per_artist=10**9)
        _, plaintext = token_create(user=artist, name="bench", scopes=["generations:write", "generations:read"])
        plaintexts.append(plaintext)
    return plaintexts


def hammer(url: str, tokens: list[str], seconds: float, expect: int) -> tuple[float, float]:
    """Requests per second and median latency (ms) of one client thread per token posting for ``seconds``."""
    body = {"prompt": "a lighthouse at dusk", "duration_s": 1.125, "resolution": 64, "aspect_ratio": "1:1", "fps": 8}
    latencies: list[float] = []
    errors = []
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def client(token: str):
        while time.monotonic() < stop:
            request = urllib.request.Request(
                url, data=json.dumps(body).encode(), method="POST",
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                         "Idempotency-Key": uuid.uuid4().hex},
            )  # fmt: skip
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    ok = response.status == expect
            except Exception as exc:  # a benchmark reports failures, it does not hide them
                ok = False
                errors.append(exc)
            with lock:
                if ok:
                    latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=client, args=(token,)) for token in tokens]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    if errors:
        print(f"  {len(errors)} failed requests, first: {errors[0]!r}")
    return len(latencies) / elapsed, 1000 * statistics.median(latencies) if latencies else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args()
    env = environment(fresh_database("vernissage_bench_api"))
    manage(env, "migrate", "--noinput")
    setup_django(env)
    tokens = prepare(args.clients)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
         "--threads", "4", "--env", "DJANGO_SETTINGS_MODULE=bench.support.settings", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        hammer(f"{base}/bench/bare/", tokens, 1, 201)  # warm both paths
        hammer(f"{base}/api/v1/generations/", tokens, 1, 201)
        bare_rps, bare_ms = hammer(f"{base}/bench/bare/", tokens, args.seconds, 201)
        full_rps, full_ms = hammer(f"{base}/api/v1/generations/", tokens, args.seconds, 201)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"gunicorn {args.workers} workers x 4 threads, {args.clients} clients (one artist each), "
        f"{args.seconds:g} s each, "
        "PostgreSQL + Redis"
    )
    print(f"  bare token-authenticated DRF insert: {bare_rps:7.1f} req/s (median {bare_ms:.1f} ms)")
    print(f"  POST /api/v1/generations/:          {full_rps:7.1f} req/s (median {full_ms:.1f} ms)")
    print(f"  ratio: {full_rps / bare_rps:.2f}x the bare endpoint (target >= 0.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
