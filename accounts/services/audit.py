"""The audit log and notifications: written in the same transaction as the change they describe."""

from __future__ import annotations

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
    if email:
        email_queue(to=user.email, subject=f"[Vernissage] {title}", body=body, kind=kind)
    return notification


def notify_admins(*, kind: str, title: str, body: str, email: bool = True) -> None:
    for admin in User.objects.filter(role=User.Role.ADMIN, is_active=True):
        notify(user=admin, kind=kind, title=title, body=body, email=email)
