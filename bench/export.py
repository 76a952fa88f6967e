"""The export's memory, flat in the number of clips (python bench/export.py [--small 20] [--large 200]).

Two artists on PostgreSQL, one with --small clips and one with --large, every clip with a 1-MiB video
and a poster of its own on the file system. Each archive is built in this process, as the exports
worker builds it, with tracemalloc tracing; prints each build's peak of traced memory and resident
set growth, the archive sizes, and the ratio of the large build's peak to the small one's. A ratio
near 1 while the archive grows tenfold is the target: files are copied in chunks, rows read in batches.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support.services import environment, fresh_database, manage, setup_django

VIDEO_BYTES = 1024 * 1024


def artist_with_clips(n: int, label: str):
    import os
    import uuid

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from accounts.models import Cohort, Membership, User
    from generations.models import Generation
    from generations.services import credit_account_open

    cohort = Cohort.objects.create(name=f"Bench {label}", slug=f"bench-{label}", status="active")
    artist = User.objects.create_user(f"{label}@example.org", "bench-password-1")
    Membership.objects.create(user=artist, cohort=cohort)
    account = credit_account_open(user=artist, cohort=cohort)
    now = timezone.now()
    for i in range(n):
        generation = Generation(
            artist=artist, cohort=cohort, account=account, prompt=f"clip {i}", preset="tiny", width=128,
            height=128, num_frames=17, fps=8, steps=4, guidance=1.0, seed=i, cost=0, status="succeeded",
            progress=100, queued_at=now, started_at=now, finished_at=now, attempts=1, public_id=uuid.uuid4(),
        )  # fmt: skip
        generation.video.save(f"bench-{label}-{i}.mp4", ContentFile(os.urandom(VIDEO_BYTES)), save=False)
        generation.poster.save(f"bench-{label}-{i}.jpg", ContentFile(os.urandom(16 * 1024)), save=False)
        generation.save()
    return artist


def measured_build(artist) -> tuple[int, int, int, float]:
    """Traced peak, resident growth (KiB), archive bytes and seconds of one build."""
    from privacy import services
    from privacy.models import DataExport

    export = services.export_request(user=artist)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    started = time.perf_counter()
    assert services.export_build(export_id=export.pk) == "ready"
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    return peak, rss_growth, DataExport.objects.get(pk=export.pk).size_bytes, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=20)
    parser.add_argument("--large", type=int, default=200)
    args = parser.parse_args()
    env = environment(fresh_database("vernissage_bench_export"))
    manage(env, "migrate", "--noinput")
    setup_django(env)
    small, large = artist_with_clips(args.small, "small"), artist_with_clips(args.large, "large")
    warm = artist_with_clips(2, "warm")
    measured_build(warm)  # the first build imports modules; that is not the archive's memory
    results = {}
    for label, artist, clips in (("small", small, args.small), ("large", large, args.large)):
        peak, rss, size, seconds = measured_build(artist)
        results[label] = peak
        print(
            f"{clips:4d} clips: archive {size / 2**20:7.1f} MiB in {seconds:5.2f} s; traced peak "
            f"{peak / 2**20:5.2f} MiB; resident growth {rss / 1024:5.1f} MiB"
        )
    ratio = results["large"] / results["small"]
    print(f"peak ratio large/small: {ratio:.2f} for {args.large / args.small:.0f}x the clips (target: under 1.5)")
    return 0 if ratio < 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
