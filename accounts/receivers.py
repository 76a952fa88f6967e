"""Sign-in and two-factor events into the audit log (allauth and Django tell us through signals), and
leak marks taken back from requests the API refused with 429 (core.api_errors tells us)."""

from allauth.account.signals import user_logged_in
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.contrib.auth.signals import user_logged_out, user_login_failed
from django.dispatch import receiver

from accounts import leaks
from accounts.models import User
from accounts.services import audit_record, tokens_revoke_staff_before_second_factor
from core.api_errors import request_refused_as_too_many
from core.client_ip import client_ip


@receiver(user_logged_in)
def record_sign_in(sender, request, user, **kwargs):
    audit_record(action="auth.signed_in", actor=user, subject_user=user, ip=client_ip(request))


@receiver(user_logged_out)
def record_sign_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(action="auth.signed_out", actor=user, subject_user=user, ip=client_ip(request))


@receiver(user_login_failed)
def record_failed_sign_in(sender, credentials, request=None, **kwargs):
    email = (credentials or {}).get("email") or (credentials or {}).get("username") or ""
    subject = User.objects.filter(email__iexact=email).first() if email else None
    audit_record(
        action="auth.sign_in_failed",
        subject_user=subject,
        data={"email": email[:254]},
        ip=client_ip(request) if request is not None else None,
    )


@receiver(request_refused_as_too_many)
def take_back_leak_marks(sender, request, **kwargs):
    leaks.forget_request(request)


@receiver(mfa_signals.authentication_failed)
def record_failed_second_factor(sender, request, user, authenticator=None, **kwargs):
    audit_record(
        action="auth.second_factor_failed",
        subject_user=user,
        data={"type": getattr(authenticator, "type", ""), "reauthentication": bool(kwargs.get("reauthentication"))},
        ip=client_ip(request),
    )


@receiver(mfa_signals.authenticator_added)
def record_second_factor_added(sender, request, user, authenticator, **kwargs):
    _second_factor_changed("auth.second_factor_added", request, user, authenticator)
    if authenticator.type == Authenticator.Type.TOTP:  # the factor staff powers rest on (recovery codes come later)
        tokens_revoke_staff_before_second_factor(user=user, enrolled_at=authenticator.created_at, ip=client_ip(request))


@receiver(mfa_signals.authenticator_removed)
def record_second_factor_removed(sender, request, user, authenticator, **kwargs):
    _second_factor_changed("auth.second_factor_removed", request, user, authenticator)


def _second_factor_changed(action: str, request, user, authenticator) -> None:
    audit_record(action=action, actor=user, subject_user=user, data={"type": authenticator.type}, ip=client_ip(request))
