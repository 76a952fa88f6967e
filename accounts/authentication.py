"""API token authentication: a live token of an active person, or a clear refusal.

Leak containment counts the request after the rate limits have let it through (accounts.throttles,
accounts.leaks), so a request answered 429 never counts towards a suspension.
"""

from __future__ import annotations

from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from accounts import services, tokens
from accounts.leaks import tokens_with_thresholds
from core.client_ip import client_ip


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
        services.token_touch(token=token, ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", ""))
        return user, token

    def authenticate_header(self, request):
        return 'Bearer realm="vernissage"'
