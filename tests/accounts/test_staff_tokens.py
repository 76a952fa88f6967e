"""Staff-scoped tokens are minted only by credentials that passed a second factor; one made on a password
alone (before enrolment, by whoever knew the password) is never a staff credential and is revoked, with an
email, when its owner sets up two-factor."""

from datetime import timedelta

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import token_create
from core.errors import ApplicationError
from tests.support.clients import fresh_code, sign_in
from tests.support.mail import sent_mail

STAFF_SCOPES = ["staff:all", "reviews:write"]


def password_only(user) -> APIClient:
    client = APIClient()
    client.force_login(user)  # allauth's record says "password" only
    return client


@pytest.mark.parametrize("scope", STAFF_SCOPES)
def test_a_staff_member_without_a_second_factor_cannot_mint_a_staff_token(world, scope):
    Authenticator.objects.filter(user=world.admin).delete()
    api = password_only(world.admin)
    response = api.post("/api/v1/tokens/", {"name": "x", "scopes": [scope]}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "second_factor_required"
    page = api.post("/tokens/", {"name": "x", "scopes": [scope], "days": 30})
    assert page.status_code == 400 and b"two-factor sign-in" in page.content
    assert not ApiToken.objects.filter(user=world.admin).exists()
    with pytest.raises(ApplicationError):
        token_create(user=world.admin, name="x", scopes=[scope])  # the service's default is no second factor


def test_a_session_that_did_not_pass_the_code_mints_no_staff_token_even_with_two_factor_set_up(world):
    response = password_only(world.admin).post("/api/v1/tokens/", {"name": "x", "scopes": ["staff:all"]}, format="json")
    assert response.status_code == 403
    ordinary = password_only(world.admin).post(
        "/api/v1/tokens/", {"name": "x", "scopes": ["generations:read"]}, format="json"
    )
    assert ordinary.status_code == 201


def test_after_the_code_a_staff_token_is_minted_and_works(world):
    client = APIClient()
    sign_in(client, world.admin)
    response = client.post("/api/v1/tokens/", {"name": "ops", "scopes": ["staff:all"]}, format="json")
    assert response.status_code == 201
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}")
    assert bearer.get("/api/v1/cohorts/").status_code == 200


def test_a_token_made_before_enrolment_is_no_staff_credential_and_is_revoked_at_enrolment(
    world, django_capture_on_commit_callbacks
):
    """The hole found from outside: a password holder mints staff:all before the owner enrols, and keeps
    full staff powers afterwards."""
    admin = world.admin
    Authenticator.objects.filter(user=admin).delete()
    token, plaintext = token_create(user=admin, name="made on a password", scopes=["staff:all"], second_factor=True)
    ApiToken.objects.filter(pk=token.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")

    # The owner enrols through the real set-up page.
    browser = APIClient()
    sign_in(browser, admin)
    page = browser.get("/accounts/2fa/totp/activate/")
    code = fresh_code(pyotp.TOTP(page.context["form"].secret))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert browser.post("/accounts/2fa/totp/activate/", {"code": code}).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and "two-factor" in token.revoked_reason
    assert any(token.prefix in message.subject + message.body for message in sent_mail())
    assert bearer.get("/api/v1/cohorts/").status_code in (401, 403)


def test_an_unrevoked_token_older_than_the_authenticator_opens_no_staff_power(world):
    """Belt and braces: even if revocation were missed, a staff token older than the owner's second
    factor is refused at use."""
    token, plaintext = token_create(user=world.admin, name="old", scopes=["staff:all"], second_factor=True)
    Authenticator.objects.filter(user=world.admin).update(created_at=token.created_at + timedelta(seconds=1))
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    response = bearer.get("/api/v1/cohorts/")
    assert response.status_code == 403 and response.json()["error"]["code"] == "mfa_required"


def test_recovery_codes_made_later_do_not_revoke_tokens_made_after_the_totp(world, rf):
    from allauth.mfa import signals

    token, _ = token_create(user=world.admin, name="ops", scopes=["staff:all"], second_factor=True)
    codes = Authenticator(user=world.admin, type=Authenticator.Type.RECOVERY_CODES, created_at=timezone.now())
    signals.authenticator_added.send(sender=Authenticator, request=rf.get("/"), user=world.admin, authenticator=codes)
    token.refresh_from_db()
    assert token.revoked_at is None
