"""Django's admin site, behind the same door as every other staff power.

Its own password form is gone: signing in goes through allauth (rate-limited, audited, asking for the
second factor), and the site opens only to an operator (``is_staff``) whose session passed a second
factor. Without one set up, they are sent to set it up first.
"""

from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from accounts.permissions import second_factor_redirect, session_passed_mfa
from core.pages import safe_next


class VernissageAdminSite(admin.AdminSite):
    site_header = "Vernissage operators"
    site_title = "Vernissage admin"

    def has_permission(self, request):
        user = request.user
        return bool(user.is_active and user.is_staff and not user.is_suspended and session_passed_mfa(request))

    def login(self, request, extra_context=None):
        next_url = safe_next(request, reverse("admin:index"))
        if not request.user.is_authenticated:
            return redirect(reverse("account_login") + "?" + urlencode({"next": next_url}))
        if not (request.user.is_active and request.user.is_staff):
            raise PermissionDenied
        if session_passed_mfa(request):
            return redirect(next_url)
        return second_factor_redirect(request, next_url=next_url)
