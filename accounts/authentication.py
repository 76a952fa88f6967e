"""API token authentication, with leak containment on every request.

A token relayed by a public front end shows up from many addresses or at a rate
no person produces. Each request counts the token's distinct client addresses
and requests in sliding windows; past the cohort's thresholds the token is
suspended on the spot and this very request is refused, before it is answered.
"""

from __future__ import annotations

import functools

from django.db.models import Min
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from accounts import ratelimit, services, tokens
from accounts.client_ip import client_ip
from accounts.models import ApiToken, Cohort

DEFAULT_THRESHOLDS = {
    "max_addresses": Cohort._meta.get_field("leak_max_addresses").default,
    "window_minutes": Cohort._meta.get_field("leak_address_window_minutes").default,
    "max_per_minute": Cohort._meta.get_field("leak_max_requests_per_minute").default,
}


@functools.cache
def _tokens_with_thresholds():
    return ApiToken.objects.select_related("user").annotate(
        leak_max_addresses=Min("user__memberships__cohort__leak_max_addresses"),
        leak_window_minutes=Min("user__memberships__cohort__leak_address_window_minutes"),
        leak_max_per_minute=Min("user__memberships__cohort__leak_max_requests_per_minute"),
    )


def tokens_with_thresholds():
    """Tokens with their owner and, in the same query, the strictest thresholds of the owner's cohorts.

    The annotated query is built once per process (building it costs more than running it); each
    call hands out a copy, so no request sees another's filters or results.
    """
    return _tokens_with_thresholds().all()


def leak_thresholds(token: ApiToken) -> dict:
    """The strictest thresholds among the cohorts the person belongs to (program defaults if none)."""
    found = {
        "max_addresses": token.leak_max_addresses,
        "window_minutes": token.leak_window_minutes,
        "max_per_minute": token.leak_max_per_minute,
    }
    return {key: found[key] or default for key, default in DEFAULT_THRESHOLDS.items()}


def check_for_leak(token: ApiToken, ip: str | None) -> None:
    """Count this request; suspend the token and refuse the request when its use looks relayed.

    ``token`` comes from tokens_with_thresholds().
    """
    limits = leak_thresholds(token)
    addresses, per_minute = ratelimit.sliding_counts(
        [
            (f"leak:addr:{token.pk}", limits["window_minutes"] * 60, ip or "unknown"),
            (f"leak:rate:{token.pk}", 60, None),
        ]
    )
    reason = None
    if addresses > limits["max_addresses"]:
        reason = (
            f"used from {addresses} different addresses within {limits['window_minutes']} minutes "
            f"(the limit is {limits['max_addresses']})"
        )
    elif per_minute > limits["max_per_minute"]:
        reason = f"{per_minute} requests within a minute (the limit is {limits['max_per_minute']})"
    if reason:
        data = {"addresses": addresses, "requests_last_minute": per_minute, "thresholds": limits}
        services.token_suspend_for_leak(token=token, reason=reason, data=data, ip=ip)
        raise AuthenticationFailed(f"This token was suspended: {reason}.", code="token_suspended")


class ApiTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer vnsg_...``"""

    def authenticate(self, request):
        header = get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, plaintext = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        plaintext = plaintext.strip()
        if not tokens.is_well_formed(plaintext):
            raise AuthenticationFailed("This is not a Vernissage API token.", code="invalid_token")
        token = tokens_with_thresholds().filter(secret_hash=tokens.hash_secret(plaintext)).first()
        if token is None:
            raise AuthenticationFailed("This token is unknown.", code="invalid_token")
        if token.revoked_at:
            raise AuthenticationFailed("This token was revoked.", code="token_revoked")
        if token.expires_at <= timezone.now():
            raise AuthenticationFailed("This token has expired; create a new one.", code="token_expired")
        if token.suspended_at:
            raise AuthenticationFailed(
                f"This token is suspended: {token.suspended_reason} Reactivate or rotate it on your tokens page.",
                code="token_suspended",
            )
        user = token.user
        if not user.is_active or user.suspended_at:
            raise AuthenticationFailed("This account is suspended.", code="account_suspended")
        ip = client_ip(request)
        check_for_leak(token, ip)
        services.token_touch(token=token, ip=ip, user_agent=request.META.get("HTTP_USER_AGENT", ""))
        return user, token

    def authenticate_header(self, request):
        return 'Bearer realm="vernissage"'
