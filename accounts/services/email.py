"""Email through a transactional outbox: queued with the change it tells of, sent after commit by a task.

Why an outbox rather than a bare ``on_commit`` send: the row is written in the same transaction as the
decision or invitation, so an email is never lost to a crash between commit and send, and never sent for
a change that rolled back; a request never waits on the mail server, whose outage therefore cannot turn
a committed write into a 500. After commit one Celery message asks a worker to send it; a beat sweep
(accounts.send_due_emails, every minute) sends whatever a lost message or a failed attempt left due.

Delivery is at least once. An attempt first takes the row (its next attempt moves a lease away, in a
transaction of its own), then talks to the mail server, then marks it sent: two workers never send the
same row at once, and a retry after a refused attempt sends it once. Only a crash between the mail
server's yes and the mark can send it twice. Attempts back off from 30 s, doubling, and the row is given
up after EMAIL_MAX_ATTEMPTS (about a day), when staff see it on /staff/health/.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from accounts.models import OutboundEmail
from core.retry import backoff_seconds

log = logging.getLogger(__name__)

SEND_TASK = "accounts.send_email"
EMAIL_MAX_ATTEMPTS = 12  # 30 s doubling to an hour: about a day in all
ATTEMPT_LEASE = timedelta(minutes=5)


def _send_task(email_id: int) -> None:
    from celery import current_app

    current_app.send_task(SEND_TASK, args=[email_id])


def email_queue(*, to: str, subject: str, body: str, kind: str = "", html: str = "") -> OutboundEmail:
    """Write the email in the caller's transaction; a task sends it once that transaction commits."""
    email = OutboundEmail.objects.create(to=to, subject=subject[:300], body=body, html=html, kind=kind[:40])
    # robust: a broker that is down is no reason to fail what committed; the sweep sends it later.
    transaction.on_commit(lambda: _send_task(email.pk), robust=True)
    return email


def email_send(*, email_id: int) -> str:
    """Send one outbox row if it is due: "sent", "retry" (the mail server refused; tried again later),
    "failed" (given up), or "not due" (sent already, someone else's attempt, or its time not come)."""
    now = timezone.now()
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, state=OutboundEmail.State.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if email is None:
            return "not due"
        email.attempts += 1
        email.next_attempt_at = now + ATTEMPT_LEASE  # taken: no other attempt while this one talks to the server
        email.save(update_fields=["attempts", "next_attempt_at"])
    message = EmailMultiAlternatives(email.subject, email.body, settings.DEFAULT_FROM_EMAIL, [email.to])
    if email.html:
        message.attach_alternative(email.html, "text/html")
    try:
        message.send()
    except Exception as exc:  # any refusal by the mail server or the network: recorded, tried again later
        failed = email.attempts >= EMAIL_MAX_ATTEMPTS
        OutboundEmail.objects.filter(pk=email.pk).update(
            state=OutboundEmail.State.FAILED if failed else OutboundEmail.State.PENDING,
            next_attempt_at=timezone.now() + timedelta(seconds=backoff_seconds(email.attempts, first=30, most=3600)),
            last_error=f"{type(exc).__name__}: {exc}"[:500],
        )
        log.warning("email %s to %s, attempt %s: %s", email.pk, email.to, email.attempts, exc)
        return "failed" if failed else "retry"
    OutboundEmail.objects.filter(pk=email.pk).update(
        state=OutboundEmail.State.SENT, sent_at=timezone.now(), body="", html="", last_error=""
    )
    return "sent"


def emails_send_due(*, limit: int = 200) -> int:
    """Send every pending email whose time has come (the beat sweep); returns how many were sent."""
    due = OutboundEmail.objects.filter(state=OutboundEmail.State.PENDING, next_attempt_at__lte=timezone.now())
    return sum(
        email_send(email_id=pk) == "sent" for pk in due.order_by("next_attempt_at").values_list("pk", flat=True)[:limit]
    )
