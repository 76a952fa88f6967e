"""Who may do what: one place, used by the API and the pages."""

from __future__ import annotations

from functools import wraps

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import redirect
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from accounts.models import ApiToken, User


def has_totp(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.is_program_admin and not user.is_suspended)


def is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_program_staff and not user.is_suspended)


class IsProgramAdmin(BasePermission):
    """Program admins who have set up two-factor sign-in."""

    def has_permission(self, request, view):
        if not is_admin(request.user):
            raise PermissionDenied("Only program admins may do this.", code="permission_denied")
        if not has_totp(request.user):
            raise PermissionDenied("Set up two-factor sign-in before using staff features.", code="mfa_required")
        return True


class SessionOnly(BasePermission):
    """For actions a token must not be able to do to itself, such as creating more tokens."""

    message = "Sign in on the website to do this; API tokens cannot."

    def has_permission(self, request, view):
        if isinstance(request.auth, ApiToken):
            raise PermissionDenied(self.message, code="session_required")
        return True


class HasScopes(BasePermission):
    """A token must carry every scope in ``view.required_scopes``; a signed-in session has the role's scopes."""

    def has_permission(self, request, view):
        required = set(getattr(view, "required_scopes", ()))
        if isinstance(request.auth, ApiToken):
            missing = required - set(request.auth.scopes)
            if missing:
                raise PermissionDenied(
                    f"This token lacks the scope {', '.join(sorted(missing))}.", code="insufficient_scope"
                )
        return True


def staff_page(*, admin_only: bool = True):
    """Decorator for staff pages: signed in, the right role, and two-factor sign-in set up."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            allowed = is_admin(request.user) if admin_only else is_staff(request.user)
            if not allowed:
                raise DjangoPermissionDenied
            if not has_totp(request.user):
                messages.info(request, "Staff pages need two-factor sign-in: set up an authenticator app first.")
                return redirect("mfa_activate_totp")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
