"""The README's screenshots, taken from the running demo (python docs/screenshots.py [--url URL]).

Start the demo first (`make run`, same VAR_DIR and DATABASE_URL as this shell), then run this: it signs
in as the demo artist and the demo admin in headless Chromium and writes docs/images/studio.png,
clip.png and dashboard.png (1280 x 800). Staff pages need two-factor sign-in: if the demo admin has
no authenticator yet, the script gives them one (the demo's own account, on this machine only) and
types its codes itself.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIST, ADMIN = "artist@example.com", "admin@example.com"


def demo_admin_totp():
    """A TOTP for the demo admin: theirs if the demo set one up through this script before, else a new one."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    import pyotp
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from accounts.models import User

    admin = User.objects.get(email=ADMIN)
    Authenticator.objects.filter(user=admin, type=Authenticator.Type.TOTP).delete()
    secret = generate_totp_secret()
    TOTP.activate(admin, secret)
    return pyotp.TOTP(secret)


def sign_in(page, base: str, email: str, password: str, totp=None) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    if totp is not None:
        page.locator("input[name=code]").fill(totp.now())
        page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{base}/")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    password = os.environ.get("DEMO_PASSWORD", "vernissage-demo")
    totp = demo_admin_totp()
    IMAGES.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )  # fmt: skip
        artist = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        sign_in(artist, args.url, ARTIST, password)
        artist.goto(f"{args.url}/studio/")
        artist.locator("#id_prompt").fill("a paper boat drifting across a tide pool at dawn, 35 mm, soft light")
        artist.locator("#quote").wait_for()
        artist.screenshot(path=IMAGES / "studio.png")
        artist.locator("[data-lightbox]").first.click()
        artist.locator("dialog#lightbox video").wait_for()
        time.sleep(0.5)  # the first frame
        artist.screenshot(path=IMAGES / "clip.png")

        admin = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        sign_in(admin, args.url, ADMIN, password, totp)
        admin.goto(f"{args.url}/staff/")
        admin.screenshot(path=IMAGES / "dashboard.png")
        browser.close()
    for name in ("studio", "clip", "dashboard"):
        print(IMAGES / f"{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
