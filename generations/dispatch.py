"""Claiming work fairly, holding it with a lease, and settling it exactly once.

A worker claims queued generations from the database, not from the broker:
the row is the truth and the message only a wake-up, so duplicate or late
messages find nothing to do. The order is fair share, not first-in-first-out:
the artist with the least GPU time in the last 24 hours (divided by their
cohort's weight) goes first, and nobody runs more jobs at once than their cap.
A claim holds a lease the worker renews while it renders; a beat task gives
expired leases' jobs to another worker (at most GENERATION_MAX_ATTEMPTS) or
fails them and releases their credits.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import (
    Case,
    F,
    IntegerField,
    Value,
    When,
)
from django.utils import timezone

from accounts.selectors import program_switches
from core.locking import skip_locked
from generations import lanes, ledger, webhooks
from generations.models import Generation
from generations.pricing import presets
from generations.selectors import artists_with_paid_waiting, fair_share_queue

logger = logging.getLogger(__name__)
Status = Generation.Status


@dataclass(frozen=True)
class Claim:
    owner: str
    generations: list[Generation]


def claim_batch(*, owner: str, max_batch: int | None = None) -> Claim:
    """Claim the fairest queued generation and any compatible ones (same preset, size, frames, steps),
    at most as many as its preset batches (or ``max_batch``)."""
    if program_switches().generation_paused:
        return Claim(owner, [])
    now = timezone.now()
    lease = now + timedelta(seconds=settings.GENERATION_LEASE_SECONDS)
    with transaction.atomic():
        first = skip_locked(fair_share_queue()).first()
        if first is None:
            return Claim(owner, [])
        chosen, per_artist = [first], {first.artist_id: first.running_now + 1}
        preset = presets().get(first.preset)
        max_batch = max_batch or (preset.max_batch if preset else 1)
        if max_batch > 1 and not first.start_image_id:  # a clip from an image renders alone
            compatible = skip_locked(
                fair_share_queue()
                .exclude(pk=first.pk)
                .filter(preset=first.preset, width=first.width, height=first.height, num_frames=first.num_frames,
                        steps=first.steps, guidance=first.guidance, style=first.style, start_image__isnull=True,
                        lane=first.lane)  # a batch never mixes lanes: no relaxed clip while a paid one may run
            )[: max_batch * 4]  # fmt: skip
            for candidate in compatible:
                taken = per_artist.get(candidate.artist_id, candidate.running_now)
                if len(chosen) < max_batch and taken < candidate.running_cap:
                    chosen.append(candidate)
                    per_artist[candidate.artist_id] = taken + 1
        claimed = []
        for generation in chosen:
            updated = Generation.objects.filter(pk=generation.pk, status=Status.QUEUED).update(
                status=Status.RUNNING, started_at=now, attempts=F("attempts") + 1, lease_owner=owner,
                lease_expires_at=lease, progress=0,
            )  # fmt: skip
            if updated:
                claimed.append(generation.pk)
    claimed = Generation.objects.filter(pk__in=claimed).select_related("account", "start_image").order_by("id")
    return Claim(owner, list(claimed))


def heartbeat(*, owner: str, progress: dict[int, int]) -> dict[int, bool]:
    """Renew the leases this worker holds and record progress.

    Returns {id: stop} for the leases it still holds: stop when the artist cancelled, or when the clip
    is a relaxed one and a paid clip is waiting for a GPU (it yields; the worker hands it back).
    """
    lease = timezone.now() + timedelta(seconds=settings.GENERATION_LEASE_SECONDS)
    percents = [When(pk=generation_id, then=Value(min(99, max(0, p)))) for generation_id, p in progress.items()]
    Generation.objects.filter(pk__in=list(progress), status=Status.RUNNING, lease_owner=owner).update(
        lease_expires_at=lease, progress=Case(*percents, default=F("progress"), output_field=IntegerField())
    )  # one statement for the whole batch
    held = list(
        _held(owner=owner, generation_ids=list(progress)).values_list("pk", "cancel_requested", "lane", "artist_id")
    )
    flags = {pk: cancel for pk, cancel, _, _ in held}
    held_relaxed = {pk: artist for pk, _, lane, artist in held if lane == Generation.Lane.RELAXED}
    if held_relaxed:  # checked once a beat (about a second while rendering), not every step
        waiting_paid = fair_share_queue().filter(lane=Generation.Lane.PAID)[:WAKE_AT_MOST].count()
        yielding = lanes.relaxed_to_yield(held=list(held_relaxed), waiting_paid=waiting_paid)
        # The artist's own paid clip, held back only by their running cap, is waiting for this GPU too.
        own = artists_with_paid_waiting(artist_ids=set(held_relaxed.values()))
        yielding |= {pk for pk, artist in held_relaxed.items() if artist in own}
        if yielding:
            Generation.objects.filter(pk__in=yielding).update(yielded_at=timezone.now())  # the card says why
        for generation_id in yielding:
            flags[generation_id] = True
    return flags


def _held(*, owner: str, generation_ids: list[int]):
    return Generation.objects.filter(pk__in=generation_ids, status=Status.RUNNING, lease_owner=owner)


def cancel_flags(*, owner: str, generation_ids: list[int]) -> dict[int, bool]:
    """{id: cancel requested} for the generations whose lease ``owner`` still holds (one query)."""
    return dict(_held(owner=owner, generation_ids=generation_ids).values_list("pk", "cancel_requested"))


def _settle(generation_id: int, owner: str, **fields) -> Generation | None:
    """Lock the row and end it, if this worker still holds its lease. Caller is inside a transaction."""
    generation = Generation.objects.select_for_update().select_related("account").get(pk=generation_id)
    if generation.status != Status.RUNNING or generation.lease_owner != owner:
        return None  # the lease expired and the job went elsewhere: this result is not ours to record
    for name, value in fields.items():
        setattr(generation, name, value)
    generation.finished_at = timezone.now()
    generation.lease_owner, generation.lease_expires_at = "", None
    generation.save(update_fields=[*fields, "finished_at", "lease_owner", "lease_expires_at"])  # not every column
    webhooks.webhook_enqueue(generation)
    return generation


def finish_succeeded(
    *,
    generation_id: int,
    owner: str,
    video_path: Path,
    poster_path: Path,
    gpu_seconds: float,
    module_ms: dict[str, float] | None = None,
) -> bool:
    """Store the clip, record its hash, charge the reservation, and record the job's phase timings
    (``module_ms``: the inference module's own). Returns False when the lease was lost, or when the artist
    cancelled before the clip was stored: then it ends canceled, uncharged, and nothing is kept."""
    if Generation.objects.filter(pk=generation_id, cancel_requested=True).exists():
        finish_canceled(generation_id=generation_id, owner=owner, gpu_seconds=gpu_seconds)
        return False
    store_started = time.perf_counter()
    digest = hashlib.sha256()
    with open(video_path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    with open(video_path, "rb") as video, open(poster_path, "rb") as poster:
        # Files first, outside the lock; a lost lease deletes them again below.
        stored_video = Generation.video.field.storage.save(
            f"clips/{generation_id}/{digest.hexdigest()[:16]}.mp4", File(video)
        )
        stored_poster = Generation.poster.field.storage.save(f"clips/{generation_id}/poster.jpg", File(poster))
    settle_started = time.perf_counter()
    with transaction.atomic():
        # A cancel that arrived while the files were stored still wins: under the row lock, either the
        # cancel was asked first (canceled, released) or it comes after and finds the clip finished.
        cancelled = Generation.objects.select_for_update().filter(pk=generation_id, cancel_requested=True).exists()
        if cancelled:
            generation = _settle(generation_id, owner, status=Status.CANCELED, gpu_seconds=gpu_seconds)
            if generation is not None:
                ledger.credits_release(generation=generation)
        else:
            generation = _settle(
                generation_id, owner, status=Status.SUCCEEDED, progress=100, gpu_seconds=gpu_seconds,
                video=stored_video, poster=stored_poster, video_sha256=digest.hexdigest(),
                video_bytes=Path(video_path).stat().st_size,
            )  # fmt: skip
            if generation is not None:
                ledger.credits_charge(generation=generation)
    if generation is None or cancelled:
        Generation.video.field.storage.delete(stored_video)
        Generation.poster.field.storage.delete(stored_poster)
        return False
    settled = time.perf_counter()
    phases = {
        **(module_ms or {}),
        "queue_wait": (generation.started_at - generation.queued_at).total_seconds() * 1000,
        "store": (settle_started - store_started) * 1000,
        "settle": (settled - settle_started) * 1000,
    }
    # Written after the settle it measures (one small update, outside the timed phases).
    Generation.objects.filter(pk=generation_id).update(phase_ms={k: round(v, 2) for k, v in phases.items()})
    return True


def finish_failed(*, generation_id: int, owner: str, message: str, gpu_seconds: float = 0.0) -> bool:
    with transaction.atomic():
        generation = _settle(
            generation_id, owner, status=Status.FAILED, failure_message=message[:500], gpu_seconds=gpu_seconds
        )
        if generation is not None:
            ledger.credits_release(generation=generation)
    return generation is not None


def finish_canceled(*, generation_id: int, owner: str, gpu_seconds: float = 0.0) -> bool:
    with transaction.atomic():
        generation = _settle(generation_id, owner, status=Status.CANCELED, gpu_seconds=gpu_seconds)
        if generation is not None:
            ledger.credits_release(generation=generation)
    return generation is not None


def hand_back(*, generation_id: int, owner: str) -> bool:
    """A worker that is stopping, or a relaxed clip yielding to a paid one, puts the running job back in
    the queue as it was: not charged (the reservation stays), the attempt not counted. False when the
    lease was lost (the job is someone else's now) or the artist asked to cancel it (then
    finish_canceled). No wake-up is sent here: the worker's render ends by waking one for what waits
    (a stopping worker's does not; the beat's wake-up, every 30 s, reaches another worker)."""
    handed = Generation.objects.filter(
        pk=generation_id, status=Status.RUNNING, lease_owner=owner, cancel_requested=False, attempts__gte=1
    ).update(
        status=Status.QUEUED, lease_owner="", lease_expires_at=None, progress=0, started_at=None,
        attempts=F("attempts") - 1,
    )  # fmt: skip
    return bool(handed)


def requeue_expired() -> tuple[int, int]:
    """Jobs whose worker stopped renewing its lease: queue them again, or after the last attempt fail
    them and release their credits. Returns (requeued, failed). Either way workers are woken: a job
    is waiting again, or a running slot is free."""
    requeued = failed = 0
    now = timezone.now()
    with transaction.atomic():
        expired = skip_locked(Generation.objects.filter(status=Status.RUNNING, lease_expires_at__lt=now))
        for generation in expired.select_related("account"):
            if generation.attempts < settings.GENERATION_MAX_ATTEMPTS:
                Generation.objects.filter(pk=generation.pk).update(
                    status=Status.QUEUED, lease_owner="", lease_expires_at=None, progress=0, started_at=None
                )
                requeued += 1
            else:
                Generation.objects.filter(pk=generation.pk).update(
                    status=Status.FAILED, lease_owner="", lease_expires_at=None, finished_at=now,
                    failure_message="The render stopped unexpectedly several times; your credits were returned.",
                )  # fmt: skip
                ledger.credits_release(generation=generation)
                generation.status = Status.FAILED
                webhooks.webhook_enqueue(generation)
                failed += 1
        if requeued or failed:
            transaction.on_commit(wake_for_waiting_jobs)
    if requeued or failed:
        logger.warning("Expired leases: %d generation(s) queued again, %d failed", requeued, failed)
    return requeued, failed


# --- Waking the workers ------------------------------------------------------------------------------
# A message on the gpu queue only wakes a worker, which then claims from the database; a message that
# finds nothing runnable is spent. So workers are woken whenever work may have become runnable (a
# submission, a resumed program, cohort, membership or account, a finished job freeing a running
# slot, a re-queue), and a beat task wakes one every 30 seconds while runnable jobs wait, so that no
# job depends on a single message arriving.

RENDER_TASK = "generations.gpu.render_next"  # sent by name: nothing below tasks.py imports it
WAKE_AT_MOST = 8  # messages per wake-up; each idle worker needs one, more would only be spent


def live_workers(*, timeout_s: float = 1.0) -> list[str]:
    """The names of the Celery workers that answer a ping within ``timeout_s`` (for /readyz and the queue page)."""
    from celery import current_app

    return sorted(name for reply in current_app.control.ping(timeout=timeout_s) for name in reply)


def workers_by_queue(*, timeout_s: float = 1.0) -> dict[str, list[str]]:
    """The live Celery workers per queue they consume (the worker tier's health: /staff/health/, /metrics)."""
    from celery import current_app

    replies = current_app.control.inspect(timeout=timeout_s).active_queues() or {}
    queues: dict[str, list[str]] = {}
    for worker, consumed in replies.items():
        for queue in consumed:
            queues.setdefault(queue["name"], []).append(worker)
    return {name: sorted(workers) for name, workers in sorted(queues.items())}


def wake_workers(*, count: int = 1) -> None:
    """Send ``count`` wake-up messages to the gpu queue (routed there by the task's name)."""
    from celery import current_app

    for _ in range(count):
        current_app.send_task(RENDER_TASK)


def wake_for_waiting_jobs(*, at_most: int = WAKE_AT_MOST) -> int:
    """One wake-up per job that could start now (at most ``at_most``); returns how many were sent."""
    if program_switches().generation_paused:
        return 0
    runnable = fair_share_queue()[:at_most].count()
    wake_workers(count=runnable)
    return runnable
