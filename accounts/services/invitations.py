"""Invitations: issued, resent, revoked, accepted; only a hash of each secret is stored."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts import tokens
from accounts.models import (
    Cohort,
    Invitation,
    Membership,
    User,
)
from accounts.services.audit import audit_record
from accounts.services.email import email_queue
from accounts.services.memberships import check_capacity
from accounts.signals import membership_activated
from core.errors import ApplicationError


@dataclass(frozen=True)
class InvitationRow:
    email: str
    result: str  # invited, already_member, already_invited, invalid_address, over_capacity
    message: str = ""
    invitation: Invitation | None = None
    link: str = ""  # the invitation link, for whoever invited to pass on themselves; shown once, stored nowhere

    LABELS = {
        "invited": "invited",
        "already_member": "already a member",
        "already_invited": "already invited",
        "invalid_address": "not an email address",
        "over_capacity": "cohort full",
    }

    @property
    def label(self) -> str:
        return self.LABELS.get(self.result, self.result)


def invitation_link(secret: str, *, base_url: str) -> str:
    return base_url.rstrip("/") + reverse("invitation_accept", kwargs={"secret": secret})


@transaction.atomic
def invitations_create(
    *,
    actor: User,
    cohort: Cohort,
    emails: Iterable[str],
    role: str = Membership.Role.ARTIST,
    base_url: str,
    ip: str | None = None,
) -> list[InvitationRow]:
    """Invite every address; one result per row, in order. Valid rows are invited even when others are not."""
    if role not in Membership.Role.values:
        raise ApplicationError("invalid", "Role must be artist or reviewer.", fields={"role": "invalid"})
    cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
    emails = [raw.strip() for raw in emails]
    # Expired, unanswered invitations to these addresses end here, so new ones can exist (one query for all).
    cohort.invitations.filter(
        email__in={email.lower() for email in emails}, accepted_at=None, revoked_at=None, expires_at__lte=timezone.now()
    ).update(revoked_at=timezone.now())
    seats = cohort.capacity - cohort.memberships.active_artists().count()
    seats -= cohort.invitations.filter(
        accepted_at=None, revoked_at=None, expires_at__gt=timezone.now(), role=Membership.Role.ARTIST
    ).count()
    members = {
        email.lower()
        for email in cohort.memberships.exclude(status=Membership.Status.REMOVED).values_list("user__email", flat=True)
    }
    open_invitations = {
        invitation.email.lower()
        for invitation in cohort.invitations.filter(accepted_at=None, revoked_at=None, expires_at__gt=timezone.now())
    }
    rows, seen = [], set()
    for raw in emails:
        email = raw.strip().lower()
        if not email or email in seen:
            continue
        seen.add(email)
        try:
            validate_email(email)
        except DjangoValidationError:
            rows.append(InvitationRow(raw.strip(), "invalid_address", "not an email address"))
            continue
        if email in members:
            rows.append(InvitationRow(email, "already_member", "already in this cohort"))
            continue
        if email in open_invitations:
            rows.append(InvitationRow(email, "already_invited", "an open invitation exists; resend it instead"))
            continue
        if role == Membership.Role.ARTIST and seats <= 0:
            rows.append(InvitationRow(email, "over_capacity", f"the cohort is full ({cohort.capacity} artists)"))
            continue
        invitation, link = _invitation_issue(actor=actor, cohort=cohort, email=email, role=role, base_url=base_url)
        audit_record(
            action="invitation.created", actor=actor, target=invitation, cohort=cohort, data={"role": role}, ip=ip
        )
        if role == Membership.Role.ARTIST:
            seats -= 1
        rows.append(InvitationRow(email, "invited", "", invitation, link))
    return rows


def _invitation_issue(*, actor: User, cohort: Cohort, email: str, role: str, base_url: str) -> tuple[Invitation, str]:
    secret = tokens.new_invitation_secret()
    invitation = Invitation.objects.create(
        cohort=cohort,
        email=email,
        role=role,
        secret_hash=tokens.hash_secret(secret),
        invited_by=actor,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_DAYS),
        sent_count=1,
        last_sent_at=timezone.now(),
    )
    link = invitation_link(secret, base_url=base_url)
    _invitation_email(invitation, link)
    return invitation, link


def _invitation_email(invitation: Invitation, link: str) -> None:
    subject = f"You're invited to {invitation.cohort.name} on Vernissage"
    body = (
        f"You have been invited to join {invitation.cohort.name}, an early-access program for artists "
        f"working with a generative video model.\n\nAccept the invitation here (the link works once and "
        f"expires on {invitation.expires_at:%Y-%m-%d}):\n\n{link}\n"
    )
    email_queue(to=invitation.email, subject=subject, body=body, kind="invitation")


@transaction.atomic
def invitation_resend(*, actor: User, invitation: Invitation, base_url: str, ip: str | None = None) -> Invitation:
    """A new link (the old one stops working) and a fresh expiry, emailed again."""
    invitation = Invitation.objects.select_for_update().select_related("cohort").get(pk=invitation.pk)
    if invitation.accepted_at or invitation.revoked_at:
        raise ApplicationError(
            "invitation_closed", f"This invitation was {invitation.status}; invite the address again."
        )
    secret = tokens.new_invitation_secret()
    invitation.secret_hash = tokens.hash_secret(secret)
    invitation.expires_at = timezone.now() + timedelta(days=settings.INVITATION_DAYS)
    invitation.sent_count = F("sent_count") + 1
    invitation.last_sent_at = timezone.now()
    invitation.save()
    invitation.refresh_from_db()
    _invitation_email(invitation, invitation_link(secret, base_url=base_url))
    audit_record(action="invitation.resent", actor=actor, target=invitation, cohort=invitation.cohort, ip=ip)
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation, ip: str | None = None) -> Invitation:
    updated = Invitation.objects.filter(pk=invitation.pk, accepted_at=None, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    invitation.refresh_from_db()
    if not updated:
        raise ApplicationError("invitation_closed", f"This invitation was already {invitation.status}.")
    audit_record(action="invitation.revoked", actor=actor, target=invitation, cohort=invitation.cohort, ip=ip)
    return invitation


@transaction.atomic
def invitation_accept(*, secret: str, user: User, ip: str | None = None) -> Membership:
    """Use an invitation: ``user`` joins its cohort. Single use, checked under the row lock."""
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("cohort")
        .filter(secret_hash=tokens.hash_secret(secret))
        .first()
    )
    if invitation is None:
        raise ApplicationError("invitation_unknown", "This invitation link is not valid.")
    if invitation.status != "pending":
        raise ApplicationError(f"invitation_{invitation.status}", f"This invitation was {invitation.status}.")
    if invitation.email.lower() != user.email.lower():
        raise ApplicationError(
            "invitation_other_email", f"This invitation is for {invitation.email}; sign in with that address."
        )
    cohort = Cohort.objects.select_for_update().get(pk=invitation.cohort_id)
    membership = Membership.objects.filter(user=user, cohort=cohort).first()
    if membership is None or membership.status != Membership.Status.ACTIVE:
        check_capacity(cohort, role=invitation.role)
    if membership is None:
        membership = Membership.objects.create(user=user, cohort=cohort, role=invitation.role)
    else:
        membership.status, membership.status_reason, membership.status_changed_at = (
            Membership.Status.ACTIVE,
            "",
            timezone.now(),
        )
        membership.role = invitation.role
        membership.save()
    membership_activated.send(sender=Membership, membership=membership)
    if invitation.role == Membership.Role.REVIEWER and user.role == User.Role.ARTIST:
        User.objects.filter(pk=user.pk).update(role=User.Role.REVIEWER)
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    # Whoever opened the emailed link controls the address. (On sign-up allauth creates the
    # address itself, verified, from the email the invitation page stashed in the session.)
    EmailAddress.objects.filter(user=user, email__iexact=user.email).update(verified=True)
    audit_record(action="invitation.accepted", actor=user, target=invitation, subject_user=user, cohort=cohort, ip=ip)
    return membership
