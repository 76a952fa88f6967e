"""Pages about people, access and cohorts: thin, like the API."""

from __future__ import annotations

from urllib.parse import urlencode

from allauth.account.adapter import get_adapter
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.totp import views as allauth_totp_views
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseServerError
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors, services
from accounts.adapters import INVITATION_SESSION_KEY
from accounts.forms import (
    ConsentsForm,
    TermsAcceptForm,
    TokenCreateForm,
)
from accounts.models import ApiToken, Membership
from accounts.permissions import AFTER_MFA_SETUP_SESSION_KEY, has_totp, session_passed_mfa
from core.api_errors import api_not_found, api_server_error
from core.client_ip import client_ip
from core.pages import paged, refusals_as_messages, refusals_on, safe_next
from core.upload_limits import UploadTooLarge


def home(request):
    if not request.user.is_authenticated:
        return render(request, "home_anonymous.html")
    memberships = list(selectors.cohorts_for_home(user=request.user))
    return render(
        request,
        "home.html",
        {
            "memberships": memberships,
            "reviewer_cohorts": [m for m in memberships if m.role == Membership.Role.REVIEWER],
            "has_second_factor": request.user.is_program_staff and has_totp(request.user),
            "terms_pending": selectors.terms_pending_for(user=request.user),
        },
    )


def bad_request(request, exception=None):
    """A request Django could not read (a body over the upload cap, a malformed form): say what to fix."""
    too_large = isinstance(exception, UploadTooLarge)
    message = str(exception) if too_large else "The request could not be read. Go back and try again."
    return render(request, "errors/400.html", {"message": message}, status=413 if too_large else 400)


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", status=403)


def page_not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return api_not_found(request)
    return render(request, "errors/404.html", status=404)


def server_error(request):
    if request is not None and request.path.startswith("/api/"):
        return api_server_error(request)
    # Rendered without a request, so no context processor can fail a second time.
    return HttpResponseServerError(loader.get_template("errors/500.html").render())


# --- Invitations ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def invitation_accept(request, secret: str):
    invitation = selectors.invitation_by_secret(secret=secret)
    state = invitation.status if invitation else "unknown"
    context = {"invitation": invitation, "state": state}
    if state != "pending":
        return render(request, "accounts/invitation.html", context, status=410 if invitation else 404)
    user = request.user
    if not user.is_authenticated:
        if selectors.account_exists(email=invitation.email):
            context["login_url"] = reverse("account_login") + "?" + urlencode({"next": request.path})
            return render(request, "accounts/invitation.html", context)
        # A new person signs up through allauth; the adapter accepts the invitation on sign-up.
        request.session[INVITATION_SESSION_KEY] = secret
        get_adapter(request).stash_verified_email(request, invitation.email)
        context["signup_url"] = reverse("account_signup") + "?" + urlencode({"email": invitation.email})
        return render(request, "accounts/invitation.html", context)
    if request.method == "POST":
        return _invitation_accept(request, secret)
    context["wrong_account"] = invitation.email.lower() != user.email.lower()
    return render(request, "accounts/invitation.html", context)


@refusals_as_messages(back=lambda request, secret: request.path)
def _invitation_accept(request, secret: str):
    membership = services.invitation_accept(secret=secret, user=request.user, ip=client_ip(request))
    messages.success(request, f"Welcome to {membership.cohort.name}.")
    return redirect("home")


# --- Terms, profile, notifications -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def terms(request):
    pending = selectors.terms_pending_for(user=request.user)
    next_url = safe_next(request)
    if request.method == "POST":
        form = TermsAcceptForm(request.POST)
        terms_id = form.cleaned_data["terms_id"] if form.is_valid() else None
        version = next((waiting for waiting in pending if waiting.pk == terms_id), None)
        if version is None:  # not one of the terms waiting for them
            messages.error(request, "Those terms are not waiting for your acceptance.")
        else:
            services.terms_accept(user=request.user, terms=version, ip=client_ip(request))
            messages.success(request, f"You accepted the terms of {version.cohort.name} (version {version.version}).")
            if next_url and len(pending) == 1:  # nothing else waiting: back to where they were going
                return redirect(next_url)
        return redirect(reverse("terms") + (f"?{urlencode({'next': next_url})}" if next_url else ""))
    context = {"pending": pending, "next": next_url, "accepted": selectors.terms_accepted_by(user=request.user)}
    return render(request, "accounts/terms.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    current = selectors.consents_current(user=request.user)
    form = ConsentsForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        changed = services.consents_set(user=request.user, choices=form.cleaned_data, ip=client_ip(request))
        messages.success(request, f"Saved ({len(changed)} change{'s' if len(changed) != 1 else ''} recorded).")
        return redirect("profile")
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "history": selectors.consent_history(user=request.user)[:50],
            "events": selectors.audit_events_about(user=request.user)[:50],
            "memberships": selectors.memberships_of(user=request.user),
        },
        status=400 if form.errors else 200,
    )


@login_required
def notifications(request):
    listed = paged(request, selectors.notifications_for(user=request.user))
    items = list(listed.page)
    services.notifications_mark_read(user=request.user, notifications=items)  # the ones this page shows
    return render(request, "accounts/notifications.html", {"items": items, "paged": listed})


# --- Tokens --------------------------------------------------------------------------------------------


# A new token's plaintext waits in the session only between the POST that made it and the page that
# shows it (popped there), so a refresh neither shows it again nor creates a second token.
NEW_TOKEN_SESSION_KEY = "vernissage_new_token"  # noqa: S105  (a session key, not a secret)
NEW_WEBHOOK_SECRET_SESSION_KEY = "vernissage_new_webhook_secret"  # noqa: S105  (a session key, not a secret)


@login_required
@require_http_methods(["GET", "POST"])
def tokens_page(request):
    second_factor = session_passed_mfa(request)
    form = TokenCreateForm(request.POST or None, user=request.user, second_factor=second_factor)
    if request.method == "POST" and form.is_valid():
        with refusals_on(form):
            token, plaintext = services.token_create(
                user=request.user,
                second_factor=second_factor,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                days=form.cleaned_data["days"],
                ip=client_ip(request),
            )
            request.session[NEW_TOKEN_SESSION_KEY] = plaintext
            request.session[NEW_WEBHOOK_SECRET_SESSION_KEY] = token.webhook_secret
            return redirect("tokens")
    return render(
        request,
        "accounts/tokens.html",
        {
            "form": form,
            "created": request.session.pop(NEW_TOKEN_SESSION_KEY, None),
            "webhook_secret": request.session.pop(NEW_WEBHOOK_SECRET_SESSION_KEY, None),
            "tokens": selectors.tokens_for(user=request.user),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
@refusals_as_messages(back="tokens")
def token_revoke(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    services.token_revoke(actor=request.user, token=token, reason="revoked by its owner", ip=client_ip(request))
    messages.success(request, f"Token {token.prefix}… revoked.")
    return redirect("tokens")


@login_required
@require_POST
@refusals_as_messages(back="tokens")
def token_reactivate(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    services.token_reactivate(actor=request.user, token=token, ip=client_ip(request))
    messages.success(request, f"Token {token.prefix}… is active again.")
    return redirect("tokens")


@login_required
@require_POST
@refusals_as_messages(back="tokens")
def token_rotate(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    new_token, plaintext = services.token_rotate(
        actor=request.user, token=token, second_factor=session_passed_mfa(request), ip=client_ip(request)
    )
    request.session[NEW_TOKEN_SESSION_KEY] = plaintext
    request.session[NEW_WEBHOOK_SECRET_SESSION_KEY] = new_token.webhook_secret
    return redirect("tokens")


@login_required
@require_POST
@refusals_as_messages(back="tokens")
def token_webhook_secret(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    secret = services.token_webhook_secret_rotate(actor=request.user, token=token, ip=client_ip(request))
    request.session[NEW_WEBHOOK_SECRET_SESSION_KEY] = secret
    return redirect("tokens")


# --- Two-factor set-up --------------------------------------------------------------------------


class ActivateTotpView(allauth_totp_views.ActivateTOTPView):
    """allauth's set-up page, returning to the staff page that sent the person here.

    allauth would land on the recovery codes and stop; they stay one click away under Two-factor.
    """

    def form_valid(self, form):
        response = super().form_valid(form)
        # Setting up takes a valid code from the app: this session has just passed a second factor.
        record_authentication(self.request, self.request.user, "mfa", type="totp", setup=True)
        return response

    def get_success_url(self) -> str:
        next_url = self.request.session.pop(AFTER_MFA_SETUP_SESSION_KEY, None)
        if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={self.request.get_host()}):
            messages.info(
                self.request,
                "Two-factor sign-in is on. Keep your recovery codes somewhere safe: Two-factor, Recovery codes.",
            )
            return next_url
        return super().get_success_url()


activate_totp = ActivateTotpView.as_view()
