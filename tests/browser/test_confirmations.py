"""Destructive actions ask first, in a dialog; cancelling changes nothing."""

import pytest

from accounts.models import ApiToken
from accounts.services import token_create
from tests.support.factories import PASSWORD, CohortFactory, MembershipFactory

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
