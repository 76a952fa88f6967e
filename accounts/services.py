"""Every write about people, cohorts, access and consent.

Keyword-only functions, one transaction each; the audit event is written in
the same transaction as the change it describes, and emails go out only after
commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts import tokens
from accounts.errors import ApplicationError
from accounts.models import (
    ApiToken,
    AuditEvent,
    Cohort,
    ConsentRecord,
    Invitation,
    Membership,
    Notification,
    ProgramSwitches,
    TermsAcceptance,
    TermsVersion,
    User,
)
from accounts.selectors import consents_current
from accounts.signals import send_generation_may_resume

CONSENT_VERSION = 1  # bump when the wording of the consent choices changes


# --- Audit and notifications --------------------------------------------------


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


def notify(*, user: User, kind: str, title: str, body: str = "", email: bool = False) -> Notification:
    """An in-app notification; with ``email`` also an email, sent after commit."""
    notification = Notification.objects.create(user=user, kind=kind, title=title, body=body)
    if email:
        recipient = user.email
        transaction.on_commit(
            lambda: send_mail(f"[Vernissage] {title}", body, settings.DEFAULT_FROM_EMAIL, [recipient])
        )
    return notification


def notify_admins(*, kind: str, title: str, body: str, email: bool = True) -> None:
    for admin in User.objects.filter(role=User.Role.ADMIN, is_active=True):
        notify(user=admin, kind=kind, title=title, body=body, email=email)


# --- Cohorts and kill switches ------------------------------------------------

COHORT_FIELDS = Cohort.EDITABLE_FIELDS


# The database's cohort constraints, by the field a person would fix.
_COHORT_CONSTRAINT_FIELDS = {
    "cohort_leak_addresses_positive": ("leak_max_addresses", "at least 1"),
    "cohort_ends_after_start": ("ends_on", "must not be before starts_on"),
    "cohort_status_valid": ("status", "not a status"),
}


def _cohort_refusal(cohort: Cohort, exc: IntegrityError) -> ApplicationError:
    """What a refused cohort save means to a person: a taken slug (409), or the field a constraint names."""
    if Cohort.objects.filter(slug=cohort.slug).exclude(pk=cohort.pk).exists():
        return ApplicationError(
            "conflict", "A cohort with this slug exists already.", fields={"slug": "taken"}, status=409
        )
    for constraint, (field, message) in _COHORT_CONSTRAINT_FIELDS.items():
        if constraint in str(exc):
            return ApplicationError("invalid", f"Check {field}: {message}.", fields={field: message})
    raise exc


@transaction.atomic
def cohort_create(*, actor: User, ip: str | None = None, **fields) -> Cohort:
    cohort = Cohort(**{k: v for k, v in fields.items() if k in COHORT_FIELDS})
    try:
        with transaction.atomic():
            cohort.save()
    except IntegrityError as exc:
        raise _cohort_refusal(cohort, exc) from exc
    audit_record(
        action="cohort.created", actor=actor, target=cohort, cohort=cohort, ip=ip, data={"status": cohort.status}
    )
    return cohort


@transaction.atomic
def cohort_update(*, actor: User, cohort: Cohort, ip: str | None = None, **fields) -> Cohort:
    cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
    changes = {}
    for name, value in fields.items():
        if name in COHORT_FIELDS and getattr(cohort, name) != value:
            changes[name] = [str(getattr(cohort, name)), str(value)]
            setattr(cohort, name, value)
    if changes:
        try:
            with transaction.atomic():
                cohort.save()
        except IntegrityError as exc:
            raise _cohort_refusal(cohort, exc) from exc
        action = "cohort.status_changed" if set(changes) == {"status"} else "cohort.updated"
        audit_record(action=action, actor=actor, target=cohort, cohort=cohort, data=changes, ip=ip)
        if "status" in changes and cohort.status == Cohort.Status.ACTIVE:
            send_generation_may_resume(Cohort)
    return cohort


@transaction.atomic
def generation_pause_set(
    *, actor: User | None, paused: bool, reason: str = "", ip: str | None = None
) -> ProgramSwitches:
    """The global kill switch for generation; takes effect on the next request and the next claim."""
    switches, _ = ProgramSwitches.objects.select_for_update().get_or_create(pk=1)
    switches.generation_paused = paused
    switches.generation_paused_reason = reason if paused else ""
    switches.changed_by = actor
    switches.changed_at = timezone.now()
    switches.save()
    audit_record(
        action="generation.paused" if paused else "generation.resumed", actor=actor, data={"reason": reason}, ip=ip
    )
    if not paused:
        send_generation_may_resume(ProgramSwitches)
    return switches


# --- Accounts and memberships ---------------------------------------------------


@transaction.atomic
def user_suspend(*, actor: User, user: User, reason: str, ip: str | None = None) -> User:
    """Account kill switch: every session and token of ``user`` stops working on its next request."""
    if not reason.strip():
        raise ApplicationError("invalid", "Say why the account is suspended.", fields={"reason": "required"})
    User.objects.filter(pk=user.pk).update(suspended_at=timezone.now(), suspended_reason=reason)
    audit_record(action="user.suspended", actor=actor, target=user, subject_user=user, data={"reason": reason}, ip=ip)
    notify(user=user, kind="account_suspended", title="Your account is suspended", body=reason, email=True)
    user.refresh_from_db()
    return user


@transaction.atomic
def user_reactivate(*, actor: User, user: User, ip: str | None = None) -> User:
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
    if status == Membership.Status.ACTIVE and membership.status != Membership.Status.ACTIVE:
        _check_capacity(membership.cohort, role=membership.role)
    previous = membership.status
    membership.status, membership.status_reason = status, reason
    membership.status_set_by, membership.status_changed_at = actor, timezone.now()
    membership.save()
    if status == Membership.Status.ACTIVE and previous != status:
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
    previous, membership.role = membership.role, role
    membership.save(update_fields=["role"])
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


def _check_capacity(cohort: Cohort, *, role: str) -> None:
    """Raise when an artist would take the cohort past its capacity. Caller holds the cohort's row lock."""
    if role != Membership.Role.ARTIST:
        return
    active = cohort.memberships.filter(role=Membership.Role.ARTIST, status=Membership.Status.ACTIVE).count()
    if active >= cohort.capacity:
        raise ApplicationError("over_capacity", f"{cohort} is full ({cohort.capacity} artists).")


# --- Invitations ------------------------------------------------------------------


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
    seats = cohort.capacity - cohort.memberships.filter(role="artist", status="active").count()
    seats -= cohort.invitations.filter(
        accepted_at=None, revoked_at=None, expires_at__gt=timezone.now(), role="artist"
    ).count()
    members = {
        email.lower() for email in cohort.memberships.exclude(status="removed").values_list("user__email", flat=True)
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
    _invitation_email_on_commit(invitation, link)
    return invitation, link


def _invitation_email_on_commit(invitation: Invitation, link: str) -> None:
    subject = f"You're invited to {invitation.cohort.name} on Vernissage"
    body = (
        f"You have been invited to join {invitation.cohort.name}, an early-access program for artists "
        f"working with a generative video model.\n\nAccept the invitation here (the link works once and "
        f"expires on {invitation.expires_at:%Y-%m-%d}):\n\n{link}\n"
    )
    recipient = invitation.email
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient]))


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
    _invitation_email_on_commit(invitation, invitation_link(secret, base_url=base_url))
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
        _check_capacity(cohort, role=invitation.role)
    if membership is None:
        membership = Membership.objects.create(user=user, cohort=cohort, role=invitation.role)
    else:
        membership.status, membership.status_reason, membership.status_changed_at = "active", "", timezone.now()
        membership.role = invitation.role
        membership.save()
    if invitation.role == Membership.Role.REVIEWER and user.role == User.Role.ARTIST:
        User.objects.filter(pk=user.pk).update(role=User.Role.REVIEWER)
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    # Whoever opened the emailed link controls the address. (On sign-up allauth creates the
    # address itself, verified, from the email the invitation page stashed in the session.)
    EmailAddress.objects.filter(user=user, email__iexact=user.email).update(verified=True)
    audit_record(action="invitation.accepted", actor=user, target=invitation, subject_user=user, cohort=cohort, ip=ip)
    return membership


# --- Terms and consent ----------------------------------------------------------------


@transaction.atomic
def terms_publish(*, actor: User, cohort: Cohort, body: str, ip: str | None = None) -> TermsVersion:
    if not body.strip():
        raise ApplicationError("invalid", "The terms need a text.", fields={"body": "required"})
    Cohort.objects.select_for_update().get(pk=cohort.pk)
    latest = cohort.terms_versions.order_by("-version").values_list("version", flat=True).first() or 0
    terms = TermsVersion.objects.create(cohort=cohort, version=latest + 1, body=body)
    audit_record(
        action="terms.published", actor=actor, target=terms, cohort=cohort, data={"version": terms.version}, ip=ip
    )
    return terms


@transaction.atomic
def terms_accept(*, user: User, terms: TermsVersion, ip: str | None = None) -> TermsAcceptance:
    acceptance, created = TermsAcceptance.objects.get_or_create(user=user, terms=terms, defaults={"ip": ip})
    if created:
        audit_record(
            action="terms.accepted",
            actor=user,
            target=terms,
            subject_user=user,
            cohort=terms.cohort,
            data={"version": terms.version},
            ip=ip,
        )
    return acceptance


@transaction.atomic
def consents_set(*, user: User, choices: dict, ip: str | None = None) -> list[ConsentRecord]:
    """Record each choice that differs from the one in force; history is kept, never overwritten."""
    current = consents_current(user=user)
    recorded = []
    for kind, value in choices.items():
        if kind not in ConsentRecord.Kind.values:
            raise ApplicationError("invalid", f"Unknown consent {kind!r}.", fields={kind: "unknown"})
        if current.get(kind) == value:
            continue
        recorded.append(
            ConsentRecord.objects.create(user=user, kind=kind, value=value, consent_version=CONSENT_VERSION)
        )
        audit_record(
            action="consent.changed", actor=user, subject_user=user, data={"kind": kind, "value": value}, ip=ip
        )
    return recorded


# --- API tokens -----------------------------------------------------------------------


def scopes_allowed_for(user: User) -> list[str]:
    allowed = [
        ApiToken.Scope.GENERATIONS_READ,
        ApiToken.Scope.GENERATIONS_WRITE,
        ApiToken.Scope.REPORTS_WRITE,
        ApiToken.Scope.TOKENS_WRITE,
    ]
    if user.is_program_staff:
        allowed += [ApiToken.Scope.REVIEWS_WRITE, ApiToken.Scope.STAFF]
    return [str(scope) for scope in allowed]


@transaction.atomic
def token_create(
    *, user: User, name: str, scopes: list[str], days: int | None = None, ip: str | None = None
) -> tuple[ApiToken, str]:
    """A new token and its plaintext, which is returned once and stored nowhere."""
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ApplicationError(
            "invalid",
            f"A token lives 1 to {settings.API_TOKEN_MAX_DAYS} days.",
            fields={"days": f"must be 1 to {settings.API_TOKEN_MAX_DAYS}"},
        )
    if not name.strip():
        raise ApplicationError("invalid", "Give the token a name you will recognise.", fields={"name": "required"})
    allowed = scopes_allowed_for(user)
    unknown = [scope for scope in scopes if scope not in allowed]
    if unknown or not scopes:
        raise ApplicationError(
            "invalid",
            f"Choose scopes among {', '.join(allowed)}.",
            fields={"scopes": f"not allowed: {', '.join(unknown) or 'none chosen'}"},
        )
    plaintext = tokens.new_token()
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        prefix=tokens.visible_prefix(plaintext),
        secret_hash=tokens.hash_secret(plaintext),
        scopes=sorted(set(scopes)),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    audit_record(
        action="token.created",
        actor=user,
        target=token,
        subject_user=user,
        ip=ip,
        data={"scopes": token.scopes, "days": days, "prefix": token.prefix},
    )
    return token, plaintext


@transaction.atomic
def token_revoke(*, actor: User | None, token: ApiToken, reason: str, ip: str | None = None) -> ApiToken:
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )
    token.refresh_from_db()
    if updated:
        audit_record(
            action="token.revoked", actor=actor, target=token, subject_user=token.user, data={"reason": reason}, ip=ip
        )
        if actor is None or actor.pk != token.user_id:
            notify(
                user=token.user,
                kind="token_revoked",
                email=True,
                title=f"Your API token {token.prefix}… was revoked",
                body=f"Reason: {reason}. Create a new token if you still need one.",
            )
    return token


@transaction.atomic
def token_reactivate(*, actor: User, token: ApiToken, ip: str | None = None) -> ApiToken:
    """The owner confirms a suspended token was theirs; revoked or expired tokens stay dead."""
    if token.user_id != actor.pk:
        raise ApplicationError("permission_denied", "Only the owner may reactivate a token.", status=403)
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.status != "suspended":
        raise ApplicationError(
            "token_not_suspended", f"This token is {token.status}; only a suspended token can be reactivated."
        )
    # A new reactivation time starts the token's leak and rate windows afresh (accounts.leaks), so the
    # owner's next request is not judged by the burst that suspended it.
    token.suspended_at, token.suspended_reason, token.reactivated_at = None, "", timezone.now()
    token.save(update_fields=["suspended_at", "suspended_reason", "reactivated_at"])
    audit_record(action="token.reactivated", actor=actor, target=token, subject_user=actor, ip=ip)
    return token


@transaction.atomic
def token_rotate(*, actor: User, token: ApiToken, ip: str | None = None) -> tuple[ApiToken, str]:
    """Revoke ``token`` and create a new one with the same name, scopes and remaining lifetime."""
    if token.user_id != actor.pk:
        raise ApplicationError("permission_denied", "Only the owner may rotate a token.", status=403)
    remaining = max(1, (token.expires_at - timezone.now()).days)
    token_revoke(actor=actor, token=token, reason="rotated", ip=ip)
    return token_create(
        user=actor, name=token.name, scopes=token.scopes, days=min(remaining, settings.API_TOKEN_MAX_DAYS), ip=ip
    )


@transaction.atomic
def tokens_revoke_for_cohort(*, actor: User, cohort: Cohort, ip: str | None = None) -> int:
    """Revoke every live token of every member of ``cohort`` in one step."""
    users = Membership.objects.filter(cohort=cohort).values("user_id")
    live = ApiToken.objects.filter(user_id__in=users, revoked_at=None)
    count = live.update(revoked_at=timezone.now(), revoked_reason=f"all tokens of {cohort.slug} revoked")
    audit_record(
        action="cohort.tokens_revoked", actor=actor, target=cohort, cohort=cohort, data={"count": count}, ip=ip
    )
    return count


def token_revoke_exposed(*, plaintext: str, ip: str | None = None) -> bool:
    """Anyone who finds a leaked token may revoke it. Returns whether a live token was revoked."""
    if not tokens.is_well_formed(plaintext):
        return False
    token = ApiToken.objects.select_related("user").filter(secret_hash=tokens.hash_secret(plaintext)).first()
    if token is None or token.revoked_at:
        return False
    with transaction.atomic():
        token_revoke(
            actor=None, token=token, reason="reported as exposed through the public revocation endpoint", ip=ip
        )
        notify_admins(
            kind="token_exposed",
            title=f"A token of {token.user.email} was reported exposed and revoked",
            body=f"Token {token.prefix}… ({token.name}) was revoked through the public endpoint from {ip}.",
        )
    return True


def token_suspend_for_leak(*, token: ApiToken, reason: str, data: dict, ip: str | None) -> bool:
    """Suspend ``token`` because its use looks relayed; the first caller wins, the others change nothing."""
    with transaction.atomic():
        suspended = ApiToken.objects.filter(pk=token.pk, suspended_at=None, revoked_at=None).update(
            suspended_at=timezone.now(), suspended_reason=reason
        )
        if not suspended:
            return False
        token.refresh_from_db()
        audit_record(
            action="token.suspended", target=token, subject_user=token.user, data={"reason": reason, **data}, ip=ip
        )
        body = (
            f"Token {token.prefix}… ({token.name}) was suspended automatically: {reason}. If you did not share "
            "it, rotate it on your tokens page; if you did, reactivate it there after checking."
        )
        notify(user=token.user, kind="token_suspended", title="Your API token was suspended", body=body, email=True)
        notify_admins(kind="token_suspended", title=f"Token of {token.user.email} suspended", body=body)
    return True


def token_touch(*, token: ApiToken, ip: str | None, user_agent: str) -> None:
    """Record last use; writes at most once a minute per token unless the address or agent changed."""
    now = timezone.now()
    user_agent = user_agent[:300]
    if (
        token.last_used_at
        and now - token.last_used_at < timedelta(minutes=1)
        and token.last_used_ip == ip
        and token.last_used_user_agent == user_agent
    ):
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip, last_used_user_agent=user_agent)


# --- Demo data ---------------------------------------------------------------------------------

DEMO_COHORT_SLUG = "demo"
DEMO_ACCOUNTS = (
    ("admin@example.com", "Ada Admin", User.Role.ADMIN, None),
    ("reviewer@example.com", "Rae Reviewer", User.Role.REVIEWER, Membership.Role.REVIEWER),
    ("artist@example.com", "Ari Artist", User.Role.ARTIST, Membership.Role.ARTIST),
    ("artist2@example.com", "Bo Artist", User.Role.ARTIST, Membership.Role.ARTIST),
)
DEMO_TERMS = (
    "1. Your clips are yours. The program may show published clips with the credit you choose.\n"
    "2. Bug reports and feedback are paid at the published rates.\n"
    "3. Keep your API tokens private; the program suspends tokens that look shared.\n"
)


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    created: bool


@transaction.atomic
def demo_seed(*, password: str) -> tuple[Cohort, list[DemoLogin]]:
    """Create (or bring back to a known state) the demo cohort and accounts.

    Idempotent: running it again creates nothing new; it resets the demo
    passwords to ``password``, marks their email addresses verified, keeps the
    cohort active, the artists' terms accepted and the reviewer assigned.
    """
    cohort, _ = Cohort.objects.update_or_create(
        slug=DEMO_COHORT_SLUG,
        defaults={
            "name": "Demo cohort",
            "description": "A cohort for trying Vernissage locally.",
            "status": Cohort.Status.ACTIVE,
        },
    )
    terms = cohort.terms_versions.order_by("-version").first() or TermsVersion.objects.create(
        cohort=cohort, version=1, body=DEMO_TERMS
    )
    logins = []
    for email, name, role, membership_role in DEMO_ACCOUNTS:
        user, created = User.objects.get_or_create(email=email, defaults={"display_name": name, "role": role})
        user.role = role
        user.is_active = True
        user.suspended_at = None
        user.is_staff = role == User.Role.ADMIN
        user.is_superuser = role == User.Role.ADMIN
        user.set_password(password)
        user.save()
        EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        if membership_role:
            Membership.objects.update_or_create(
                user=user, cohort=cohort, defaults={"role": membership_role, "status": Membership.Status.ACTIVE}
            )
        if membership_role == Membership.Role.ARTIST:
            TermsAcceptance.objects.get_or_create(user=user, terms=terms)
        logins.append(DemoLogin(email=email, role=role, created=created))
    return cohort, logins
