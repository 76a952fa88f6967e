"""Per-token and per-person rate limits, counted atomically in the shared store, then leak containment.

DRF's own throttles read, then write, the cache, so concurrent requests slip
through; these use one atomic increment (Redis INCR inside MULTI) per request.
A request over a limit is answered 429 with Retry-After and counts towards
nothing else; a request within the limits is then counted by the leak detector
(accounts.leaks), which may suspend its token.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from accounts import leaks
from accounts.models import ApiToken
from core import ratelimit
from core.client_ip import client_ip


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
    """A limit per token and one per person (over all their tokens and their session), counted together;
    then, for a token, its leak windows. A view lists the methods that submit work in ``submission_methods``."""

    def counters(self, request):
        counters = []
        if isinstance(request.auth, ApiToken):
            epoch = leaks.window_epoch(request.auth)
            counters.append((f"token:{request.auth.pk}:{epoch}", settings.API_RATE_PER_TOKEN_PER_MINUTE))
        if request.user and request.user.is_authenticated:
            counters.append((f"user:{request.user.pk}", settings.API_RATE_PER_USER_PER_MINUTE))
        return counters

    def allow_request(self, request, view):
        if not super().allow_request(request, view):
            return False
        if isinstance(request.auth, ApiToken):
            submission = request.method in getattr(view, "submission_methods", ())
            leaks.check_for_leak(request, request.auth, client_ip(request), submission=submission)
        return True


class RevokeExposedThrottle(_AtomicThrottle):
    def counters(self, request):
        return [(f"revoke-exposed:{client_ip(request)}", settings.API_REVOKE_EXPOSED_PER_IP_PER_MINUTE)]


class PublicReadThrottle(_AtomicThrottle):
    """Public, unauthenticated reads (the gallery's API): a limit per client address."""

    def counters(self, request):
        return [(f"public-read:{client_ip(request)}", settings.API_PUBLIC_READS_PER_IP_PER_MINUTE)]
