"""A token relayed by a public front end is stopped in seconds, not hours."""

import io
import time

import pytest
from django.core.management import call_command

from accounts.models import ApiToken, AuditEvent, Notification
from generations.models import Generation, QuotaPolicy
from tests.support.clients import api_client_for, token_client
from tests.support.mail import sent_mail

PROXY = "10.0.0.2"


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]


@pytest.mark.redis
def test_token_replayed_from_many_addresses_is_suspended_before_the_seventh_answer(
    world, behind_proxy, django_capture_on_commit_callbacks
):
    client, _ = token_client(world.artist)
    answered, refused_codes = [], []
    started = time.perf_counter()
    suspended_after_s = None
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(1, 21):  # 20 addresses within a minute, all through the trusted proxy
            response = client.get("/api/v1/me/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
            if response.status_code == 200:
                answered.append(n)
            else:
                refused_codes.append(response.json()["error"]["code"])
                if suspended_after_s is None:
                    suspended_after_s = time.perf_counter() - started
    print(
        f"\nleak test: {len(answered)} requests answered before suspension, suspended after {suspended_after_s:.3f} s"
    )

    assert answered == [1, 2, 3, 4, 5]  # the cohort allows 5 addresses in 10 minutes
    assert set(refused_codes) == {"token_suspended"}
    token = ApiToken.objects.get()
    assert token.status == "suspended"
    assert "6 different addresses" in token.suspended_reason
    event = AuditEvent.objects.get(action="token.suspended")
    assert event.subject_user == world.artist
    assert event.ip == "203.0.113.6"
    assert event.data["addresses"] == 6
    assert Notification.objects.filter(user=world.artist, kind="token_suspended").count() == 1
    assert Notification.objects.filter(user=world.admin, kind="token_suspended").count() == 1
    assert {m.to[0] for m in sent_mail()} >= {world.artist.email, world.admin.email}


@pytest.mark.redis
def test_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(world, behind_proxy):
    client, _ = token_client(world.artist)
    for n in range(1, 21):
        response = client.get("/api/v1/me/", REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        assert response.status_code == 200, n
    token = ApiToken.objects.get()
    assert token.status == "active"
    assert token.last_used_ip == "198.51.100.9"


@pytest.mark.redis
def test_forwarded_chain_is_read_right_to_left(world, behind_proxy):
    client, _ = token_client(world.artist)
    # The client wrote 1.2.3.4 itself; the trusted proxy appended the real peer.
    client.get("/api/v1/me/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.50, 10.0.0.3")
    assert ApiToken.objects.get().last_used_ip == "203.0.113.50"


class FakeClock:
    """The rate-limit and leak windows' clock, moved by the test instead of waited for."""

    def __init__(self):
        self.now = time.time()

    def time(self):
        return self.now

    def sleep(self, seconds: float):
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    from core import ratelimit

    fake = FakeClock()
    monkeypatch.setattr(ratelimit, "time", fake)
    return fake


SUBMISSION = {"prompt": "a lighthouse at dusk", "duration_s": 1.125, "resolution": 64, "fps": 8}


@pytest.mark.postgres
@pytest.mark.redis
def test_a_polite_script_that_bursts_then_polls_is_never_suspended(world, clock):
    """30 submissions at once, then polling at 2 Hz for three minutes, honouring Retry-After."""
    QuotaPolicy.objects.create(cohort=world.cohort, credits_per_period=1000, max_queued_per_artist=30)
    client, _ = token_client(world.artist, scopes=("generations:read", "generations:write"))
    created = [client.post("/api/v1/generations/", SUBMISSION, format="json").status_code for _ in range(30)]
    assert created == [201] * 30
    polls = limited = 0
    started = clock.now
    while clock.now - started < 180:
        response = client.get("/api/v1/generations/")
        polls += 1
        if response.status_code == 429:
            limited += 1
            clock.sleep(int(response["Retry-After"]))
        else:
            assert response.status_code == 200, response.content[:300]
            clock.sleep(0.5)
    print(f"\npolite script: 30 submissions, {polls} polls, {limited} answered 429, never suspended")
    assert limited > 0  # it did run into the rate limit, and backed off
    assert ApiToken.objects.get().status == "active"


@pytest.mark.redis
def test_a_high_read_rate_is_rate_limited_and_never_suspends(world, settings, clock):
    settings.API_RATE_PER_TOKEN_PER_MINUTE, settings.API_RATE_PER_USER_PER_MINUTE = 100, 1000
    client, _ = token_client(world.artist)
    statuses = [client.get("/api/v1/me/").status_code for _ in range(130)]
    assert statuses[:100] == [200] * 100
    assert set(statuses[100:]) == {429}
    assert ApiToken.objects.get().status == "active"


@pytest.mark.redis
def test_requests_answered_429_count_towards_no_leak_window(world, behind_proxy, settings, clock):
    settings.API_RATE_PER_TOKEN_PER_MINUTE = 3
    client, _ = token_client(world.artist)
    statuses = [
        client.get("/api/v1/me/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(1, 21)
    ]
    assert statuses == [200, 200, 200] + [429] * 17  # 20 addresses, but only 3 were answered
    assert ApiToken.objects.get().status == "active"


@pytest.mark.redis
def test_submissions_far_above_the_cohort_threshold_suspend(world, settings):
    settings.API_RATE_PER_TOKEN_PER_MINUTE = settings.API_RATE_PER_USER_PER_MINUTE = 1000
    world.cohort.leak_max_submissions_per_minute = 10
    world.cohort.save()
    QuotaPolicy.objects.create(cohort=world.cohort, credits_per_period=1000, max_queued_per_artist=100)
    client, _ = token_client(world.artist, scopes=("generations:write",))
    statuses = [client.post("/api/v1/generations/", SUBMISSION, format="json").status_code for _ in range(12)]
    assert statuses == [201] * 10 + [401, 401]
    assert "11 submissions within a minute" in ApiToken.objects.get().suspended_reason
    assert Generation.objects.count() == 10  # the refused submission did nothing


@pytest.mark.redis
def test_submissions_refused_with_429_do_not_count_towards_suspension(world, settings):
    settings.API_RATE_PER_TOKEN_PER_MINUTE = settings.API_RATE_PER_USER_PER_MINUTE = 1000
    world.cohort.leak_max_submissions_per_minute = 10
    world.cohort.save()
    QuotaPolicy.objects.create(cohort=world.cohort, credits_per_period=1000, max_queued_per_artist=2)
    client, _ = token_client(world.artist, scopes=("generations:write",))
    responses = [client.post("/api/v1/generations/", SUBMISSION, format="json") for _ in range(20)]
    assert [r.status_code for r in responses] == [201, 201] + [429] * 18
    assert {r.json()["error"]["code"] for r in responses[2:]} == {"too_many_queued"}
    assert ApiToken.objects.get().status == "active"


@pytest.mark.redis
def test_rate_limits_answer_429_with_retry_after(world, settings):
    settings.API_RATE_PER_TOKEN_PER_MINUTE = 3
    client, _ = token_client(world.artist)
    statuses = [client.get("/api/v1/me/") for _ in range(4)]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429]
    limited = statuses[-1]
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 61


@pytest.mark.redis
def test_per_user_limit_spans_all_their_tokens(world, settings):
    settings.API_RATE_PER_USER_PER_MINUTE = 4
    first, _ = token_client(world.artist)
    second, _ = token_client(world.artist)
    statuses = [c.get("/api/v1/me/").status_code for c in (first, second, first, second, first)]
    assert statuses == [200, 200, 200, 200, 429]


@pytest.mark.redis
def test_owner_reactivates_a_suspended_token(world, behind_proxy):
    client, _ = token_client(world.artist)
    for n in range(1, 8):
        client.get("/api/v1/me/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    token = ApiToken.objects.get()
    assert token.status == "suspended"
    assert api_client_for(world.other_artist).post(f"/api/v1/tokens/{token.pk}/reactivate/").status_code == 404
    response = api_client_for(world.artist).post(f"/api/v1/tokens/{token.pk}/reactivate/")
    assert response.status_code == 200
    assert response.json()["status"] == "active"
    assert AuditEvent.objects.filter(action="token.reactivated").exists()
    # Its windows start afresh: the next request, from yet another address, is answered.
    again = client.get("/api/v1/me/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert again.status_code == 200, again.content
    assert ApiToken.objects.get().status == "active"


def test_anyone_can_revoke_an_exposed_token(world):
    client, plaintext = token_client(world.artist)
    public = api_client_for(None)
    response = public.post("/api/v1/tokens/revoke-exposed/", {"token": plaintext}, format="json")
    assert response.status_code == 200
    assert response.json()["revoked"] is True
    assert client.get("/api/v1/me/").json()["error"]["code"] == "token_revoked"
    assert Notification.objects.filter(user=world.artist, kind="token_revoked").exists()
    assert Notification.objects.filter(user=world.admin, kind="token_exposed").exists()
    event = AuditEvent.objects.get(action="token.revoked")
    assert event.actor is None and "public revocation" in event.data["reason"]
    again = public.post("/api/v1/tokens/revoke-exposed/", {"token": plaintext}, format="json")
    assert again.json()["revoked"] is False


@pytest.mark.redis
def test_revoke_exposed_is_rate_limited(world, settings):
    settings.API_REVOKE_EXPOSED_PER_IP_PER_MINUTE = 2
    public = api_client_for(None)
    codes = [public.post("/api/v1/tokens/revoke-exposed/", {"token": "x"}, format="json").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_revoke_every_token_of_a_cohort(world):
    artist_client, _ = token_client(world.artist)
    reviewer_client, _ = token_client(world.reviewer)
    outsider_client, _ = token_client(world.other_artist)
    out = io.StringIO()
    call_command("revoke_cohort_tokens", world.cohort.slug, stdout=out)
    assert "Revoked 2 tokens" in out.getvalue()
    assert artist_client.get("/api/v1/me/").status_code == 401
    assert reviewer_client.get("/api/v1/me/").status_code == 401
    assert outsider_client.get("/api/v1/me/").status_code == 200
