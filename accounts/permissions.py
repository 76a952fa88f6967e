"""Who may do what: one place, used by the API and the pages.

Staff powers (staff pages, the Django admin, admin endpoints, /metrics, and reading or acting on other
people's generations and tokens) need more than the role: *this* request must have passed a second
factor. For a session that means allauth recorded an "mfa" step in it (sign-in with a code, a
re-authentication with a code, or setting up the authenticator just now); for an API token it means
the token carries the staff scope and its owner has two-factor set up. A password alone, from any
sign-in form, never opens a staff power.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from accounts.models import ApiToken, User

STAFF_SCOPE = ApiToken.Scope.STAFF
# Where to return after setting up two-factor (allauth would show the recovery codes and stop there).
AFTER_MFA_SETUP_SESSION_KEY = "vernissage_after_mfa_setup"


STAFF_SCOPES = (ApiToken.Scope.REVIEWS_WRITE, ApiToken.Scope.STAFF)


def scopes_allowed_for(user: User, *, second_factor: bool) -> list[str]:
    """The token scopes this person may grant: staff scopes only to staff, and only from credentials that
    passed a second factor (a password alone must not mint a staff credential)."""
    allowed = [
        ApiToken.Scope.GENERATIONS_READ,
        ApiToken.Scope.GENERATIONS_WRITE,
        ApiToken.Scope.REPORTS_WRITE,
        ApiToken.Scope.TOKENS_WRITE,
        ApiToken.Scope.ACCOUNT_EXPORT,
    ]
    if user.is_program_staff and second_factor:
        allowed += list(STAFF_SCOPES)
    return [str(scope) for scope in allowed]


def has_totp(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.is_program_admin and not user.is_suspended)


def is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_program_staff and not user.is_suspended)


def session_passed_mfa(request) -> bool:
    """Whether allauth recorded a second factor in this very session, and the person still has one set up
    (removing it ends staff powers in sessions that used it)."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records) and has_totp(request.user)


def second_factor_passed(request) -> bool:
    """This request's credentials passed a second factor: see the module docstring."""
    token = getattr(request, "auth", None)
    if isinstance(token, ApiToken):
        # A token made before its owner enrolled was minted on a password alone: never a staff credential.
        return (
            STAFF_SCOPE in token.scopes
            and Authenticator.objects.filter(
                user=request.user, type=Authenticator.Type.TOTP, created_at__lte=token.created_at
            ).exists()
        )
    return session_passed_mfa(request)


def staff_powers(request, *, admin_only: bool = False) -> bool:
    """May this request use the staff role of its user right now (role, not suspended, second factor)?"""
    allowed = is_admin(request.user) if admin_only else is_staff(request.user)
    return allowed and second_factor_passed(request)


def mfa_refusal(request) -> PermissionDenied:
    """The API's answer to a staff person whose request has not passed a second factor."""
    if isinstance(getattr(request, "auth", None), ApiToken):
        if STAFF_SCOPE not in request.auth.scopes:
            return PermissionDenied(f"This token lacks the scope {STAFF_SCOPE}.", code="insufficient_scope")
        return PermissionDenied("Set up two-factor sign-in before using staff features.", code="mfa_required")
    if not has_totp(request.user):
        return PermissionDenied("Set up two-factor sign-in before using staff features.", code="mfa_required")
    return PermissionDenied(
        "Sign in with your second factor (authenticator code) to use staff features.", code="mfa_required"
    )


class IsProgramAdmin(BasePermission):
    """Program admins whose request passed a second factor."""

    def has_permission(self, request, view):
        if not is_admin(request.user):
            raise PermissionDenied("Only program admins may do this.", code="permission_denied")
        if not second_factor_passed(request):
            raise mfa_refusal(request)
        return True


class SessionOnly(BasePermission):
    """For actions a token must not be able to do to itself, such as creating more tokens."""

    message = "Sign in on the website to do this; API tokens cannot."

    def has_permission(self, request, view):
        if isinstance(request.auth, ApiToken):
            raise PermissionDenied(self.message, code="session_required")
        return True


def required_scopes(view, method: str) -> list[str]:
    """The scopes a token needs for ``method`` on ``view``: ``view.required_scopes`` as a list, or a
    {method: [scopes]} mapping (a method not in the mapping needs no scope)."""
    declared = getattr(view, "required_scopes", ())
    if isinstance(declared, dict):
        return list(declared.get(method.upper(), ()))
    return list(declared)


class HasScopes(BasePermission):
    """A token must carry every scope the view declares for the method; a signed-in session has the role's."""

    def has_permission(self, request, view):
        if isinstance(request.auth, ApiToken):
            missing = set(required_scopes(view, request.method)) - set(request.auth.scopes)
            if missing:
                raise PermissionDenied(
                    f"This token lacks the scope {', '.join(sorted(missing))}.", code="insufficient_scope"
                )
        return True


def second_factor_redirect(request, *, next_url: str | None = None):
    """Where a staff person goes before a staff page: set up two-factor, or use it in this session;
    either way they come back to ``next_url`` (the page they asked for) afterwards."""
    next_url = next_url or request.get_full_path()
    if not has_totp(request.user):
        messages.info(request, "Staff pages need two-factor sign-in: set up an authenticator app first.")
        request.session[AFTER_MFA_SETUP_SESSION_KEY] = next_url
        return redirect("mfa_activate_totp")
    messages.info(request, "Enter a code from your authenticator app to use staff pages.")
    return redirect(reverse("mfa_reauthenticate") + "?" + urlencode({"next": next_url}))


def staff_page(*, admin_only: bool = True):
    """Decorator for staff pages: signed in, the right role, and a second factor passed in this session."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            allowed = is_admin(request.user) if admin_only else is_staff(request.user)
            if not allowed:
                raise DjangoPermissionDenied
            if not session_passed_mfa(request):
                return second_factor_redirect(request)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
