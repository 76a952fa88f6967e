"""Webhooks, so API clients need not poll: a job's terminal state POSTed to its callback_url.

The body is built here (``webhook_payload``), not by the API's serializer: its keys are a signed
contract with receivers, pinned by a test, so an API field cannot change it by accident.
Deliveries follow Standard Webhooks (standardwebhooks.com): ``webhook-id`` (the same on every
attempt), ``webhook-timestamp`` and ``webhook-signature`` (``v1,<base64 HMAC-SHA256 of
"id.timestamp.body">`` keyed with the base64 key inside the token's ``whsec_`` secret; a recently
rotated-out secret adds its own signature). docs/api.md shows how to check them. A delivery is retried
with exponential backoff until it gets a 2xx answer or WEBHOOK_RETRY_FOR_HOURS pass.

The platform must not become a way into the network it runs in, so a callback URL is HTTPS to a
public address only (plain HTTP to this machine only when WEBHOOKS_ALLOW_LOOPBACK is set, for
development). The name is resolved again before every attempt, the connection goes to the address
that was checked (a name that changes its answer between check and connect gains nothing), and
redirects are not followed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
from datetime import timedelta
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken
from accounts.tokens import WEBHOOK_SECRET_PREFIX
from core.errors import ApplicationError
from core.retry import backoff_seconds
from generations import selectors
from generations.addresses import globally_reachable, is_loopback
from generations.media import signed_url
from generations.models import Generation, WebhookDelivery
from generations.pricing import adapters_of

logger = logging.getLogger(__name__)

MAX_URL_LENGTH = 2000
DELIVER_TASK = "generations.deliver_webhook"
# While an attempt is under way its row says "not due" for this long (longer than any attempt lasts).
ATTEMPT_LEASE_SECONDS = 120


class UnsafeTarget(ValueError):
    """The URL may not be called: its scheme, or an address its name resolves to."""


def _refuse(message: str):
    raise ApplicationError("invalid", f"callback_url {message}.", fields={"callback_url": message})


def _address_allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone
    if is_loopback(ip):
        return settings.WEBHOOKS_ALLOW_LOOPBACK
    return globally_reachable(ip)


def resolve_target(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, address to connect to) for a URL that may be called now; UnsafeTarget if not."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeTarget("has a port that is not a number from 1 to 65535") from None
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise UnsafeTarget("must be an https:// URL with a host name")
    if parts.username is not None or parts.password is not None:
        raise UnsafeTarget("must not carry a user name or password")
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeTarget(f"names a host that does not resolve ({host})") from None
    addresses = [answer[4][0] for answer in answers]
    if not addresses or not all(_address_allowed(address) for address in addresses):
        raise UnsafeTarget("must resolve to public addresses only, not private, loopback or link-local ones")
    loopback = all(is_loopback(ipaddress.ip_address(a.split("%", 1)[0])) for a in addresses)
    if parts.scheme != "https" and not loopback:
        raise UnsafeTarget("must use https://")
    return parts.scheme, host, port, addresses[0]


def check_callback_url(url: str, *, token) -> str:
    """The URL as given, when jobs submitted with ``token`` may report to it; a 400 saying why if not."""
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        _refuse(f"is at most {MAX_URL_LENGTH} characters")
    if token is None:
        _refuse("needs an API token: deliveries are signed with the token's webhook secret")
    if not token.webhook_secret:
        _refuse("needs a webhook secret on this token: create one on the API tokens page (New webhook secret)")
    try:
        URLValidator(schemes=["https", "http"])(url)  # no spaces or control characters to smuggle into a request
    except ValidationError:
        _refuse("must be an https:// URL with a host name")
    try:
        resolve_target(url)
    except UnsafeTarget as exc:
        _refuse(str(exc))
    return url


def webhook_enqueue(generation: Generation) -> None:
    """Inside the transaction that ends ``generation``: record its delivery and send it after commit."""
    if not generation.callback_url:
        return
    delivery, created = WebhookDelivery.objects.get_or_create(
        generation=generation,
        defaults={"event": f"generation.{generation.status}", "url": generation.callback_url,
                  "next_attempt_at": timezone.now()},
    )  # fmt: skip
    if created:
        transaction.on_commit(lambda: _send_task(delivery.pk))


def _send_task(delivery_id: int, countdown: float = 0) -> None:
    from celery import current_app

    current_app.send_task(DELIVER_TASK, args=[delivery_id], countdown=countdown)


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One Standard Webhooks signature: ``v1,`` and the base64 HMAC-SHA256 of ``id.timestamp.body`` keyed
    with the bytes the ``whsec_`` secret holds in base64 (decoded leniently, as the reference library does)."""
    key = base64.b64decode(secret.removeprefix(WEBHOOK_SECRET_PREFIX) + "==")
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signatures(token: ApiToken, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header: the current secret's signature, and the previous secret's while
    it is still honoured after a rotation, space-separated."""
    secrets = [token.webhook_secret]
    until = token.previous_webhook_secret_until
    if token.previous_webhook_secret and until and until > timezone.now():
        secrets.append(token.previous_webhook_secret)
    return " ".join(sign(secret, message_id, timestamp, body) for secret in secrets)


def _post(url: str, body: bytes, headers: dict) -> int:
    scheme, host, port, address = resolve_target(url)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    timeout = urllib3.Timeout(connect=5, read=settings.WEBHOOK_TIMEOUT_SECONDS)
    if scheme == "https":  # connect to the checked address; the certificate must still name the host
        pool = urllib3.HTTPSConnectionPool(
            address, port, server_hostname=host, assert_hostname=host, timeout=timeout, retries=False
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
    with pool:
        response = pool.urlopen(
            "POST", path, body=body, headers={**headers, "Host": parts.netloc.rsplit("@", 1)[-1]},
            redirect=False, preload_content=True,
        )  # fmt: skip
    return response.status


def next_delay(attempts: int) -> float:
    """Seconds before attempt ``attempts + 1``: the base, doubling, at most the maximum."""
    return backoff_seconds(
        attempts, first=settings.WEBHOOK_RETRY_BASE_SECONDS, most=settings.WEBHOOK_RETRY_MAX_DELAY_SECONDS
    )


def _iso(moment) -> str | None:
    """As the API writes a time (ISO 8601, UTC as Z)."""
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def webhook_payload(delivery: WebhookDelivery) -> dict:
    """The JSON a receiver gets: the ended job as its artist sees it, with signed media links on SITE_URL."""
    generation = delivery.generation

    def media_url(kind: str) -> str | None:
        if not (generation.video if kind == "video" else generation.poster) or generation.deleted_at:
            return None
        return settings.SITE_URL + signed_url(generation, kind, viewer_id=generation.artist_id)

    start = generation.start_image
    start_image = start and {
        "id": str(start.public_id), "sha256": start.sha256, "width": start.width, "height": start.height,
        "url": None if generation.deleted_at
        else settings.SITE_URL + signed_url(generation, "image", viewer_id=generation.artist_id),
    }  # fmt: skip

    return {
        "event": delivery.event,
        "generation": {
            "id": str(generation.public_id), "cohort": generation.cohort.slug, "status": generation.status,
            "prompt": generation.prompt, "negative_prompt": generation.negative_prompt,
            "preset": generation.preset, "width": generation.width, "height": generation.height,
            "num_frames": generation.num_frames, "fps": generation.fps, "duration_s": generation.duration_s,
            "steps": generation.steps, "seed": generation.seed, "cost": generation.cost,
            "progress": generation.progress, "attempts": generation.attempts,
            "gpu_seconds": generation.gpu_seconds, "failure_message": generation.failure_message,
            "queued_at": _iso(generation.queued_at), "started_at": _iso(generation.started_at),
            "finished_at": _iso(generation.finished_at),
            "video_url": media_url("video"), "poster_url": media_url("poster"),
            "video_sha256": generation.video_sha256,
            "retry_of": str(generation.retry_of.public_id) if generation.retry_of_id else None,
            "callback_url": generation.callback_url, "adapters": adapters_of(generation.preset, generation.style),
            "mode": generation.mode, "start_image": start_image, "image_fit": generation.image_fit or None,
            "style": generation.style, "lane": generation.lane,
            # As the detail endpoint shows an ended job to its artist: no place in the queue, no estimate,
            # and phase timings are for staff.
            "queue_position": None, "estimated_start": None, "phase_ms": None,
            "staff_access": [
                {"viewer": str(access.viewer), "via": access.via, "at": _iso(access.at)}
                for access in selectors.staff_access_to(generation=generation)
            ],
        },
    }  # fmt: skip


def webhook_deliver(delivery_id: int) -> str:
    """Make one attempt if one is due; returns what happened ("delivered", "retry", "gave up", "not due").

    No transaction stays open while the other end answers: the attempt is first booked (the row's next
    attempt moves past the timeout, so a duplicate message finds nothing due), then made, then recorded.
    """
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=delivery_id, delivered_at=None, given_up_at=None, next_attempt_at__lte=timezone.now())
            .select_related(
                "generation__callback_token", "generation__cohort", "generation__retry_of", "generation__start_image"
            )
            .first()
        )
        if delivery is None:
            return "not due"  # delivered, given up, taken by another message, or not yet time
        token = delivery.generation.callback_token
        if token is None or token.status in ("revoked", "expired") or not token.webhook_secret:
            return _give_up(delivery, "the token that asked for it was revoked or has expired")
        delivery.attempts += 1
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=ATTEMPT_LEASE_SECONDS)
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    body = json.dumps(webhook_payload(delivery), sort_keys=True).encode()
    message_id, timestamp = f"msg_{delivery.pk}", int(time.time())
    headers = {
        "Content-Type": "application/json", "User-Agent": "Vernissage-Webhooks/2",
        "webhook-id": message_id, "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures(token, message_id, timestamp, body), "Vernissage-Event": delivery.event,
    }  # fmt: skip
    try:
        status = _post(delivery.url, body, headers)
        error = "" if 200 <= status < 300 else f"answered HTTP {status}"
    except UnsafeTarget as exc:
        return _give_up(delivery, f"callback_url {exc}")
    except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:  # refused, reset, timed out, bad TLS
        status, error = None, f"could not connect ({type(exc).__name__})"
    now = timezone.now()
    delivery.last_status, delivery.last_error = status, error
    if not error:
        delivery.delivered_at = now
        delivery.save(update_fields=["last_status", "last_error", "delivered_at"])
        return "delivered"
    if now >= delivery.created_at + timedelta(hours=settings.WEBHOOK_RETRY_FOR_HOURS):
        return _give_up(delivery, error)
    delay = next_delay(delivery.attempts)
    delivery.next_attempt_at = now + timedelta(seconds=delay)
    delivery.save(update_fields=["last_status", "last_error", "next_attempt_at"])
    _send_task(delivery.pk, countdown=delay)
    logger.info("webhook %s to %s %s; next attempt in %.0f s", delivery.pk, delivery.url, error, delay)
    return "retry"


def _give_up(delivery: WebhookDelivery, reason: str) -> str:
    delivery.given_up_at, delivery.last_error = timezone.now(), reason[:300]
    delivery.save(update_fields=["attempts", "given_up_at", "last_error"])
    logger.warning("webhook %s to %s given up: %s", delivery.pk, delivery.url, reason)
    return "gave up"


def deliver_due(*, at_most: int = 100) -> int:
    """Send the deliveries whose retry is overdue by a minute (a lost message); returns how many."""
    overdue = timezone.now() - timedelta(minutes=1)
    due = list(
        WebhookDelivery.objects.filter(delivered_at=None, given_up_at=None, next_attempt_at__lte=overdue)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:at_most]
    )
    for delivery_id in due:
        _send_task(delivery_id)
    return len(due)
