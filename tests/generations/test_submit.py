"""Submitting: validation with the allowed values, prompt policy, gates, pricing, and no double-spending."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from accounts.models import Cohort, Membership
from accounts.services import generation_pause_set, terms_publish
from core.errors import ApplicationError
from generations import services
from generations.models import CreditAccount, Generation, LedgerEntry, PromptRule, QuotaOverride
from tests.support.clients import api_client_for, sign_in
from tests.support.clips import SMALL
from tests.support.concurrency import at_once


def submit(artist, cohort, **overrides):
    values = {"prompt": "a paper boat in the rain", **SMALL, **overrides}
    return services.generation_submit(artist=artist, cohort=cohort, **values)


def submit_at_once(artist, cohort, count: int) -> list[str]:
    """``count`` submissions released together from as many threads: "accepted" or each refusal's code."""
    return at_once(count, lambda: submit(artist, cohort))


def error_of(call):
    with pytest.raises(ApplicationError) as excinfo:
        call()
    return excinfo.value


def test_submission_reserves_credits_and_queues_after_commit(
    artist, cohort, django_capture_on_commit_callbacks, wake_ups
):
    woken = wake_ups
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        generation, created = submit(artist, cohort, seed=7)
    assert created and woken == []  # nothing is sent inside the transaction
    for callback in callbacks:
        callback()
    assert woken == [1]  # one wake-up message, after commit
    assert (generation.width, generation.height, generation.num_frames, generation.fps, generation.seed) == (
        64,
        64,
        9,
        8,
        7,
    )
    account = CreditAccount.objects.get(user=artist)
    assert (account.available, account.reserved) == (100 - generation.cost, generation.cost)


@pytest.mark.parametrize(
    ("overrides", "field", "hint"),
    [
        ({"resolution": 100}, "resolution", "64p 1:1"),
        ({"resolution": 144, "aspect_ratio": "1:1"}, "aspect_ratio", "144p 16:9"),
        ({"fps": 30}, "fps", "choose 8, 12, 16, 24"),
        ({"duration_s": 9.0}, "duration_s", "choose 1.12, 2.12, 3.12, 4.12"),
        ({"prompt": ""}, "prompt", "0 characters"),
        ({"prompt": "x" * 2001}, "prompt", "2001 characters"),
        ({"prompt": "a boat\x00"}, "prompt", "control characters"),
        ({"preset": "huge"}, "preset", "choose tiny"),
    ],
)
def test_invalid_requests_name_the_field_and_the_allowed_values(artist, cohort, overrides, field, hint):
    error = error_of(lambda: submit(artist, cohort, **overrides))
    assert error.code == "invalid"
    assert field in error.fields and hint in error.fields[field], error.fields
    assert not Generation.objects.exists()


def test_prompt_policy_names_the_rule(artist, cohort, make_artist):
    PromptRule.objects.create(pattern="Famous Person", reason="names of real people (likeness)")
    PromptRule.objects.create(pattern=r"\bgore\b", is_regex=True, cohort=cohort, reason="graphic violence")
    error = error_of(lambda: submit(artist, cohort, prompt="a portrait of famous person smiling"))
    assert (error.code, error.fields) == ("prompt_rejected", {"prompt": "names of real people (likeness)"})
    error = error_of(lambda: submit(artist, cohort, prompt="ok", negative_prompt="no GORE please"))
    assert error.fields == {"negative_prompt": "graphic violence"}
    assert submit(artist, cohort, prompt="a gorgeous sunset")[1]  # a regex with word boundaries spares "gorgeous"


def test_gates_terms_membership_cohort_and_the_global_switch(artist, cohort, admin):
    terms = terms_publish(actor=admin, cohort=cohort, body="Be kind.")
    assert error_of(lambda: submit(artist, cohort)).code == "terms_not_accepted"
    from accounts.services import terms_accept

    terms_accept(user=artist, terms=terms)
    Membership.objects.filter(user=artist).update(status="suspended")
    assert error_of(lambda: submit(artist, cohort)).code == "membership_inactive"
    Membership.objects.filter(user=artist).update(status="active")
    Cohort.objects.filter(pk=cohort.pk).update(status="paused")
    cohort.refresh_from_db()
    assert error_of(lambda: submit(artist, cohort)).code == "cohort_inactive"
    Cohort.objects.filter(pk=cohort.pk).update(status="active")
    cohort.refresh_from_db()
    generation_pause_set(actor=admin, paused=True, reason="maintenance")
    error = error_of(lambda: submit(artist, cohort))
    assert error.code == "generation_paused" and "maintenance" in error.message
    generation_pause_set(actor=admin, paused=False)
    assert submit(artist, cohort)[1]


def test_too_few_credits_says_balance_and_cost(artist, cohort):
    QuotaOverride.objects.create(user=artist, cohort=cohort, credits_per_period=3)
    submit(artist, cohort)  # costs 2
    error = error_of(lambda: submit(artist, cohort))
    assert error.code == "insufficient_credits"
    assert error.extra == {"balance": 1, "cost": 2}


def test_queue_cap(artist, cohort):
    for _ in range(5):
        submit(artist, cohort)
    assert error_of(lambda: submit(artist, cohort)).code == "too_many_queued"


def test_quote_matches_the_price(artist, cohort):
    response = api_client_for(artist).post("/api/v1/generations/quote/", {**SMALL}, format="json")
    assert response.status_code == 200
    generation, _ = submit(artist, cohort)
    assert response.json()["cost"] == generation.cost
    bigger = api_client_for(artist).post(
        "/api/v1/generations/quote/",
        {"duration_s": 4.125, "resolution": 256, "aspect_ratio": "1:1", "fps": 8},
        format="json",
    )
    assert bigger.json()["cost"] > generation.cost


@pytest.mark.postgres
@pytest.mark.slow
def test_fifty_concurrent_submissions_spend_exactly_the_credits(transactional_db, cohort, artist):
    if connection.vendor != "postgresql":
        pytest.skip("row locks under concurrency are PostgreSQL's")
    QuotaOverride.objects.create(user=artist, cohort=cohort, credits_per_period=20, max_queued_per_artist=100)
    services.credit_account_open(user=artist, cohort=cohort)
    results = submit_at_once(artist, cohort, 50)
    assert results.count("accepted") == 10
    assert set(results) == {"accepted", "insufficient_credits"}
    account = CreditAccount.objects.get(user=artist)
    assert (account.available, account.reserved) == (0, 20)
    kinds = list(LedgerEntry.objects.filter(account=account).values_list("kind", "amount"))
    assert sorted(kinds) == sorted([("grant", 20)] + [("reserve", 2)] * 10)


@pytest.mark.postgres
@pytest.mark.slow
def test_forty_concurrent_submissions_respect_the_queue_cap_exactly(wake_ups, transactional_db, cohort, artist):
    if connection.vendor != "postgresql":
        pytest.skip("row locks under concurrency are PostgreSQL's")
    QuotaOverride.objects.create(user=artist, cohort=cohort, credits_per_period=1000, max_queued_per_artist=5)
    services.credit_account_open(user=artist, cohort=cohort)
    results = submit_at_once(artist, cohort, 40)
    print(f"\n40 concurrent submissions, queue cap 5: {results.count('accepted')} accepted")
    assert results.count("accepted") == 5
    assert set(results) == {"accepted", "too_many_queued"}
    assert Generation.objects.filter(status="queued").count() == 5


@pytest.mark.postgres
@pytest.mark.slow
def test_the_same_idempotency_key_ten_times_at_once_creates_one_job(transactional_db, cohort, artist):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is PostgreSQL's")
    services.credit_account_open(user=artist, cohort=cohort)
    barrier = threading.Barrier(10)

    def attempt(_):
        barrier.wait()
        try:
            return submit(artist, cohort, idempotency_key="abc-123")[0].pk
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        ids = set(pool.map(attempt, range(10)))
    assert len(ids) == 1
    assert Generation.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="reserve").count() == 1


def test_idempotency_key_through_the_api(artist, cohort):
    client = api_client_for(artist)
    first = client.post("/api/v1/generations/", {"prompt": "a boat", **SMALL}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = client.post("/api/v1/generations/", {"prompt": "a boat", **SMALL}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Generation.objects.count() == 1


def test_an_idempotency_key_reused_for_another_request_is_a_422_naming_it(artist, cohort):
    """Found from outside: the first job came back silently, as if the second had been made."""
    client = api_client_for(artist)
    client.post("/api/v1/generations/", {"prompt": "a boat", **SMALL}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    for other in ({"prompt": "a train"}, {"prompt": "a boat", "seed": 7}, {"prompt": "a boat", "fps": 16}):
        response = client.post("/api/v1/generations/", {**SMALL, **other}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
        assert response.status_code == 422, other
        error = response.json()["error"]
        assert error["code"] == "idempotency_key_reused" and "'k1'" in error["message"]
        assert "Idempotency-Key" in error["fields"]
    assert Generation.objects.count() == 1


def test_only_the_newest_terms_count(artist, cohort, admin):
    from accounts.services import terms_accept

    terms_accept(user=artist, terms=terms_publish(actor=admin, cohort=cohort, body="Be kind."))
    assert submit(artist, cohort)[1]
    newer = terms_publish(actor=admin, cohort=cohort, body="Be kind, and credit others.")
    assert error_of(lambda: submit(artist, cohort)).code == "terms_not_accepted"
    terms_accept(user=artist, terms=newer)
    assert submit(artist, cohort)[1]


def test_a_cohort_without_a_policy_has_the_defaults_with_the_artists_overrides(db):
    from generations.models import QuotaPolicy
    from tests.support.factories import CohortFactory, MembershipFactory

    cohort = CohortFactory()
    artist = MembershipFactory(cohort=cohort).user
    QuotaOverride.objects.create(user=artist, cohort=cohort, max_queued_per_artist=2)
    submit(artist, cohort)
    submit(artist, cohort)
    assert error_of(lambda: submit(artist, cohort)).code == "too_many_queued"
    default_credits = QuotaPolicy._meta.get_field("credits_per_period").default
    account = CreditAccount.objects.get(user=artist)
    assert account.available + account.reserved == default_credits


def test_an_ended_period_is_refilled_by_the_next_submission(artist, cohort):
    from datetime import timedelta

    from django.utils import timezone

    first, _ = submit(artist, cohort)
    CreditAccount.objects.filter(user=artist).update(available=0, period_ends_at=timezone.now() - timedelta(seconds=1))
    second, created = submit(artist, cohort)
    assert created
    account = CreditAccount.objects.get(user=artist)
    assert account.period_ends_at > timezone.now()
    # topped up to the allowance of 100, then the second job reserved
    assert (account.available, account.reserved) == (100 - second.cost, first.cost + second.cost)
    assert LedgerEntry.objects.filter(account=account, kind="grant").count() == 2


def test_the_api_picks_the_cohort_or_says_which_to_name(artist, cohort):
    from tests.support.factories import CohortFactory, MembershipFactory

    client = api_client_for(artist)
    body = {"prompt": "a boat", **SMALL}
    assert client.post("/api/v1/generations/", body, format="json").json()["cohort"] == cohort.slug  # the only one
    other = CohortFactory(name="Another cohort")
    MembershipFactory(cohort=other, user=artist)
    strangers = CohortFactory(name="Not theirs")
    response = client.post("/api/v1/generations/", body, format="json")
    assert response.status_code == 400 and response.json()["error"]["fields"] == {"cohort": "required"}
    response = client.post("/api/v1/generations/", {**body, "cohort": strangers.slug}, format="json")
    assert response.status_code == 404 and response.json()["error"]["fields"] == {"cohort": "not yours"}
    response = client.post("/api/v1/generations/", {**body, "cohort": other.slug}, format="json")
    assert response.status_code == 201 and response.json()["cohort"] == other.slug
    Membership.objects.filter(user=artist, cohort=other).update(status="suspended")
    response = client.post("/api/v1/generations/", {**body, "cohort": other.slug}, format="json")
    assert response.status_code == 404 and response.json()["error"]["fields"] == {"cohort": "not yours"}


def test_an_api_submission_runs_a_fixed_handful_of_queries(wake_ups, artist, cohort):
    """The API's busiest write (bench/api_submit.py): token, checks, prompt rules, then one short
    transaction (the lock, then the queue count after it, the job, the ledger entry, the balance). Redis and the
    broker are not queries. The queue is counted by its own statement so that it sees the jobs queued by the
    submissions the lock waited for (test_forty_concurrent_submissions_respect_the_queue_cap_exactly)."""
    from tests.support.clients import token_client
    from tests.support.queries import counted

    client, _ = token_client(artist, scopes=("generations:write",))
    body = {"prompt": "a boat", **SMALL}
    client.post("/api/v1/generations/", body, format="json")  # the first one opens the credit account
    with counted() as queries:
        response = client.post("/api/v1/generations/", body, format="json", HTTP_IDEMPOTENCY_KEY="fresh")
    assert response.status_code == 201
    statements = queries.of_the_code()  # not the test transaction's savepoints, nor the cache's counters
    assert len(statements) == 8, str(statements)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_the_live_quote_shows_an_offered_duration_for_one_that_is_not_a_number(artist, cohort, client, value):
    sign_in(client, artist)
    response = client.post("/studio/quote/", {"duration_s": value, "size": "64|1:1", "fps": "8"})
    assert response.status_code == 200
    assert b'<option value="1.125" selected>' in response.content
    assert b"credits for 64x64, 9 frames at 8 fps (1.12 s)" in response.content
    assert error_of(lambda: submit(artist, cohort, duration_s=float(value))).fields == {"duration_s": "a number"}
