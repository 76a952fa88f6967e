"""Webhooks: a job's terminal state POSTed to its callback_url, signed, retried with backoff, and never
sent into the platform's own network."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from accounts.models import ApiToken
from accounts.services import token_create, token_revoke
from generations import dispatch, services, tasks, webhooks
from generations.models import CreditAccount, Generation, WebhookDelivery
from tests.support.clients import api_client_for, token_client
from tests.support.clips import SMALL

WRITE = ("generations:read", "generations:write")


class Receiver:
    """A real HTTP server on this machine that answers with the statuses it is given, in turn."""

    def __init__(self, statuses=(200,)):
        self.statuses, self.requests = list(statuses), []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((time.monotonic(), dict(self.headers), body))
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/vernissage?source=test"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    made = []

    def make(statuses=(200,)):
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for one in made:
        one.close()


@pytest.fixture
def quiet_workers(wake_ups):
    """No wake-up messages: these tests drive the jobs themselves."""


def submit(client, **extra):
    return client.post("/api/v1/generations/", {"prompt": "a lighthouse", **SMALL, **extra}, format="json")


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """What a receiver does with the Standard Webhooks reference library (docs/api.md)."""
    try:
        Webhook(secret).verify(body, dict(headers))
    except WebhookVerificationError:
        return False
    return True


def verify_by_hand(secret: str, headers: dict, body: bytes, tolerance_s: int = 300) -> bool:
    """What docs/api.md shows a receiver without the library: the same check in a few lines."""
    key = base64.b64decode(secret.removeprefix("whsec_") + "==")
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [part.split(",", 1)[1] for part in headers["webhook-signature"].split(" ") if part.startswith("v1,")]
    fresh = abs(time.time() - int(headers["webhook-timestamp"])) <= tolerance_s
    return fresh and any(hmac.compare_digest(expected, signature) for signature in offered)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://93.184.216.34/hook", "https"),
        ("https://10.0.0.5/hook", "public addresses"),
        ("https://192.168.1.10/hook", "public addresses"),
        ("https://127.0.0.1/hook", "public addresses"),
        ("https://localhost/hook", "public addresses"),
        ("https://[::1]/hook", "public addresses"),
        ("https://[::ffff:127.0.0.1]/hook", "public addresses"),
        ("https://169.254.169.254/latest/meta-data/", "public addresses"),
        ("https://100.64.0.1/hook", "public addresses"),
        ("https://0.0.0.0/hook", "public addresses"),
        ("https://[fd00::1]/hook", "public addresses"),
        # IPv6 forms that carry an IPv4 address inside, judged by that address (none is dialled: a literal
        # address resolves without the network).
        ("https://[64:ff9b::a9fe:a9fe]/", "public addresses"),  # NAT64 of 169.254.169.254
        ("https://[64:ff9b::a00:1]/", "public addresses"),  # NAT64 of 10.0.0.1
        ("https://[64:ff9b::7f00:1]/", "public addresses"),  # NAT64 of 127.0.0.1
        ("https://[64:ff9b:1::5db8:d822]/", "public addresses"),  # local-use NAT64
        ("https://[::127.0.0.1]/", "public addresses"),  # IPv4-compatible
        ("https://[::a9fe:a9fe]/", "public addresses"),
        ("https://[2002:7f00:1::]/", "public addresses"),  # 6to4 of 127.0.0.1
        ("https://[2002:a9fe:a9fe::1]/", "public addresses"),  # 6to4 of 169.254.169.254
        ("https://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/", "public addresses"),  # Teredo, client 10.0.0.1
        ("https://[fec0::1]/", "public addresses"),  # site-local
        ("https://[::ffff:0:a9fe:a9fe]/", "public addresses"),  # SIIT of 169.254.169.254
        ("https://[::ffff:0:7f00:1]/", "public addresses"),  # SIIT of 127.0.0.1
        ("https://[5f00::1]/", "public addresses"),  # SRv6 SIDs (is_global says yes)
        ("https://[2001:db8::1]/", "public addresses"),  # documentation
        ("https://192.0.0.9/", "public addresses"),  # IETF protocol assignments
        ("https://192.0.0.10/", "public addresses"),
        ("https://198.18.0.1/", "public addresses"),  # benchmarking
        ("https://192.0.2.1/", "public addresses"),  # documentation
        ("https://203.0.113.7/", "public addresses"),
        ("https://100.127.255.254/", "public addresses"),  # shared address space
        ("https://240.0.0.1/", "public addresses"),  # reserved
        ("https://user:password@93.184.216.34/hook", "user name or password"),
        ("https://no-such-host.invalid/hook", "does not resolve"),
        ("ftp://93.184.216.34/hook", "https"),
        ("https://93.184.216.34:99999/hook", "port"),
        ("not a url", "https"),
        ("https://93.184.216.34/a b", "https"),
        ("https://93.184.216.34/a\r\nHost: evil", "https"),
        ("https://93.184.216.34/" + "a" * 2000, "2000 characters"),
    ],
)
def test_unsafe_callback_urls_are_refused_and_nothing_is_queued(artist, cohort, url, says, quiet_workers):
    client, _ = token_client(artist, scopes=WRITE)
    balance = CreditAccount.objects.filter(user=artist).values_list("available", flat=True).first()
    response = submit(client, callback_url=url)
    assert response.status_code == 400, response.content
    assert says in response.json()["error"]["fields"]["callback_url"]
    assert not Generation.objects.filter(artist=artist).exists()
    assert CreditAccount.objects.filter(user=artist).values_list("available", flat=True).first() == balance


@pytest.mark.parametrize(
    "address",
    ["93.184.216.34", "2606:4700:4700::1111", "2002:5db8:d822::1", "64:ff9b::5db8:d822", "::ffff:93.184.216.34"],
)
def test_public_addresses_and_ipv6_forms_of_them_are_allowed(address, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    assert webhooks.resolve_target(f"https://[{address}]/" if ":" in address else f"https://{address}/")[3] == address


def test_every_address_a_name_resolves_to_is_judged(monkeypatch, settings):
    """Resolved and checked, never connected: one private answer among public ones refuses the name."""
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    answers = {"mixed.example": ["93.184.216.34", "64:ff9b::a9fe:a9fe"], "public.example": ["93.184.216.34"]}

    def getaddrinfo(host, port, **kwargs):
        return [(None, None, None, "", (address, port)) for address in answers[host]]

    monkeypatch.setattr(webhooks.socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(webhooks.UnsafeTarget):
        webhooks.resolve_target("https://mixed.example/hook")
    assert webhooks.resolve_target("https://public.example/hook")[3] == "93.184.216.34"


def test_loopback_is_refused_unless_development_allows_it(artist, cohort, settings, quiet_workers):
    client, _ = token_client(artist, scopes=WRITE)
    assert submit(client, callback_url="http://127.0.0.1:9/hook").status_code == 400
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    assert submit(client, callback_url="http://127.0.0.1:9/hook").status_code == 201
    # Still no plain HTTP to anywhere else, and still no private networks.
    assert "https" in submit(client, callback_url="http://93.184.216.34/hook").json()["error"]["fields"]["callback_url"]
    assert submit(client, callback_url="https://10.1.2.3/hook").status_code == 400


def test_a_public_https_callback_is_kept_with_the_token(artist, cohort, quiet_workers):
    client, _ = token_client(artist, scopes=WRITE)
    response = submit(client, callback_url="https://93.184.216.34/hooks")
    assert response.status_code == 201 and response.json()["callback_url"] == "https://93.184.216.34/hooks"
    generation = Generation.objects.get(artist=artist)
    assert generation.callback_token.user == artist


def test_a_signed_in_session_has_no_secret_to_sign_with(artist, cohort, quiet_workers):
    response = submit(api_client_for(artist), callback_url="https://93.184.216.34/hooks")
    assert response.status_code == 400 and "API token" in response.json()["error"]["fields"]["callback_url"]


def test_retry_delays_double_up_to_the_maximum(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS, settings.WEBHOOK_RETRY_MAX_DELAY_SECONDS = 30, 3600
    assert [webhooks.next_delay(n) for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


@pytest.mark.redis
def test_a_canceled_job_is_delivered_signed_and_retried_after_a_500(
    artist, cohort, receiver, settings, celery_worker, quiet_workers
):
    """Through Redis and a real worker: the first answer is a 500, the retry waits the backoff and succeeds."""
    settings.WEBHOOK_RETRY_BASE_SECONDS = 1
    target = receiver(statuses=(500, 200))
    token, plaintext = token_create(user=artist, name="client", scopes=list(WRITE))
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    created = submit(client, callback_url=target.url).json()
    assert client.post(f"/api/v1/generations/{created['id']}/cancel/").status_code == 200

    deadline = time.monotonic() + 30
    while len(target.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(target.requests) == 2, target.requests
    (first_at, _, first_body), (second_at, headers, body) = target.requests
    assert second_at - first_at >= 0.9  # the backoff was waited out (base 1 s here)
    assert verify(token.webhook_secret, headers, body) and verify_by_hand(token.webhook_secret, headers, body)
    assert not verify("whsec_" + base64.b64encode(b"someone else's key, 32 bytes !!").decode(), headers, body)
    assert headers["Vernissage-Event"] == "generation.canceled"
    assert headers["webhook-id"] == dict(target.requests[0][1])["webhook-id"]  # the same on every attempt
    sent = json.loads(body)
    assert sent["event"] == "generation.canceled"
    assert sent["generation"]["id"] == created["id"] and sent["generation"]["status"] == "canceled"
    assert first_body == body or json.loads(first_body)["generation"]["id"] == created["id"]

    deadline = time.monotonic() + 10
    delivery = WebhookDelivery.objects.get(generation__public_id=created["id"])
    while delivery.delivered_at is None and time.monotonic() < deadline:
        time.sleep(0.1)
        delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.last_status == 200 and delivery.last_error == ""
    time.sleep(1.5)
    assert len(target.requests) == 2  # delivered: nothing more is sent


@pytest.mark.django_db(transaction=True)
def test_one_delivery_per_terminal_state_even_when_messages_repeat(artist, cohort, receiver, settings, quiet_workers):
    """A succeeded job, settled by the worker's code: one row, one POST, whatever duplicates arrive."""
    target = receiver()
    token, _ = token_create(user=artist, name="client", scopes=list(WRITE))
    generation, _ = services.generation_submit(
        artist=artist, cohort=cohort, prompt="a harbour", callback_url=target.url, callback_token=token, **SMALL
    )
    sent = []
    from celery import current_app

    original = current_app.send_task
    current_app.send_task = lambda name, args=None, **kw: sent.append((name, args))
    try:
        tasks.render_next(generation.pk)
    finally:
        current_app.send_task = original
    generation.refresh_from_db()
    assert generation.status == "succeeded"
    assert [args for name, args in sent if name == webhooks.DELIVER_TASK] == [[generation.webhook_delivery.pk]]
    assert webhooks.webhook_deliver(generation.webhook_delivery.pk) == "delivered"
    assert webhooks.webhook_deliver(generation.webhook_delivery.pk) == "not due"
    assert len(target.requests) == 1
    payload = json.loads(target.requests[0][2])["generation"]
    assert payload["status"] == "succeeded" and payload["video_sha256"] == generation.video_sha256
    # Links made for the artist on the site's public address; they work without a session.
    assert payload["video_url"].startswith(settings.SITE_URL + "/")
    from django.test import Client

    video = Client().get(payload["video_url"].removeprefix(settings.SITE_URL))
    assert video.status_code == 200 and video["Content-Type"] == "video/mp4"
    assert WebhookDelivery.objects.filter(generation=generation).count() == 1


# The signed contract with receivers: changing it is a decision (docs/api.md, Webhooks), not a side effect
# of an API field.
WEBHOOK_GENERATION_KEYS = {
    "id", "cohort", "status", "prompt", "negative_prompt", "preset", "width", "height", "num_frames", "fps",
    "duration_s", "steps", "seed", "cost", "progress", "attempts", "gpu_seconds", "failure_message", "queued_at",
    "started_at", "finished_at", "video_url", "poster_url", "video_sha256", "retry_of", "callback_url",
    "queue_position", "estimated_start", "phase_ms", "staff_access", "adapters", "mode", "start_image", "image_fit",
    "style", "lane",
}  # fmt: skip


@pytest.mark.django_db
def test_the_webhook_payload_keys_are_pinned_and_not_the_apis(artist, cohort, admin, settings, quiet_workers):
    token, _ = token_create(user=artist, name="client", scopes=list(WRITE))
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    generation, _ = services.generation_submit(
        artist=artist,
        cohort=cohort,
        prompt="a pier",
        callback_url="http://127.0.0.1:9/",
        callback_token=token,
        **SMALL,
    )
    services.staff_access_record(viewer=admin, generation=generation, via="page")
    services.generation_cancel(actor=artist, generation=generation)
    payload = webhooks.webhook_payload(WebhookDelivery.objects.get(generation=generation))
    assert set(payload) == {"event", "generation"} and payload["event"] == "generation.canceled"
    assert set(payload["generation"]) == WEBHOOK_GENERATION_KEYS
    assert payload["generation"]["staff_access"] == [
        {"viewer": str(admin), "via": "page", "at": payload["generation"]["staff_access"][0]["at"]}
    ]
    assert payload["generation"]["video_url"] is None and payload["generation"]["queued_at"].endswith("Z")
    detail = api_client_for(artist).get(f"/api/v1/generations/{generation.public_id}/").json()
    assert set(detail) == WEBHOOK_GENERATION_KEYS  # the payload is what the detail endpoint shows
    same = {key for key in WEBHOOK_GENERATION_KEYS if key not in ("video_url", "poster_url", "staff_access")}
    assert {key: payload["generation"][key] for key in same} == {key: detail[key] for key in same}


@pytest.mark.django_db(transaction=True)
def test_a_revoked_token_stops_its_deliveries(artist, cohort, receiver, quiet_workers):
    target = receiver()
    token, _ = token_create(user=artist, name="client", scopes=list(WRITE))
    generation, _ = services.generation_submit(
        artist=artist, cohort=cohort, prompt="a pier", callback_url=target.url, callback_token=token, **SMALL
    )
    services.generation_cancel(actor=artist, generation=generation)
    token_revoke(actor=artist, token=token, reason="leaked")
    assert webhooks.webhook_deliver(generation.webhook_delivery.pk) == "gave up"
    assert target.requests == []
    assert "revoked" in WebhookDelivery.objects.get(generation=generation).last_error


@pytest.mark.django_db(transaction=True)
def test_an_address_that_became_private_is_not_called(artist, cohort, receiver, settings, quiet_workers):
    """Checked again at delivery, and the connection goes to the checked address."""
    target = receiver()
    token, _ = token_create(user=artist, name="client", scopes=list(WRITE))
    generation, _ = services.generation_submit(
        artist=artist, cohort=cohort, prompt="a pier", callback_url=target.url, callback_token=token, **SMALL
    )
    services.generation_cancel(actor=artist, generation=generation)
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    assert webhooks.webhook_deliver(generation.webhook_delivery.pk) == "gave up"
    assert target.requests == []


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_receiver_is_retried_then_given_up_after_a_day(artist, cohort, settings, quiet_workers):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    token, _ = token_create(user=artist, name="client", scopes=list(WRITE))
    generation, _ = services.generation_submit(
        artist=artist, cohort=cohort, prompt="a pier", callback_url="http://127.0.0.1:9/closed", callback_token=token,
        **SMALL,
    )  # fmt: skip
    services.generation_cancel(actor=artist, generation=generation)
    delivery = generation.webhook_delivery
    assert webhooks.webhook_deliver(delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and "could not connect" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=settings.WEBHOOK_RETRY_BASE_SECONDS - 5)
    # A day later the next failure is the last.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        created_at=timezone.now() - timedelta(hours=25), next_attempt_at=timezone.now() - timedelta(minutes=2)
    )
    assert webhooks.deliver_due() == 1  # the sweep finds it (its message was "lost")
    assert webhooks.webhook_deliver(delivery.pk) == "gave up"
    delivery.refresh_from_db()
    assert delivery.given_up_at is not None and delivery.attempts == 2


def test_webhook_secret_is_shown_once_and_rotates(artist, db):
    client = api_client_for(artist)
    created = client.post("/api/v1/tokens/", {"name": "hooks", "scopes": ["generations:write"]}, format="json")
    assert created.status_code == 201
    first = created.json()["webhook_secret"]
    assert first.startswith("whsec_") and len(base64.b64decode(first.removeprefix("whsec_"), validate=True)) == 32
    listed = client.get("/api/v1/tokens/").json()
    assert "webhook_secret" not in json.dumps(listed)
    token_id = created.json()["id"]
    rotated = client.post(f"/api/v1/tokens/{token_id}/webhook-secret/")
    assert rotated.status_code == 200 and rotated.json()["webhook_secret"] not in ("", first)
    token = ApiToken.objects.get(pk=token_id)
    assert token.webhook_secret == rotated.json()["webhook_secret"]
    # Both secrets sign for a day after the rotation, so the receiver can switch without losing deliveries.
    body = b'{"event": "generation.succeeded"}'
    stamp = str(int(time.time()))
    headers = {"webhook-id": "msg_1", "webhook-timestamp": stamp,
               "webhook-signature": webhooks.signatures(token, "msg_1", int(stamp), body)}  # fmt: skip
    assert verify(first, headers, body) and verify(token.webhook_secret, headers, body)
    ApiToken.objects.filter(pk=token_id).update(previous_webhook_secret_until=timezone.now())
    token.refresh_from_db()
    headers["webhook-signature"] = webhooks.signatures(token, "msg_1", int(stamp), body)
    assert not verify(first, headers, body) and verify(token.webhook_secret, headers, body)

    other, _ = token_client(artist, scopes=WRITE)
    assert other.post(f"/api/v1/tokens/{token_id}/webhook-secret/").status_code == 403
    itself = created.json()["token"]
    from rest_framework.test import APIClient

    own = APIClient()
    own.credentials(HTTP_AUTHORIZATION=f"Bearer {itself}")
    assert own.post(f"/api/v1/tokens/{token_id}/webhook-secret/").status_code == 200


def test_someone_elses_token_cannot_be_given_a_secret(artist, make_artist, db):
    token, _ = token_create(user=make_artist(), name="theirs", scopes=list(WRITE))
    assert api_client_for(artist).post(f"/api/v1/tokens/{token.pk}/webhook-secret/").status_code == 404


def test_dispatch_failure_after_attempts_also_reports(artist, cohort, settings, receiver, quiet_workers, db):
    target = receiver()
    token, _ = token_create(user=artist, name="client", scopes=list(WRITE))
    generation, _ = services.generation_submit(
        artist=artist, cohort=cohort, prompt="a pier", callback_url=target.url, callback_token=token, **SMALL
    )
    Generation.objects.filter(pk=generation.pk).update(
        status="running", attempts=settings.GENERATION_MAX_ATTEMPTS, lease_owner="gone",
        lease_expires_at=timezone.now() - timedelta(seconds=5),
    )  # fmt: skip
    assert dispatch.requeue_expired() == (0, 1)
    assert WebhookDelivery.objects.get(generation=generation).event == "generation.failed"


def test_the_tokens_page_shows_the_webhook_secret_once_and_makes_a_new_one(artist, db):
    from django.test import Client

    from tests.support.clients import sign_in

    browser = Client()
    sign_in(browser, artist)
    page = browser.post("/tokens/", {"name": "hooks", "scopes": ["generations:write"], "days": 30}, follow=True)
    token = ApiToken.objects.get(user=artist, name="hooks")
    assert token.webhook_secret in page.content.decode()
    assert token.webhook_secret not in browser.get("/tokens/").content.decode()  # once

    page = browser.post(f"/tokens/{token.pk}/webhook-secret/", follow=True)
    token.refresh_from_db()
    assert "Your new webhook secret" in page.content.decode() and token.webhook_secret in page.content.decode()
    assert token.webhook_secret not in browser.get("/tokens/").content.decode()
