"""Every staff power needs a second factor passed in this session (or a staff-scoped token of someone
with two-factor set up). A password alone, from any sign-in form, opens none of them."""

import time

import pyotp
import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa.models import Authenticator
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from accounts.services import token_create
from generations import services as generation_services
from tests.support.clients import fresh_code, sign_in
from tests.support.clips import SMALL
from tests.support.factories import PASSWORD

STATES = ["no_second_factor", "set_up_not_used", "second_factor_used", "token_with_staff_scope", "token_without"]
PASSED = {"second_factor_used", "token_with_staff_scope"}


def client_in_state(world, state):
    admin = world.admin
    if state == "no_second_factor":
        Authenticator.objects.filter(user=admin).delete()
    if state in ("no_second_factor", "set_up_not_used"):
        client = APIClient()
        client.force_login(admin)  # a password sign-in: allauth's record says "password" only
        session = client.session
        session[AUTHENTICATION_METHODS_SESSION_KEY] = [{"method": "password", "at": time.time(), "email": admin.email}]
        session["account_authentication_methods_user"] = str(admin.pk)
        session.save()
        return client
    if state == "second_factor_used":
        client = APIClient()
        sign_in(client, admin)
        return client
    scopes = ["generations:read", "generations:write", "tokens:write"]
    if state == "token_with_staff_scope":
        scopes.append("staff:all")
    _, plaintext = token_create(user=admin, name=state, scopes=scopes, second_factor=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


@pytest.fixture
def targets(wake_ups, world):
    world.admin.is_staff = world.admin.is_superuser = True  # an operator too: the Django admin is a staff power
    world.admin.save()
    generation, _ = generation_services.generation_submit(
        artist=world.artist, cohort=world.cohort, prompt="a kite", **SMALL
    )
    token, _ = token_create(user=world.artist, name="artist's", scopes=["generations:read"])
    return {"generation": generation.public_id, "token": token.pk, "cohort": world.cohort.pk}


PAGES = ["/staff/cohorts/", "/staff/queue/", "/staff/audit/", "/django-admin/", "/django-admin/accounts/user/"]
API = [
    ("get", "/api/v1/cohorts/", 403),
    ("get", "/api/v1/cohorts/{cohort}/", 403),
    ("get", "/api/v1/generations/{generation}/", 404),
    ("post", "/api/v1/generations/{generation}/cancel/", 404),
    ("post", "/api/v1/tokens/{token}/revoke/", 404),
]


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("path", PAGES)
def test_staff_pages_and_the_django_admin(world, targets, state, path):
    client = client_in_state(world, state)
    response = client.get(path, follow=True)
    final = response.request["PATH_INFO"]
    if state == "second_factor_used":
        assert (response.status_code, final) == (200, path)
    elif state == "no_second_factor":  # sent to set it up before any staff power
        assert (response.status_code, final) == (200, "/accounts/2fa/totp/activate/")
    elif state == "set_up_not_used":  # asked for a code from the app, then back to the page
        assert (response.status_code, final) == (200, "/accounts/2fa/reauthenticate/")
        assert response.redirect_chain[-1][0].endswith("next=" + path.replace("/", "%2F"))
    else:  # pages take no API tokens
        assert final == "/accounts/login/"


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize(("method", "path", "refused"), API, ids=[f"{m} {p}" for m, p, _ in API])
def test_staff_powers_through_the_api(world, targets, state, method, path, refused):
    client = client_in_state(world, state)
    response = getattr(client, method)(path.format(**targets), format="json")
    if state in PASSED:
        assert response.status_code == 200, response.content[:300]
    else:
        assert response.status_code == refused, response.content[:300]
        if refused == 403:
            expected = "insufficient_scope" if state == "token_without" else "mfa_required"
            assert response.json()["error"]["code"] == expected


@pytest.mark.parametrize("state", STATES)
def test_metrics_for_staff(world, targets, state):
    response = client_in_state(world, state).get("/metrics")
    if state == "second_factor_used":
        assert response.status_code == 200
    elif state.startswith("token"):  # an API token is not the scrape token
        assert response.status_code == 401
    else:  # a session without the second factor
        assert response.status_code == 403


def test_a_reviewer_sees_their_cohorts_generations_only_after_the_second_factor(world, targets):
    path = f"/api/v1/generations/{targets['generation']}/"
    password_only = APIClient()
    password_only.force_login(world.reviewer)
    assert password_only.get(path).status_code == 404
    with_code = APIClient()
    sign_in(with_code, world.reviewer)
    assert with_code.get(path).status_code == 200


def test_the_django_admin_sign_in_form_is_allauths(world):
    browser = Client()
    response = browser.get("/django-admin/login/?next=/django-admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fdjango-admin%2F"
    # Its old form posts nowhere useful: a password there signs nobody in.
    browser.post("/django-admin/login/", {"username": world.admin.email, "password": PASSWORD})
    assert browser.get("/staff/cohorts/").status_code == 302
    assert "_auth_user_id" not in browser.session


def test_failed_second_factors_and_set_up_and_removal_are_audited(world, django_capture_on_commit_callbacks):
    browser = Client()
    browser.post("/accounts/login/", {"login": world.admin.email, "password": PASSWORD})
    browser.post("/accounts/2fa/authenticate/", {"code": "000000"})
    failed = AuditEvent.objects.get(action="auth.second_factor_failed")
    assert failed.subject_user == world.admin

    # An artist promoted to staff sets up two-factor on the way to a staff page, and lands on that page.
    world.artist.role = "admin"
    world.artist.save()
    browser = Client()
    sign_in(browser, world.artist)
    assert browser.get("/staff/audit/")["Location"] == "/accounts/2fa/totp/activate/"
    page = browser.get("/accounts/2fa/totp/activate/")
    code = fresh_code(pyotp.TOTP(page.context["form"].secret))
    with django_capture_on_commit_callbacks(execute=True):
        done = browser.post("/accounts/2fa/totp/activate/", {"code": code})
    assert done.status_code == 302 and done["Location"] == "/staff/audit/"
    assert browser.get("/staff/audit/").status_code == 200  # the code given at set-up counts for this session
    assert AuditEvent.objects.filter(action="auth.second_factor_added", subject_user=world.artist).exists()

    authenticator = Authenticator.objects.get(user=world.artist, type="totp")
    with django_capture_on_commit_callbacks(execute=True):
        secret = authenticator.wrap().instance.data["secret"]
        browser.post("/accounts/2fa/totp/deactivate/", {"code": fresh_code(pyotp.TOTP(secret))})
    assert AuditEvent.objects.filter(action="auth.second_factor_removed", subject_user=world.artist).exists()


def test_removing_two_factor_ends_staff_powers_in_the_session_that_used_it(world):
    client = APIClient()
    sign_in(client, world.admin)
    assert client.get("/staff/cohorts/").status_code == 200
    Authenticator.objects.filter(user=world.admin).delete()
    response = client.get("/staff/cohorts/")
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/totp/activate/"
    assert client.get("/api/v1/cohorts/").json()["error"]["code"] == "mfa_required"
