import time

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.authentication import get_authentication_records
from allauth.core import context
from django import forms

from accounts import selectors, services
from core.client_ip import client_ip

INVITATION_SESSION_KEY = "vernissage_invitation_secret"


class AccountAdapter(DefaultAccountAdapter):
    """Program policy for allauth.

    Vernissage is invitation-only: sign-up is open only to someone holding a
    pending invitation (its secret kept in their session by the invitation
    page), and only for the invited address. A leaked sign-up URL admits nobody.
    """

    def _pending_invitation(self, request):
        secret = request.session.get(INVITATION_SESSION_KEY) if request is not None else None
        invitation = selectors.invitation_by_secret(secret=secret) if secret else None
        return (secret, invitation) if invitation is not None and invitation.status == "pending" else (None, None)

    def get_client_ip(self, request):
        """The trusted-proxy address (as the API uses), so allauth's sign-in limits count each client,
        not the proxy that every client comes through."""
        return client_ip(request) or super().get_client_ip(request)

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """allauth asks for the password again before sensitive changes (setting up two-factor) unless
        the person *re*-authenticated lately; a sign-in moments ago is just as recent, so it counts too."""
        if not super().is_reauthentication_required(app=app, **kwargs):
            return False
        request = context.request
        if request is None or not request.user.is_authenticated:
            return True
        records = get_authentication_records(request, request.user)
        return not (records and time.time() - records[-1].get("at", 0) < account_settings.REAUTHENTICATION_TIMEOUT)

    def send_mail(self, template_prefix, email, context):
        """allauth's emails (address confirmation, password reset, security notices) go through the outbox
        like every other: written now, sent after commit by a task, never inside the request."""
        message = self.render_mail(template_prefix, email, context)
        html = next((content for content, kind in getattr(message, "alternatives", []) if kind == "text/html"), "")
        services.email_queue(
            to=email, subject=message.subject, body=message.body, html=html, kind=template_prefix.rsplit("/", 1)[-1]
        )

    def is_open_for_signup(self, request):
        return self._pending_invitation(request)[1] is not None

    def clean_email(self, email):
        email = super().clean_email(email)
        _, invitation = self._pending_invitation(getattr(self, "request", None))
        if invitation is not None and invitation.email.lower() != email.lower():
            raise forms.ValidationError(f"This invitation is for {invitation.email}; sign up with that address.")
        return email

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        secret, invitation = self._pending_invitation(request)
        if commit and invitation is not None:
            services.invitation_accept(secret=secret, user=user, ip=client_ip(request))
            request.session.pop(INVITATION_SESSION_KEY, None)
        return user
