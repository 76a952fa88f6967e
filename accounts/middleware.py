from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import render

from core.api_errors import error_body
from core.client_ip import from_trusted_proxy


class ForwardedHeadersMiddleware:
    """X-Forwarded-Proto is believed only from TRUSTED_PROXIES: from anyone else it is dropped, so a client
    cannot make Django think a plain-HTTP request was HTTPS. (X-Forwarded-For is read by client_ip alone.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "HTTP_X_FORWARDED_PROTO" in request.META and not from_trusted_proxy(request):
            del request.META["HTTP_X_FORWARDED_PROTO"]
        return self.get_response(request)


class SuspendedAccountMiddleware:
    """The account kill switch for sessions: a suspended person is signed out on their next request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.suspended_at:
            reason = user.suspended_reason
            logout(request)
            if request.path.startswith("/api/"):
                return JsonResponse(error_body("account_suspended", f"This account is suspended: {reason}"), status=403)
            return render(request, "accounts/suspended.html", {"reason": reason}, status=403)
        return self.get_response(request)
