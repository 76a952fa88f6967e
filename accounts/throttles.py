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

    def counters(self, request) -> list[tuple[str, int]]:
        """The (key, limit per minute) counters this request counts against; none when the throttle does not apply."""
        return []

    def allow_request(self, request, view):
        counters = self.counters(request)
        if not counters:
            return True
        allowed, self.retry_after = ratelimit.fixed_window_hits(counters, window_s=60)
        return allowed

    def wait(self):
        return self.retry_after


class ApiRateThrottle(_AtomicThrottle):
    """A limit per token and one per person (over all their tokens and their session), counted together."""

    def counters(self, request):
        counters = []
        if isinstance(request.auth, ApiToken):
            counters.append((f"token:{request.auth.pk}", settings.API_RATE_PER_TOKEN_PER_MINUTE))
        if request.user and request.user.is_authenticated:
            counters.append((f"user:{request.user.pk}", settings.API_RATE_PER_USER_PER_MINUTE))
        return counters


class RevokeExposedThrottle(_AtomicThrottle):
    def counters(self, request):
        return [(f"revoke-exposed:{client_ip(request)}", settings.API_REVOKE_EXPOSED_PER_IP_PER_MINUTE)]
