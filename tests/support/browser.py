"""Helpers for pages driven in headless Chromium."""

from tests.support.clients import fresh_code
from tests.support.factories import PASSWORD


def watch_for_violations(page) -> list[str]:
    """The Content Security Policy violations the page reports from now on."""
    violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    return violations


def sign_in(page, base, email, totp=None, password=PASSWORD):
    """Sign in through the real form (and the second factor's, with ``totp``)."""
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    if totp is not None:
        page.locator("input[name=code]").fill(fresh_code(totp))
        page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{base}/")


def open_menu(page):
    """The main navigation, unfolded: on a phone it hides behind the Menu button."""
    toggle = page.get_by_role("button", name="Menu")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    return page.get_by_role("navigation", name="Main")
