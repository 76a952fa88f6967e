"""A person signs in through the real pages in headless Chromium."""

import io

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", stdout=io.StringIO())


def test_demo_artist_signs_in_and_out(live_server, page, demo):
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("Email").fill("artist@example.com")
    page.get_by_label("Password").fill("vernissage-demo")
    page.get_by_role("button", name="Sign In").click()

    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", name="Welcome, Ari Artist").is_visible()
    assert page.get_by_text("Demo cohort").is_visible()
    nav = page.get_by_role("navigation", name="Main")
    assert not nav.is_visible()  # on a phone the menu folds behind one button
    page.get_by_role("button", name="Menu").click()
    assert page.get_by_role("button", name="Menu").get_attribute("aria-expanded") == "true"
    top_level = nav.locator(":scope > ul > li")
    assert top_level.count() <= 7  # grouped: an artist sees six entries
    assert nav.get_by_role("link", name="Studio").is_visible()
    assert nav.get_by_role("link", name="Django admin").count() == 0
    # The layout fits a phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    nav.get_by_text("Account").click()  # the account menu opens, and holds the way out
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("link", name="Sign in").first.is_visible()


def test_wrong_password_shows_what_to_fix(live_server, page, demo):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill("artist@example.com")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign In").click()
    assert page.get_by_text("not correct").is_visible()
