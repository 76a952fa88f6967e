"""The relaxed lane: clips that cost nothing (or the cohort's share of the price), run only when no paid
clip may, yield their GPU within a step to a paid clip, keep fair share inside the lane, and stay within
their caps however many arrive at once."""

import pytest
from django.db import connection
from django.test import Client

from core.errors import ApplicationError
from generations import dispatch, services, tasks
from generations.models import CreditAccount, Generation, LedgerEntry, QuotaPolicy
from tests.support.clients import api_client_for, sign_in
from tests.support.clips import SMALL
from tests.support.concurrency import at_once
from tests.support.dispatch import rendering_in_background

pytestmark = pytest.mark.usefixtures("wake_ups")


@pytest.fixture
def lane_open(cohort):
    QuotaPolicy.objects.filter(cohort=cohort).update(
        relaxed_lane=True, relaxed_max_queued_per_artist=3, relaxed_per_day=5, max_queued_per_artist=20
    )
    return cohort


def submit(artist, cohort, lane="paid", **overrides):
    values = {"prompt": f"a {lane} boat", **SMALL, **overrides}
    return services.generation_submit(artist=artist, cohort=cohort, lane=lane, **values)[0]


def test_a_cohort_without_the_lane_refuses_relaxed_clips_naming_the_field(artist, cohort):
    with pytest.raises(ApplicationError) as refused:
        submit(artist, cohort, lane="relaxed")
    assert refused.value.fields == {"lane": "not open in this cohort"}
    answer = api_client_for(artist).post(
        "/api/v1/generations/", {"prompt": "a boat", "lane": "sometime", **SMALL}, format="json"
    )
    assert answer.status_code == 400 and "lane" in answer.json()["error"]["fields"]


def test_relaxed_clips_cost_nothing_and_render_after_every_paid_one(artist, make_artist, lane_open):
    other = make_artist()
    relaxed = [submit(artist, lane_open, "relaxed"), submit(other, lane_open, "relaxed")]  # queued first
    submit(artist, lane_open), submit(other, lane_open)
    account = CreditAccount.objects.get(user=artist, cohort=lane_open)
    assert relaxed[0].cost == 0 and not LedgerEntry.objects.filter(generation__in=relaxed).exists()

    order = []
    while (claim := dispatch.claim_batch(owner="gpu-1", max_batch=1)).generations:
        order += [g.lane for g in claim.generations]
        for generation in claim.generations:
            dispatch.finish_failed(generation_id=generation.pk, owner="gpu-1", message="test")  # frees the slot
    assert order == ["paid", "paid", "relaxed", "relaxed"]  # never a relaxed clip while a paid one may run

    tasks.render_next()  # nothing left: a real render of a fresh relaxed clip charges nothing
    fresh = submit(artist, lane_open, "relaxed")
    tasks.render_next(fresh.pk)
    fresh.refresh_from_db()
    assert fresh.status == "succeeded" and fresh.video
    assert not LedgerEntry.objects.filter(generation=fresh).exists()
    account.refresh_from_db()
    assert account.reserved == 0 and account.available == 100  # the paid ones failed: released, relaxed: free


def test_a_batch_never_mixes_lanes_and_fair_share_holds_inside_the_lane(artist, make_artist, lane_open):
    busy, calm = artist, make_artist()
    for _ in range(3):
        submit(busy, lane_open, "relaxed")
    done = submit(busy, lane_open)  # busy has used the GPU today
    Generation.objects.filter(pk=done.pk).update(status="succeeded", gpu_seconds=500.0, finished_at=done.queued_at)
    calm_job = submit(calm, lane_open, "relaxed")
    paid = submit(calm, lane_open)
    claim = dispatch.claim_batch(owner="gpu-1", max_batch=4)
    assert [g.pk for g in claim.generations] == [paid.pk]  # the paid clip alone, though relaxed ones fit
    dispatch.finish_failed(generation_id=paid.pk, owner="gpu-1", message="test")
    claim = dispatch.claim_batch(owner="gpu-1", max_batch=1)
    assert claim.generations[0].pk == calm_job.pk  # inside the lane, the artist who used less goes first


def test_a_running_relaxed_clip_yields_to_a_paid_one_within_a_step(transactional_db, artist, make_artist, lane_open):
    relaxed = submit(artist, lane_open, "relaxed", duration_s=4.125, resolution=256)
    Generation.objects.filter(pk=relaxed.pk).update(steps=50)  # long enough to be caught in the middle
    worker = rendering_in_background(relaxed, progress=3)
    assert relaxed.status == "running"
    paid = submit(make_artist(), lane_open)
    worker.join(timeout=60)
    relaxed.refresh_from_db()
    # Back in the queue as it was: not failed, not charged, the attempt not counted.
    assert relaxed.status == "queued" and relaxed.attempts == 0 and not relaxed.video
    assert not LedgerEntry.objects.filter(generation=relaxed).exists()
    claim = dispatch.claim_batch(owner="gpu-2")
    assert [g.pk for g in claim.generations] == [paid.pk]


@pytest.mark.postgres
@pytest.mark.slow
def test_the_caps_hold_under_forty_concurrent_submissions(transactional_db, artist, lane_open):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is PostgreSQL's")
    services.credit_account_open(user=artist, cohort=lane_open)
    outcomes = at_once(40, lambda: submit(artist, lane_open, "relaxed"))
    assert outcomes.count("accepted") == 3 and set(outcomes) == {"accepted", "too_many_queued"}
    assert Generation.objects.filter(lane="relaxed", status="queued").count() == 3
    # The day's cap: finishing them frees the queue, not the day.
    Generation.objects.filter(lane="relaxed").update(status="canceled")
    submit(artist, lane_open, "relaxed")
    submit(artist, lane_open, "relaxed")
    with pytest.raises(ApplicationError) as refused:
        submit(artist, lane_open, "relaxed")
    assert refused.value.code == "relaxed_daily_limit" and refused.value.status == 429


def test_the_studio_offers_the_lane_and_shows_relaxed_clips_with_their_place(artist, lane_open):
    page = Client()
    sign_in(page, artist)
    shown = page.get("/studio/").content.decode()
    assert 'value="relaxed"' in shown
    submit(artist, lane_open)
    submit(artist, lane_open, "relaxed")
    shown = page.get("/studio/").content.decode()
    assert "relaxed: after every paid clip" in shown and ">relaxed</span>" in shown
    detail = api_client_for(artist).get("/api/v1/generations/").json()["results"]
    assert {g["lane"] for g in detail} == {"paid", "relaxed"}


def test_a_cohort_may_charge_a_share_of_the_price_for_relaxed_clips(artist, lane_open):
    QuotaPolicy.objects.filter(cohort=lane_open).update(relaxed_cost_percent=50)
    paid, relaxed = submit(artist, lane_open), submit(artist, lane_open, "relaxed")
    assert relaxed.cost == -(-paid.cost // 2) > 0  # half, rounded up
    assert LedgerEntry.objects.get(generation=relaxed, kind="reserve").amount == relaxed.cost
