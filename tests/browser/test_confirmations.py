"""Destructive actions ask first, in a dialog; cancelling changes nothing."""

import pytest

from accounts.models import ApiToken, AuditEvent, User
from accounts.services import token_create
from tests.support.browser import sign_in
from tests.support.clients import with_totp
from tests.support.factories import PASSWORD, CohortFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser]


def test_revoking_a_token_asks_first(live_server, page):
    artist = MembershipFactory(cohort=CohortFactory(), user__email="careful@example.org").user
    token, _ = token_create(user=artist, name="studio laptop", scopes=["generations:read"])
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(artist.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/tokens/")

    page.get_by_role("button", name="Revoke").click()
    dialog = page.locator("dialog#confirm-dialog")
    dialog.wait_for()
    assert "Revoke studio laptop" in dialog.inner_text()
    dialog.get_by_role("button", name="Cancel").click()
    token.refresh_from_db()
    assert token.status == "active"

    page.get_by_role("button", name="Revoke").click()
    dialog.get_by_role("button", name="Revoke token").click()
    page.get_by_text("revoked.").wait_for()
    assert ApiToken.objects.get(pk=token.pk).status == "revoked"


def test_the_pause_form_asks_only_when_something_would_change(live_server, page):
    admin = UserFactory(email="switch@example.org", role=User.Role.ADMIN)
    sign_in(page, live_server.url, admin.email, with_totp(admin))
    page.goto(f"{live_server.url}/staff/switches/")
    dialog = page.locator("dialog#confirm-dialog")

    page.get_by_role("button", name="Apply").click()  # running, and asked to stay running: no question
    page.get_by_text("Nothing changed: generation is already running.").wait_for()
    assert not dialog.is_visible()
    assert not AuditEvent.objects.filter(action__startswith="generation.").exists()

    page.get_by_label("Pause all generation").check()
    page.get_by_label("Reason (artists see it)").fill("GPU maintenance")
    page.get_by_role("button", name="Apply").click()
    dialog.wait_for()
    dialog.get_by_role("button", name="Apply to everyone").click()
    page.get_by_text("Generation paused for everyone.").wait_for()
    assert AuditEvent.objects.filter(action="generation.paused").count() == 1
