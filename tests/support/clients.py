"""Signed-in clients for pages and the API, a second factor, and bearer tokens, as real users have them."""

import time

import pyotp
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import token_create


def fresh_code(totp, margin=5.0) -> str:
    """A code that stays valid for at least ``margin`` seconds. allauth accepts only the current
    30-second window, so a code typed just before the window turns would be refused on arrival."""
    left = totp.interval - time.time() % totp.interval
    if left < margin:
        time.sleep(left + 0.1)
    return totp.now()


def with_totp(user: User) -> pyotp.TOTP:
    """Set up an authenticator app for ``user``; the returned TOTP makes their codes."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return pyotp.TOTP(secret)


def sign_in(client, user) -> None:
    """Sign ``user`` in as allauth would: with a password, and with the second factor when they have one
    set up (allauth asks for it at sign-in). Staff powers need that second step in the session."""
    from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
    from allauth.mfa.models import Authenticator

    client.force_login(user)
    now = time.time()
    records = [{"method": "password", "at": now, "email": user.email}]
    if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        records.append({"method": "mfa", "at": now, "type": "totp"})
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


def api_client_for(user: User | None) -> APIClient:
    """An API client with ``user``'s browser session (signed in as sign_in does); anonymous for None."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=None)
        sign_in(client, user)
    return client


def token_client(user: User, scopes=("generations:read",), **headers) -> tuple[APIClient, str]:
    """An API client with a bearer token of ``user`` (made as if after a second factor) and the token."""
    _, plaintext = token_create(user=user, name="test", scopes=list(scopes), second_factor=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}", **headers)
    return client, plaintext
