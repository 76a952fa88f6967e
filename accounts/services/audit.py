"""The audit log and notifications: written in the same transaction as the change they describe."""

from __future__ import annotations

import json
import re

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import (
    AuditEvent,
    Cohort,
    Notification,
    User,
)
from accounts.services.email import email_queue


def audit_record(
    *,
    action: str,
    actor: User | None = None,
    target=None,
    subject_user: User | None = None,
    cohort: Cohort | None = None,
    data: dict | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Append one audit event. Call it inside the transaction of the change it describes."""
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        target_type=target._meta.model_name if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        subject_user=subject_user,
        cohort=cohort,
        data=data or {},
        ip=ip,
    )


def notifications_mark_read(*, user: User, notifications: list[Notification]) -> int:
    """The person has seen these notifications (their notifications page showed them); others stay unread."""
    shown = [notification.pk for notification in notifications if notification.user_id == user.pk]
    return user.notifications.filter(pk__in=shown, read_at=None).update(read_at=timezone.now())


def notify(*, user: User, kind: str, title: str, body: str = "", email: bool = False) -> Notification:
    """An in-app notification; with ``email`` also an email, through the outbox (sent after commit by a
    task, never inside the request)."""
    notification = Notification.objects.create(user=user, kind=kind, title=title, body=body)
    if email and not user.is_erased:  # an erased account's address names nobody (and must not be dialled)
        email_queue(to=user.email, subject=f"[Vernissage] {title}", body=body, kind=kind)
    return notification


def notify_admins(*, kind: str, title: str, body: str, email: bool = True) -> None:
    for admin in User.objects.filter(role=User.Role.ADMIN, is_active=True):
        notify(user=admin, kind=kind, title=title, body=body, email=email)


# The embedded SQLite database's trigger (accounts migration 0002); PostgreSQL's asks for a setting instead.
SQLITE_NO_UPDATE = (
    "CREATE TRIGGER accounts_auditevent_no_update BEFORE UPDATE ON accounts_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'accounts_auditevent is append-only: UPDATE refused'); END;"
)


@transaction.atomic
def audit_pseudonymise(*, user: User, replacements: dict[str, str]) -> int:
    """Rewrite the audit events about ``user`` (as actor, subject or target, or naming them in their data)
    with each ``replacements`` key replaced by its value and no address: the one change the append-only
    log allows, for an erasure. An event about the person names its target by type and number only (a
    request's title or a report's words would still say who it was); a cohort keeps its name.
    Returns how many events were rewritten."""
    # About them: theirs to see, or staff's record of a step on their rows (a held or undone review names
    # its artist in its data).
    personal_events = (
        Q(actor=user) | Q(subject_user=user) | Q(target_type="user", target_id=str(user.pk)) | Q(data__artist=user.pk)
    )
    about = personal_events
    for personal in replacements:
        about |= Q(target_repr__icontains=personal) | Q(data__icontains=personal)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL vernissage.pseudonymising = 'on'")
        elif connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS accounts_auditevent_no_update")
    rewritten = 0
    kept = set(
        AuditEvent.objects.filter(about).exclude(personal_events).values_list("pk", flat=True)
    )  # events that only mention them: their other words stay
    for event in AuditEvent.objects.filter(about).only("pk", "target_type", "target_id", "target_repr", "data"):
        target_repr, data = event.target_repr, json.dumps(event.data)
        if event.pk not in kept and event.target_type not in ("", "cohort"):
            target_repr = f"{event.target_type} #{event.target_id}"
        for personal, pseudonym in replacements.items():
            pattern = re.compile(re.escape(personal), re.IGNORECASE)
            target_repr, data = pattern.sub(pseudonym, target_repr), pattern.sub(pseudonym, data)
        rewritten += AuditEvent.objects.filter(pk=event.pk).update(
            target_repr=target_repr, data=json.loads(data), ip=None
        )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL vernissage.pseudonymising = 'off'")
        elif connection.vendor == "sqlite":
            cursor.execute(SQLITE_NO_UPDATE)
    return rewritten
