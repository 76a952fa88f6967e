"""The GPU worker's runtime: its identity, the render loop (claim, render with a heartbeat, record), the
graceful stop on SIGTERM and the waits through a database restart. generations.tasks holds only the Celery
tasks that call it; the rules stay in dispatch (claims, leases, settling) and the ledger."""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
import uuid
from pathlib import Path

import billiard.process
from celery.signals import worker_process_init, worker_shutting_down
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection

import core.retry
import inference
from generations import dispatch, selectors
from generations.pricing import presets

logger = logging.getLogger(__name__)

# One identity per worker process: leases name it, so a restarted process never mistakes an old lease for its own.
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

FAILURE_MESSAGES = {
    inference.GpuOutOfMemoryError: (
        "The GPU ran out of memory for this clip. Try a shorter or smaller one; your credits were returned."
    ),
    inference.ModelFolderError: (
        "The model is not available right now; your credits were returned. The team has been told."
    ),
}
GENERIC_FAILURE = "Something went wrong while rendering; your credits were returned."


# --- Stopping gracefully --------------------------------------------------------------------------
# On SIGTERM (Kubernetes stopping a pod, Ctrl-C under honcho) a worker claims nothing more and lets its
# running job go on for GENERATION_SHUTDOWN_GRACE_SECONDS; past that the job stops at the next step
# boundary and is handed back to the queue, uncharged and without counting an attempt. Celery's warm
# shutdown waits for the task; the signal reaches the process that renders: the worker itself (solo
# pool) or, forwarded, its pool's children (prefork).
_stop_deadline: float | None = None


def begin_graceful_stop(*_args, **_kwargs) -> None:
    global _stop_deadline
    if _stop_deadline is None:
        _stop_deadline = time.monotonic() + settings.GENERATION_SHUTDOWN_GRACE_SECONDS
        logger.info("Stopping: no new jobs; the running one has %s s", settings.GENERATION_SHUTDOWN_GRACE_SECONDS)


def _stopping() -> bool:
    return _stop_deadline is not None


def _past_grace() -> bool:
    return _stop_deadline is not None and time.monotonic() >= _stop_deadline


@worker_shutting_down.connect
def _worker_shutting_down(sig=None, how=None, **kwargs) -> None:
    if how != "Warm":
        return
    begin_graceful_stop()
    for child in billiard.process.active_children():  # prefork: the children render, and keep rendering
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signal.SIGTERM)


_in_pool_child = False


@worker_process_init.connect
def _mark_pool_child(**kwargs) -> None:
    global _in_pool_child
    # The solo pool sends this signal too, from the worker's own process: only a forked child counts.
    _in_pool_child = billiard.process.current_process().name != "MainProcess"


def _pool_child_stops_gracefully() -> None:
    """In a prefork child, SIGTERM begins a graceful stop instead of ending the process at once. Set when
    a job starts: billiard installs its own handler after every initializer hook has run."""
    if (
        _in_pool_child
        and threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGTERM) is not begin_graceful_stop
    ):
        signal.signal(signal.SIGTERM, begin_graceful_stop)


class _Heartbeat(threading.Thread):
    """Renews the claim's leases every third of the lease, also while a model loads or a step runs long."""

    def __init__(self, claim: dispatch.Claim):
        super().__init__(daemon=True, name="generation-heartbeat")
        self.claim = claim
        self.progress = {generation.pk: 0 for generation in claim.generations}
        self.cancel = {generation.pk: False for generation in claim.generations}
        self.stopped = threading.Event()

    def beat(self) -> None:
        with _database_may_be_restarting():
            self._apply(dispatch.heartbeat(owner=self.claim.owner, progress=dict(self.progress)))

    def refresh_cancels(self) -> None:
        with _database_may_be_restarting():
            self._apply(dispatch.cancel_flags(owner=self.claim.owner, generation_ids=list(self.cancel)))

    def _apply(self, held: dict[int, bool]) -> None:
        for generation_id in self.cancel:
            # A lost lease stops the work as surely as a cancel: someone else owns the job now. A stop once
            # seen stays (a relaxed clip told to yield by a beat is not restarted by the next step's read).
            self.cancel[generation_id] = self.cancel[generation_id] or held.get(generation_id, True)

    def run(self) -> None:
        interval = settings.GENERATION_LEASE_SECONDS / 3
        try:
            while not self.stopped.wait(interval):
                self.beat()
        finally:
            connection.close()


@contextlib.contextmanager
def _database_may_be_restarting():
    """A lost connection (PostgreSQL restarting, a failover) skips one lease renewal or cancel check
    instead of failing the render: the next one reconnects, and the lease outlasts several misses."""
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        connection.close()
        logger.warning("Database unreachable during a render, will try again: %s", exc)


def _settle_when_database_answers(settle, *args, **kwargs):
    """Run ``settle(*args, **kwargs)`` (a dispatch.finish_* call or _record), trying again with backoff
    while the database is unreachable, for up to half the lease; past that the lease decides (the job
    is queued again).
    A retried settle cannot settle twice: dispatch._settle checks the lease under a row lock."""
    deadline = time.monotonic() + settings.GENERATION_LEASE_SECONDS / 2
    for attempt in itertools.count():
        try:
            return settle(*args, **kwargs)
        except (OperationalError, InterfaceError) as exc:
            connection.close()
            delay = core.retry.backoff_seconds(attempt + 1, first=0.5, most=5)
            if time.monotonic() + delay > deadline:
                raise
            logger.warning("Database unreachable while recording a render, trying again in %.1f s: %s", delay, exc)
            time.sleep(delay)


def _local_copy(start_image, folder: str) -> str | None:
    """A local file of the job's start image for the inference module (storage may be a bucket)."""
    if start_image is None:
        return None
    path = Path(folder) / f"start-{start_image.public_id}{Path(start_image.file.name).suffix}"
    with start_image.file.open("rb") as stored, open(path, "wb") as local:
        shutil.copyfileobj(stored, local)
    return str(path)


def render_claim(claim: dispatch.Claim) -> None:
    heartbeat = _Heartbeat(claim)
    heartbeat.start()
    last_beat = [time.monotonic()]
    first_id = str(claim.generations[0].pk)

    shares = selectors.phase_shares(preset=claim.generations[0].preset)
    last_cancel_read = [0.0]

    def on_progress(request_id: str, phase: str, done: int, total: int) -> None:
        # Every phase counts by its expected share; the bar never goes back (a batch that drops a
        # cancelled clip starts the others again) and stays below 100 until the clip is stored.
        percent = int(100 * progress_fraction(shares, phase, done, total))
        heartbeat.progress[int(request_id)] = max(heartbeat.progress[int(request_id)], percent)
        if request_id != first_id:
            return  # called once per clip of the batch: look at the database once per boundary
        now = time.monotonic()
        if now - last_beat[0] >= 1.0:  # live progress without a write per step
            heartbeat.beat()
            last_beat[0] = now
        elif phase == "denoise" or now - last_cancel_read[0] >= 0.1:
            # One read per step (a cancel stops the render within a step) and at most ten a second
            # between the decode's and the encode's many small pieces.
            heartbeat.refresh_cancels()
            last_cancel_read[0] = now

    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="vernissage-render-") as out:
            requests = [
                inference.GenerationRequest(
                    id=str(g.pk), prompt=g.prompt, negative_prompt=g.negative_prompt, width=g.width,
                    height=g.height, num_frames=g.num_frames, fps=g.fps, steps=g.steps, guidance=g.guidance,
                    seed=g.seed, preset=g.preset, start_image=_local_copy(g.start_image, out),
                    image_fit=g.image_fit or "crop", style=g.style or None,
                )
                for g in claim.generations
            ]  # fmt: skip
            outcomes = inference.generate(
                requests,
                output_dir=out,
                presets=presets(),
                on_progress=on_progress,
                should_cancel=lambda request_id: heartbeat.cancel.get(int(request_id), True) or _past_grace(),
            )
            for outcome in outcomes:
                _settle_when_database_answers(_record, claim.owner, outcome)
    except Exception as exc:  # every job must end in exactly one state; the artist gets a plain message
        message = next((text for kind, text in FAILURE_MESSAGES.items() if isinstance(exc, kind)), GENERIC_FAILURE)
        logger.exception("Rendering generations %s failed", [g.pk for g in claim.generations])
        share = (time.perf_counter() - started) / len(claim.generations)
        for generation in claim.generations:
            _settle_when_database_answers(
                dispatch.finish_failed, generation_id=generation.pk, owner=claim.owner, message=message,
                gpu_seconds=share,
            )  # fmt: skip
    finally:
        heartbeat.stopped.set()
        heartbeat.join(timeout=5)
        # This claim's running slots are free now: whatever waited on them (or on this worker) may start.
        # A stopping worker sends no wake-up: it would take the message itself (the beat wakes another).
        if not _stopping():
            dispatch.wake_for_waiting_jobs(at_most=1)


def progress_fraction(shares: dict[str, float], phase: str, done: int, total: int) -> float:
    """How far a clip is, 0 to 1, when ``phase`` has ``done`` of ``total`` pieces behind it."""
    before = sum(shares[earlier] for earlier in selectors.PROGRESS_PHASES[: selectors.PROGRESS_PHASES.index(phase)])
    return (before + shares[phase] * done / max(total, 1)) / sum(shares.values())


def _record(owner: str, outcome: inference.Outcome) -> None:
    generation_id = int(outcome.request_id)
    if isinstance(outcome, inference.Cancelled):
        # Stopped for the worker's shutdown, or a relaxed clip yielding to a paid one: back to the queue as
        # it was. hand_back refuses a clip the artist cancelled (it ends canceled) and a lost lease (neither).
        if not dispatch.hand_back(generation_id=generation_id, owner=owner):
            dispatch.finish_canceled(generation_id=generation_id, owner=owner)
        return
    t = outcome.timings
    dispatch.finish_succeeded(
        generation_id=generation_id,
        owner=owner,
        video_path=outcome.video_path,
        poster_path=outcome.poster_path,
        gpu_seconds=t.load_s + t.denoise_s + t.decode_s,
        module_ms={"load": t.load_s * 1000, "denoise": t.denoise_s * 1000, "decode": t.decode_s * 1000,
                   "encode": t.encode_s * 1000},
    )  # fmt: skip


def render_next_claim() -> None:
    """What a wake-up does: claim the fairest queued work and render it (nothing while stopping)."""
    _pool_child_stops_gracefully()
    if _stopping():
        return  # a stopping worker claims nothing; the message's job waits for another worker
    claim = dispatch.claim_batch(owner=WORKER_ID)
    if claim.generations:
        render_claim(claim)
