"""Claim-and-decide operations per second through gunicorn on PostgreSQL and Redis, against a bare
token-authenticated DRF endpoint in the same run (python bench/review_queue.py [--seconds 10]).

10,000 pending publication requests across 5 cohorts; 8 reviewers (each with two-factor set up and a
token with reviews:write) claim the most urgent item and decide it (a third approved, which publishes
and signs the clip, the rest rejected or sent back with a reason), concurrently. Prints operations per
second next to the bare endpoint's requests per second, the p50/p95 of a claim, and checks that no
request was decided twice. Target: claim p95 at most 25 ms here, 0 double decisions.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support.services import ROOT, environment, free_port, fresh_database, manage, setup_django
from core.stats import percentile

COHORTS, ARTISTS_PER_COHORT = 5, 20


def prepare(requests_total: int, reviewers: int) -> list[str]:
    """The cohorts, artists, clips and pending requests (bulk-inserted), and one token per reviewer."""
    from datetime import timedelta

    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.utils import timezone

    from accounts.models import Cohort, Membership, User
    from accounts.services import token_create
    from generations.demo import demo_rendered_clip
    from generations.models import Generation
    from generations.services import credit_account_open
    from reviews.demo import DEMO_REASONS
    from reviews.models import PublicationRequest, ReasonCode

    for code, label, description, clause in DEMO_REASONS:
        ReasonCode.objects.create(code=code, label=label, description=description, policy_clause=clause)
    cohorts = [Cohort.objects.create(name=f"Cohort {n}", slug=f"cohort-{n}", status="active") for n in range(COHORTS)]
    artists = []
    for cohort in cohorts:
        for n in range(ARTISTS_PER_COHORT):
            artist = User.objects.create_user(f"artist{n}@{cohort.slug}.example.org", "bench-password-1")
            Membership.objects.create(user=artist, cohort=cohort)
            artists.append((artist, cohort, credit_account_open(user=artist, cohort=cohort)))
    # One real clip file, shared by every generation row: approving signs it, as in production.
    template = demo_rendered_clip(artists[0][0], cohorts[0], "bench clip", hue=0.4)
    video_name, poster_name = template.video.name, template.poster.name
    now = timezone.now()
    generations = [
        Generation(
            artist=artist, cohort=cohort, account=account, prompt=f"bench clip {n}", preset="tiny", width=128,
            height=128, num_frames=17, fps=8, steps=4, guidance=1.0, seed=n, cost=0, status="succeeded",
            progress=100, finished_at=now, video=video_name, poster=poster_name, video_sha256=template.video_sha256,
        )
        for n in range(requests_total)
        for artist, cohort, account in [artists[n % len(artists)]]
    ]  # fmt: skip
    Generation.objects.bulk_create(generations, batch_size=1000)
    PublicationRequest.objects.bulk_create(
        [
            PublicationRequest(
                generation=generation, artist=generation.artist, cohort=generation.cohort, title=f"Clip {n}",
                credit_line="Bench artist", deadline_at=now + timedelta(hours=72, seconds=n),
            )
            for n, generation in enumerate(generations)
        ],
        batch_size=1000,
    )  # fmt: skip
    tokens = []
    for n in range(reviewers):
        reviewer = User.objects.create_user(f"reviewer{n}@example.org", "bench-password-1", role="reviewer")
        TOTP.activate(reviewer, generate_totp_secret())
        for cohort in cohorts:
            Membership.objects.create(user=reviewer, cohort=cohort, role="reviewer")
        tokens.append(token_create(user=reviewer, name="bench", scopes=["reviews:write"], second_factor=True)[1])
    return tokens


def call(url: str, token: str, body: dict | None = None) -> tuple[int, dict | None]:
    request = urllib.request.Request(
        url, data=json.dumps(body or {}).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
        return response.status, json.loads(raw) if raw else None


OUTCOMES = [
    {"outcome": "approve"},
    {"outcome": "reject", "reason_code": "third-party-ip", "note": "The logo belongs to someone else."},
    {"outcome": "request_changes", "reason_code": "technical-defect", "note": "The last frames are black."},
]


def review(base: str, tokens: list[str], seconds: float) -> dict:
    """Each reviewer thread claims and decides until time is up; returns counts and claim latencies."""
    claims: list[float] = []
    decided: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def reviewer(token: str, offset: int):
        n = offset
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                status, item = call(f"{base}/api/v1/review-queue/claim/", token)
                claim_s = time.perf_counter() - started
                if status == 204:
                    return
                status, _ = call(f"{base}/api/v1/publication-requests/{item['id']}/decision/", token, OUTCOMES[n % 3])
            except Exception as exc:  # a benchmark reports failures, it does not hide them
                with lock:
                    errors.append(repr(exc))
                continue
            n += 1
            with lock:
                claims.append(claim_s)
                if status == 201:
                    decided.append(item["id"])

    threads = [threading.Thread(target=reviewer, args=(token, i)) for i, token in enumerate(tokens)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"elapsed": time.monotonic() - began, "claims": claims, "decided": decided, "errors": errors}


def bare(base: str, tokens: list[str], seconds: float) -> tuple[float, list[float]]:
    """Requests per second of the bare endpoint, and each request's latency in ms."""
    latencies, lock, stop = [], threading.Lock(), time.monotonic() + seconds

    def client(token):
        while time.monotonic() < stop:
            started = time.perf_counter()
            status, _ = call(f"{base}/bench/bare/", token, {"prompt": "bare"})
            with lock:
                if status == 201:
                    latencies.append(1000 * (time.perf_counter() - started))

    threads = [threading.Thread(target=client, args=(token,)) for token in tokens]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.monotonic() - began), latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--reviewers", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args()
    env = environment(fresh_database("vernissage_bench_reviews"))
    manage(env, "migrate", "--noinput")
    setup_django(env)
    started = time.perf_counter()
    tokens = prepare(args.requests, args.reviewers)
    from django.db import connection

    with connection.cursor() as cursor:  # statistics, as autovacuum would have them on a live database
        cursor.execute("ANALYZE")
    connection.close()  # nothing of this process's session stays open while the server works
    print(f"prepared {args.requests} pending requests in {COHORTS} cohorts in {time.perf_counter() - started:.1f} s")
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
        bare(base, tokens, 1)  # warm both paths
        review(base, tokens, 1)
        bare_rps, bare_ms = bare(base, tokens, args.seconds)
        alone = review(base, tokens[:1], args.seconds / 2)  # one reviewer: the claim without queueing
        result = review(base, tokens, args.seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)

    from django.db.models import Count

    from reviews.models import Decision, Publication

    doubles = Decision.objects.values("request", "stage").annotate(count=Count("id")).filter(count__gt=1).count()
    answered_twice = len(result["decided"]) - len(set(result["decided"]))
    operations = len(result["decided"]) / result["elapsed"]
    claims_ms = [1000 * seconds for seconds in result["claims"]]
    setup = f"gunicorn {args.workers} workers x 4 threads, {args.reviewers} reviewers, {args.seconds:g} s"
    print(f"{setup}, PostgreSQL + Redis")
    print(
        f"  bare token-authenticated DRF insert: {bare_rps:7.1f} req/s "
        f"(p50 {statistics.median(bare_ms):.1f} ms, p95 {percentile(bare_ms, 0.95):.1f} ms)"
    )
    print(
        f"  claim + decide through the API:      {operations:7.1f} operations/s "
        f"({2 * operations:.1f} req/s; {operations / bare_rps:.2f}x the bare endpoint's requests)"
    )
    p50, p95 = statistics.median(claims_ms), percentile(claims_ms, 0.95)
    print(f"  claim with {args.reviewers} reviewers: p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 <= 25)")
    alone_ms = [1000 * seconds for seconds in alone["claims"]]
    print(
        f"  claim with one reviewer:  p50 {statistics.median(alone_ms):.1f} ms, p95 {percentile(alone_ms, 0.95):.1f} ms"
    )
    print(
        f"  decisions: {Decision.objects.count()} in the database, {doubles} requests decided twice, "
        f"{answered_twice} answered twice; {Publication.objects.exclude(signed_at=None).count()} publications signed"
    )
    if result["errors"]:
        print(f"  {len(result['errors'])} failed calls, first: {result['errors'][0]}")
    return 1 if doubles or answered_twice else 0


if __name__ == "__main__":
    sys.exit(main())
