"""Personal API tokens: created, revoked, reactivated, rotated, suspended for a leak, touched."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import tokens
from accounts.models import (
    ApiToken,
    Cohort,
    Membership,
    User,
)
from accounts.permissions import STAFF_SCOPES, scopes_allowed_for
from accounts.services.audit import audit_record, notify, notify_admins
from core.errors import ApplicationError


@transaction.atomic
def token_create(
    *,
    user: User,
    name: str,
    scopes: list[str],
    second_factor: bool = False,
    days: int | None = None,
    ip: str | None = None,
) -> tuple[ApiToken, str]:
    """A new token and its plaintext, which is returned once and stored nowhere. ``second_factor`` says
    whether the credentials asking passed one: staff scopes need it."""
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ApplicationError(
            "invalid",
            f"A token lives 1 to {settings.API_TOKEN_MAX_DAYS} days.",
            fields={"days": f"must be 1 to {settings.API_TOKEN_MAX_DAYS}"},
        )
    if not name.strip():
        raise ApplicationError("invalid", "Give the token a name you will recognise.", fields={"name": "required"})
    allowed = scopes_allowed_for(user, second_factor=second_factor)
    unknown = [scope for scope in scopes if scope not in allowed]
    if user.is_program_staff and not second_factor and any(scope in STAFF_SCOPES for scope in unknown):
        raise ApplicationError(
            "second_factor_required",
            "Staff scopes need a session that passed two-factor sign-in: set it up or sign in with it first.",
            fields={"scopes": f"not allowed without two-factor: {', '.join(unknown)}"},
            status=403,
        )
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
        webhook_secret=tokens.new_webhook_secret(),
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
def token_rotate(*, actor: User, token: ApiToken, second_factor: bool, ip: str | None = None) -> tuple[ApiToken, str]:
    """Revoke ``token`` and create a new one with the same name, scopes and remaining lifetime (staff
    scopes again only with a second factor)."""
    if token.user_id != actor.pk:
        raise ApplicationError("permission_denied", "Only the owner may rotate a token.", status=403)
    remaining = max(1, (token.expires_at - timezone.now()).days)
    token_revoke(actor=actor, token=token, reason="rotated", ip=ip)
    return token_create(
        user=actor, name=token.name, scopes=token.scopes, second_factor=second_factor,
        days=min(remaining, settings.API_TOKEN_MAX_DAYS), ip=ip,
    )  # fmt: skip


@transaction.atomic
def tokens_revoke_staff_before_second_factor(*, user: User, enrolled_at, ip: str | None = None) -> int:
    """At two-factor enrolment: revoke the person's live staff-scoped tokens made before it (minted on a
    password alone, whoever held it then); the owner is told by email. Returns how many were revoked."""
    stale = [
        token
        for token in ApiToken.objects.select_for_update().filter(user=user, revoked_at=None, created_at__lt=enrolled_at)
        if any(scope in STAFF_SCOPES for scope in token.scopes)
    ]
    for token in stale:  # each revocation tells the owner by email, with this reason
        token_revoke(actor=None, token=token, reason="staff scope made before two-factor was set up", ip=ip)
    return len(stale)


@transaction.atomic
def token_webhook_secret_rotate(*, actor: User, token: ApiToken, ip: str | None = None) -> str:
    """A new webhook secret for the owner's live token, returned to be shown once. The old one goes on
    signing beside it for WEBHOOK_PREVIOUS_SECRET_HOURS, so the receiving end can switch in that time."""
    if token.user_id != actor.pk:
        raise ApplicationError("permission_denied", "Only the owner may rotate a token's webhook secret.", status=403)
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.status in ("revoked", "expired"):
        raise ApplicationError("token_dead", f"This token is {token.status}; create a new one instead.", status=409)
    token.previous_webhook_secret = token.webhook_secret
    token.previous_webhook_secret_until = timezone.now() + timedelta(hours=settings.WEBHOOK_PREVIOUS_SECRET_HOURS)
    token.webhook_secret = tokens.new_webhook_secret()
    token.save(update_fields=["webhook_secret", "previous_webhook_secret", "previous_webhook_secret_until"])
    audit_record(action="token.webhook_secret_rotated", actor=actor, target=token, subject_user=actor, ip=ip)
    return token.webhook_secret


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
