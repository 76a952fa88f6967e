"""Account and membership status (the account and membership kill switches), roles and seats."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import (
    Cohort,
    Membership,
    User,
)
from accounts.services.audit import audit_record, notify
from accounts.signals import membership_activated, send_generation_may_resume
from core.errors import ApplicationError


def _refuse_erased(user: User) -> None:
    """An erased account is kept for the books only: nobody is there to suspend, reactivate or promote."""
    if user.is_erased:
        raise ApplicationError(
            "erased", "This person's account was erased at their request: it is kept for the books only.", status=409
        )


@transaction.atomic
def user_suspend(*, actor: User, user: User, reason: str, ip: str | None = None) -> User:
    """Account kill switch: every session and token of ``user`` stops working on its next request."""
    if not reason.strip():
        raise ApplicationError("invalid", "Say why the account is suspended.", fields={"reason": "required"})
    _refuse_erased(user)
    User.objects.filter(pk=user.pk).update(suspended_at=timezone.now(), suspended_reason=reason)
    audit_record(action="user.suspended", actor=actor, target=user, subject_user=user, data={"reason": reason}, ip=ip)
    notify(user=user, kind="account_suspended", title="Your account is suspended", body=reason, email=True)
    user.refresh_from_db()
    return user


@transaction.atomic
def user_reactivate(*, actor: User, user: User, ip: str | None = None) -> User:
    _refuse_erased(user)
    User.objects.filter(pk=user.pk).update(suspended_at=None, suspended_reason="")
    audit_record(action="user.reactivated", actor=actor, target=user, subject_user=user, ip=ip)
    notify(user=user, kind="account_reactivated", title="Your account is active again", email=True)
    send_generation_may_resume(User)
    user.refresh_from_db()
    return user


@transaction.atomic
def membership_set_status(
    *, actor: User, membership: Membership, status: str, reason: str = "", ip: str | None = None
) -> Membership:
    if status not in Membership.Status.values:
        raise ApplicationError("invalid", "Unknown membership status.", fields={"status": "invalid"})
    if status != Membership.Status.ACTIVE and not reason.strip():
        raise ApplicationError("invalid", "Say why, so the artist knows.", fields={"reason": "required"})
    membership = Membership.objects.select_for_update().select_related("cohort", "user").get(pk=membership.pk)
    _refuse_erased(membership.user)
    if status == Membership.Status.ACTIVE and membership.status != Membership.Status.ACTIVE:
        check_capacity(membership.cohort, role=membership.role)
    previous = membership.status
    membership.status, membership.status_reason = status, reason
    membership.status_set_by, membership.status_changed_at = actor, timezone.now()
    membership.save()
    if status == Membership.Status.ACTIVE and previous != status:
        membership_activated.send(sender=Membership, membership=membership)
        send_generation_may_resume(Membership)
    audit_record(
        action=f"membership.{status}",
        actor=actor,
        target=membership,
        subject_user=membership.user,
        cohort=membership.cohort,
        data={"from": previous, "reason": reason},
        ip=ip,
    )
    notify(
        user=membership.user,
        kind="membership_changed",
        email=True,
        title=f"Your membership of {membership.cohort} is now {status}",
        body=reason,
    )
    return membership


@transaction.atomic
def membership_set_role(*, actor: User, membership: Membership, role: str, ip: str | None = None) -> Membership:
    if role not in Membership.Role.values:
        raise ApplicationError("invalid", "Role must be artist or reviewer.", fields={"role": "invalid"})
    membership = Membership.objects.select_for_update().select_related("cohort", "user").get(pk=membership.pk)
    _refuse_erased(membership.user)
    previous, membership.role = membership.role, role
    membership.save(update_fields=["role"])
    if previous != role and membership.status == Membership.Status.ACTIVE:
        membership_activated.send(sender=Membership, membership=membership)
    if role == Membership.Role.REVIEWER and membership.user.role == User.Role.ARTIST:
        User.objects.filter(pk=membership.user_id).update(role=User.Role.REVIEWER)
    audit_record(
        action="membership.role_changed",
        actor=actor,
        target=membership,
        subject_user=membership.user,
        cohort=membership.cohort,
        data={"from": previous, "to": role},
        ip=ip,
    )
    return membership


def check_capacity(cohort: Cohort, *, role: str) -> None:
    """Raise when an artist would take the cohort past its capacity. Caller holds the cohort's row lock."""
    if role != Membership.Role.ARTIST:
        return
    active = cohort.memberships.active_artists().count()
    if active >= cohort.capacity:
        raise ApplicationError("over_capacity", f"{cohort} is full ({cohort.capacity} artists).")
