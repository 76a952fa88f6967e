"""Honest progress and cancel on a real render: every phase counts, the bar never goes back nor reaches
100 before the clip is stored, and a cancel during the VAE decode stops the job there, uncharged."""

import contextlib
import time

import pytest

from core.errors import ApplicationError
from generations import dispatch, selectors, services, tasks
from generations import worker as runtime
from generations.models import Generation, LedgerEntry
from generations.pricing import presets
from inference.pipelines import select_device, warm_pipeline
from tests.support.clips import SMALL

pytestmark = pytest.mark.usefixtures("wake_ups")


@contextlib.contextmanager
def slowed_decode(preset: str, *, seconds: float, before_piece=None):
    """Each piece of the warm pipeline's VAE decode takes ``seconds`` longer (a slow GPU's decode)."""
    handle, _ = warm_pipeline(presets()[preset], select_device())
    pieces = []

    def slow(module, args):
        pieces.append(module)
        if before_piece:
            before_piece(len(pieces))
        time.sleep(seconds)

    decoder = handle.pipeline.vae.decoder
    hooks = [module.register_forward_pre_hook(slow) for module in (decoder, *decoder.up_blocks)]
    try:
        yield pieces
    finally:
        for hook in hooks:
            hook.remove()


def test_a_cancel_during_the_decode_stops_the_job_uncharged(artist, cohort):
    generation = services.generation_submit(artist=artist, cohort=cohort, prompt="a boat", **SMALL)[0]
    claim = dispatch.claim_batch(owner="w", max_batch=1)

    def artist_cancels(piece: int) -> None:
        if piece == 1:  # the denoising is over; the decode has just begun
            services.generation_cancel(actor=artist, generation=generation)

    with slowed_decode(generation.preset, seconds=0.05, before_piece=artist_cancels) as pieces:
        runtime.render_claim(claim)
    generation.refresh_from_db()
    assert generation.status == "canceled" and not generation.video
    assert len(pieces) <= 4  # of 15: it stopped within a tenth of a second, not after the whole decode
    account = generation.account
    account.refresh_from_db()
    assert (account.available, account.reserved) == (100, 0)
    assert not LedgerEntry.objects.filter(generation=generation, kind="charge").exists()


def test_a_cancel_after_the_clip_is_stored_says_it_is_too_late(artist, cohort):
    generation = services.generation_submit(artist=artist, cohort=cohort, prompt="a boat", **SMALL)[0]
    tasks.render_next(generation.pk)
    with pytest.raises(ApplicationError) as too_late:
        services.generation_cancel(actor=artist, generation=generation)
    assert "finished before it could stop" in too_late.value.message and too_late.value.status == 409


def test_a_cancel_that_arrives_while_the_clip_is_stored_still_wins(artist, cohort):
    generation = services.generation_submit(artist=artist, cohort=cohort, prompt="a boat", **SMALL)[0]
    claim = dispatch.claim_batch(owner="w", max_batch=1)
    Generation.objects.filter(pk=generation.pk).update(cancel_requested=True)  # after the last check, as a race
    runtime.render_claim(claim)
    generation.refresh_from_db()
    assert generation.status == "canceled" and not generation.video
    assert not LedgerEntry.objects.filter(generation=generation, kind="charge").exists()


def test_progress_counts_every_phase_never_goes_back_and_stays_below_100_until_stored(artist, cohort, monkeypatch):
    generation = services.generation_submit(artist=artist, cohort=cohort, prompt="a boat", **SMALL)[0]
    claim = dispatch.claim_batch(owner="w", max_batch=1)
    written = []
    real_heartbeat = dispatch.heartbeat

    def recording_heartbeat(*, owner, progress):
        written.append(progress[generation.pk])
        return real_heartbeat(owner=owner, progress=progress)

    monkeypatch.setattr(dispatch, "heartbeat", recording_heartbeat)
    with slowed_decode(generation.preset, seconds=0.2):  # 15 pieces: three seconds of decode, three beats
        runtime.render_claim(claim)
    generation.refresh_from_db()
    assert generation.status == "succeeded" and generation.progress == 100
    assert len(written) >= 2 and written == sorted(written) and max(written) < 100
    # Inside the decode, so past the denoising's share but short of the encode's.
    shares = selectors.DEFAULT_PHASE_SHARES
    assert any(100 * shares["denoise"] <= value < 100 * (shares["denoise"] + shares["decode"]) for value in written)


def test_phase_shares_come_from_the_presets_recent_clips(db):
    assert selectors.phase_shares(preset="tiny") == selectors.DEFAULT_PHASE_SHARES  # none yet
    fractions = [
        runtime.progress_fraction(selectors.DEFAULT_PHASE_SHARES, phase, done, total)
        for phase, done, total in [("denoise", 1, 4), ("denoise", 4, 4), ("decode", 7, 15), ("encode", 9, 9)]
    ]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(0.9)  # storing is the last tenth


def test_phase_shares_follow_recorded_timings(artist, cohort):
    generation = services.generation_submit(artist=artist, cohort=cohort, prompt="a boat", **SMALL)[0]
    Generation.objects.filter(pk=generation.pk).update(
        status="succeeded", phase_ms={"denoise": 100, "decode": 800, "encode": 50, "store": 40, "settle": 10}
    )
    shares = selectors.phase_shares(preset=generation.preset)
    assert shares == pytest.approx({"denoise": 0.1, "decode": 0.8, "encode": 0.05, "store": 0.05})
