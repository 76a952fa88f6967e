"""Workers claim fairly from the database, hold leases, and every job ends once with the ledger balanced."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.services import generation_pause_set
from generations import dispatch, services, tasks
from generations import worker as runtime
from generations.models import CreditAccount, Generation, LedgerEntry, QuotaOverride
from tests.support.clips import SMALL
from tests.support.dispatch import rendering_in_background

pytestmark = pytest.mark.usefixtures("wake_ups")


def submit(artist, cohort, **overrides):
    return services.generation_submit(artist=artist, cohort=cohort, prompt="a boat", **{**SMALL, **overrides})[0]


def balanced(account_id: int) -> tuple[int, int]:
    account = CreditAccount.objects.get(pk=account_id)
    return account.available, account.reserved


def test_a_job_renders_and_is_charged_once(artist, cohort):
    generation = submit(artist, cohort)
    tasks.render_next(generation.pk)
    generation.refresh_from_db()
    assert generation.status == "succeeded" and generation.progress == 100
    assert generation.video.name and len(generation.video_sha256) == 64 and generation.gpu_seconds > 0
    assert balanced(generation.account_id) == (100 - generation.cost, 0)
    tasks.render_next(generation.pk)  # a duplicate or late message
    assert LedgerEntry.objects.filter(generation=generation, kind="charge").count() == 1
    generation.refresh_from_db()
    assert generation.attempts == 1


def test_fair_share_lets_the_others_go_before_the_busy_artist(artist, cohort, make_artist):
    busy = artist
    busy_jobs = [submit(busy, cohort) for _ in range(5)]
    from generations.models import QuotaOverride

    QuotaOverride.objects.create(user=busy, cohort=cohort, max_queued_per_artist=30)
    busy_jobs += [submit(busy, cohort) for _ in range(15)]
    others = [make_artist() for _ in range(3)]
    their_jobs = [submit(other, cohort) for other in others]
    claimed = []
    for _ in range(4):
        claim = dispatch.claim_batch(owner="worker-1", max_batch=1)
        claimed += [g.artist_id for g in claim.generations]
        for g in claim.generations:  # finish at once, as a fast worker would
            Generation.objects.filter(pk=g.pk).update(status="succeeded", finished_at=timezone.now(), gpu_seconds=5.0)
    assert claimed[0] == busy.pk  # first in, and nobody has used the GPU yet
    assert set(claimed[1:]) == {other.pk for other in others}
    assert len(busy_jobs) == 20 and len(their_jobs) == 3


def test_compatible_jobs_are_claimed_as_one_batch_within_each_artists_cap(artist, cohort, make_artist):
    submit(artist, cohort)
    submit(artist, cohort)
    other = make_artist()
    submit(other, cohort)
    submit(other, cohort, duration_s=2.125)  # 17 frames: not compatible
    claim = dispatch.claim_batch(owner="w", max_batch=4)
    assert sorted(g.artist_id for g in claim.generations) == sorted([artist.pk, other.pk])
    assert all(g.num_frames == 9 for g in claim.generations)
    runtime.render_claim(claim)
    assert Generation.objects.filter(status="succeeded").count() == 2


def test_kill_switches_stop_claiming(artist, cohort, admin):
    submit(artist, cohort)
    generation_pause_set(actor=admin, paused=True, reason="x")
    assert dispatch.claim_batch(owner="w").generations == []
    generation_pause_set(actor=admin, paused=False)
    cohort.status = "paused"
    cohort.save()
    assert dispatch.claim_batch(owner="w").generations == []
    cohort.status = "active"
    cohort.save()
    artist.memberships.update(status="suspended")
    assert dispatch.claim_batch(owner="w").generations == []
    artist.memberships.update(status="active")
    assert len(dispatch.claim_batch(owner="w").generations) == 1


def test_cancel_while_queued_releases_at_once(artist, cohort):
    generation = submit(artist, cohort)
    services.generation_cancel(actor=artist, generation=generation)
    generation.refresh_from_db()
    assert generation.status == "canceled"
    assert balanced(generation.account_id) == (100, 0)
    assert dispatch.claim_batch(owner="w").generations == []


@pytest.mark.slow
def test_cancel_while_running_stops_within_a_step(transactional_db, cohort, artist):
    generation = services.generation_submit(
        artist=artist, cohort=cohort, prompt="slow", duration_s=4.125, resolution=256, aspect_ratio="1:1", fps=8
    )[0]
    Generation.objects.filter(pk=generation.pk).update(steps=40)  # long enough to cancel in the middle
    worker = rendering_in_background(generation, progress=5)
    services.generation_cancel(actor=artist, generation=generation)
    worker.join(timeout=60)
    generation.refresh_from_db()
    assert generation.status == "canceled"
    assert generation.progress < 100
    assert balanced(generation.account_id) == (100, 0)
    assert not generation.video


def test_expired_leases_are_requeued_then_failed_with_credits_back(artist, cohort, settings):
    generation = submit(artist, cohort)
    dispatch.claim_batch(owner="dead-worker")
    past = timezone.now() - timedelta(seconds=1)
    Generation.objects.filter(pk=generation.pk).update(lease_expires_at=past)
    assert dispatch.requeue_expired() == (1, 0)
    generation.refresh_from_db()
    assert (generation.status, generation.attempts) == ("queued", 1)
    for attempt in (2, 3):
        dispatch.claim_batch(owner=f"dead-worker-{attempt}")
        Generation.objects.filter(pk=generation.pk).update(lease_expires_at=past)
        dispatch.requeue_expired()
    generation.refresh_from_db()
    assert (generation.status, generation.attempts) == ("failed", 3)
    assert "credits were returned" in generation.failure_message
    assert balanced(generation.account_id) == (100, 0)


def test_a_worker_that_lost_its_lease_records_nothing(artist, cohort):
    generation = submit(artist, cohort)
    dispatch.claim_batch(owner="slow-worker")
    Generation.objects.filter(pk=generation.pk).update(lease_owner="someone-else")
    assert not dispatch.finish_failed(generation_id=generation.pk, owner="slow-worker", message="x")
    generation.refresh_from_db()
    assert generation.status == "running"


def test_retry_links_the_original_and_never_charges_twice(artist, cohort):
    generation = submit(artist, cohort)
    dispatch.claim_batch(owner="w")
    dispatch.finish_failed(generation_id=generation.pk, owner="w", message="boom")
    retry = services.generation_retry(actor=artist, generation=generation)
    again = services.generation_retry(actor=artist, generation=generation)
    assert retry.pk == again.pk and retry.retry_of_id == generation.pk and retry.seed == generation.seed
    tasks.render_next(retry.pk)
    retry.refresh_from_db()
    assert retry.status == "succeeded"
    charges = LedgerEntry.objects.filter(kind="charge", account=generation.account)
    assert list(charges.values_list("generation_id", flat=True)) == [retry.pk]
    assert balanced(generation.account_id) == (100 - retry.cost, 0)


def test_a_failing_render_fails_the_job_with_a_plain_message(artist, cohort, monkeypatch):
    import inference

    def broken(*args, **kwargs):
        raise RuntimeError("CUDA error: an illegal memory access was encountered")

    monkeypatch.setattr(inference, "generate", broken)
    generation = submit(artist, cohort)
    tasks.render_next(generation.pk)
    generation.refresh_from_db()
    assert generation.status == "failed"
    assert generation.failure_message == runtime.GENERIC_FAILURE
    assert "CUDA" not in generation.failure_message
    assert balanced(generation.account_id) == (100, 0)


def test_one_jobs_queue_position_matches_the_whole_order(artist, cohort, make_artist):
    from generations.selectors import queue_position, queue_positions

    busy_done = submit(artist, cohort)
    Generation.objects.filter(pk=busy_done.pk).update(status="succeeded", finished_at=timezone.now(), gpu_seconds=30)
    busy = [submit(artist, cohort) for _ in range(3)]
    fresh = [submit(make_artist(), cohort) for _ in range(2)]
    order = queue_positions()
    assert [order[g.pk] for g in fresh] == [1, 2]  # no GPU time yet: ahead of the busy artist
    assert sorted(order[g.pk] for g in busy) == [3, 4, 5]
    for generation in busy + fresh:
        assert queue_position(generation=generation) == order[generation.pk]
    services.generation_cancel(actor=artist, generation=busy[0])
    assert queue_position(generation=busy[0]) is None


def test_a_claim_holds_no_more_jobs_than_the_preset_batches(cohort, make_artist, monkeypatch, tmp_path, tiny_model):
    # An operator's presets file redefines "tiny" to batch two at most.
    presets_file = tmp_path / "presets.json"
    presets_file.write_text(
        json.dumps([{"name": "tiny", "path": str(tiny_model), "sizes": [[64, 64]], "frame_counts": [9], "fps": [8],
                     "default_steps": 4, "max_batch": 2}])
    )  # fmt: skip
    monkeypatch.setenv("INFERENCE_PRESETS_FILE", str(presets_file))
    for _ in range(4):
        submit(make_artist(), cohort)
    assert len(dispatch.claim_batch(owner="w").generations) == 2


def test_a_heartbeat_renews_the_batchs_leases_and_records_each_progress(artist, cohort, make_artist):
    QuotaOverride.objects.create(user=artist, cohort=cohort, max_running_per_artist=2)
    first, second = submit(artist, cohort), submit(artist, cohort)
    claim = dispatch.claim_batch(owner="worker-a", max_batch=2)
    assert [g.pk for g in claim.generations] == [first.pk, second.pk]
    Generation.objects.filter(pk=second.pk).update(cancel_requested=True)
    Generation.objects.filter(pk__in=[first.pk, second.pk]).update(lease_expires_at=timezone.now())
    flags = dispatch.heartbeat(owner="worker-a", progress={first.pk: 40, second.pk: 150})
    assert flags == {first.pk: False, second.pk: True}
    rows = {g.pk: g for g in Generation.objects.filter(pk__in=[first.pk, second.pk])}
    assert (rows[first.pk].progress, rows[second.pk].progress) == (40, 99)  # 100 only when it succeeded
    assert all(g.lease_expires_at > timezone.now() + timedelta(seconds=10) for g in rows.values())
    assert dispatch.heartbeat(owner="worker-b", progress={first.pk: 80}) == {}  # not its lease
    assert Generation.objects.get(pk=first.pk).progress == 40
