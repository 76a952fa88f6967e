"""Per-token and per-person rate limits, counted atomically in the shared store.

DRF's own throttles read, then write, the cache, so concurrent requests slip
through; these use one atomic increment (Redis INCR inside MULTI) per request.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from accounts import ratelimit
from accounts.client_ip import client_ip
from accounts.models import ApiToken


class _AtomicThrottle(BaseThrottle):
    retry_after = None

    def key_and_limit(self, request) -> tuple[str, int] | None:
        """The counter's key and its limit per minute, or None when this throttle does not apply."""
        return None

    def allow_request(self, request, view):
        key_limit = self.key_and_limit(request)
        if key_limit is None:
            return True
        key, limit = key_limit
        allowed, self.retry_after = ratelimit.fixed_window_hit(key, limit=limit, window_s=60)
        return allowed

    def wait(self):
        return self.retry_after


class TokenRateThrottle(_AtomicThrottle):
    def key_and_limit(self, request):
        if isinstance(request.auth, ApiToken):
            return f"token:{request.auth.pk}", settings.API_RATE_PER_TOKEN_PER_MINUTE
        return None


class UserRateThrottle(_AtomicThrottle):
    def key_and_limit(self, request):
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}", settings.API_RATE_PER_USER_PER_MINUTE
        return None


class RevokeExposedThrottle(_AtomicThrottle):
    def key_and_limit(self, request):
        return f"revoke-exposed:{client_ip(request)}", settings.API_REVOKE_EXPOSED_PER_IP_PER_MINUTE
