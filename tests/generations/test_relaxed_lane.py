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


def test_the_quote_says_what_the_lane_costs(artist, lane_open):
    """Found from outside: with Relaxed chosen, the quote still showed the paid price; the clip cost 0."""
    api = api_client_for(artist)
    paid = api.post("/api/v1/generations/quote/", {**SMALL, "lane": "paid"}, format="json").json()
    free = api.post("/api/v1/generations/quote/", {**SMALL, "lane": "relaxed"}, format="json").json()
    assert paid["cost"] > 0 and (free["cost"], free["lane"]) == (0, "relaxed")
    QuotaPolicy.objects.filter(cohort=lane_open).update(relaxed_cost_percent=50)
    half = api.post("/api/v1/generations/quote/", {**SMALL, "lane": "relaxed"}, format="json").json()
    assert half["cost"] == submit(artist, lane_open, "relaxed").cost == -(-paid["cost"] // 2)

    page = Client()
    sign_in(page, artist)
    settings = {"preset": "tiny", "size": "64|1:1", "fps": "8", "duration_s": "1.125", "cohort": lane_open.pk}
    relaxed_quote = page.post("/studio/quote/", {**settings, "lane": "relaxed"}).content.decode()
    assert f"{half['cost']} credits in the relaxed lane" in relaxed_quote
    QuotaPolicy.objects.filter(cohort=lane_open).update(relaxed_cost_percent=0)
    assert "0 credits (relaxed: free)" in page.post("/studio/quote/", {**settings, "lane": "relaxed"}).content.decode()
    assert f"{paid['cost']} credits for" in page.post("/studio/quote/", {**settings, "lane": "paid"}).content.decode()


def test_the_lane_has_no_price_for_a_cohort_without_it(artist, cohort):
    answer = api_client_for(artist).post("/api/v1/generations/quote/", {**SMALL, "lane": "relaxed"}, format="json")
    assert answer.status_code == 400
    assert "lane" in answer.json()["error"]["fields"]


def test_retry_and_re_run_of_a_relaxed_clip_stay_relaxed(artist, lane_open):
    """Found from outside: they submitted a full-price paid clip without saying so."""
    relaxed = submit(artist, lane_open, "relaxed")
    services.generation_cancel(actor=artist, generation=relaxed)
    retried = services.generation_retry(actor=artist, generation=relaxed)
    rerun = services.generation_rerun(actor=artist, generation=relaxed, seed="new")
    assert (retried.lane, retried.cost, rerun.lane, rerun.cost) == ("relaxed", 0, "relaxed", 0)
    assert not LedgerEntry.objects.filter(generation__in=[retried, rerun]).exists()


def test_an_artists_own_paid_clip_makes_their_relaxed_clip_yield(transactional_db, artist, lane_open):
    """Found from outside: with a running cap of 1, the artist's own paid clip waited behind their own
    relaxed clip (only another artist's paid clip made it yield)."""
    relaxed = submit(artist, lane_open, "relaxed", duration_s=4.125, resolution=256)
    Generation.objects.filter(pk=relaxed.pk).update(steps=50)  # long enough to be caught in the middle
    worker = rendering_in_background(relaxed, progress=3)
    assert relaxed.status == "running"
    paid = submit(artist, lane_open)  # the artist's own, held back only by their running cap
    worker.join(timeout=60)
    relaxed.refresh_from_db()
    assert relaxed.status == "queued" and relaxed.yielded_at is not None and relaxed.attempts == 0
    assert [g.pk for g in dispatch.claim_batch(owner="gpu-2").generations] == [paid.pk]
    page = Client()
    sign_in(page, artist)
    card = page.get(f"/studio/g/{relaxed.public_id}/row/").content.decode()
    assert "a paid clip needed the GPU, and relaxed clips give way" in card
