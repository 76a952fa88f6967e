"""HTTP details that belong to no app."""

from __future__ import annotations

from django.utils.cache import cc_delim_re


class SharedCacheMiddleware:
    """A response marked ``shared_cacheable`` (public gallery media) is the same for everyone: drop the
    ``Vary: Cookie`` the session middleware adds when a request touched the session, so a CDN may keep
    it. Placed before SessionMiddleware, so it sees the response after it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(response, "shared_cacheable", False) and response.has_header("Vary"):
            kept = [value for value in cc_delim_re.split(response["Vary"]) if value.lower() != "cookie"]
            if kept:
                response["Vary"] = ", ".join(kept)
            else:
                del response["Vary"]
        return response
