"""The whole review flow in Chromium: the artist asks to publish from the studio, a reviewer claims with
the keyboard and approves, the gallery shows the clip and plays it, and so does an anonymous visitor."""

import time

import pytest

from accounts.models import Membership, User
from generations.demo import demo_rendered_clip
from generations.models import QuotaPolicy
from reviews.models import Publication, ReasonCode
from tests.support.browser import sign_in, watch_for_violations
from tests.support.clients import with_totp
from tests.support.factories import CohortFactory, MembershipFactory

pytestmark = [pytest.mark.browser]


def wait_until(page, expression: str, timeout_s: float = 15) -> None:
    """Poll ``expression`` with page.evaluate (wait_for_function evaluates strings, which the CSP refuses)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"never true: {expression}"
        time.sleep(0.1)


def test_request_claim_with_the_keyboard_approve_and_watch_in_the_gallery(live_server, browser, celery_worker):
    cohort = CohortFactory(name="Gallery cohort")
    QuotaPolicy.objects.create(cohort=cohort, credits_per_period=50)
    artist = MembershipFactory(cohort=cohort, user__email="painter@example.org", user__display_name="Pat Painter").user
    reviewer = MembershipFactory(
        cohort=cohort, role=Membership.Role.REVIEWER, user__role=User.Role.REVIEWER, user__email="eye@example.org"
    ).user
    totp = with_totp(reviewer)
    ReasonCode.objects.create(
        code="defect", label="Technical defect", description="Broken file.", policy_clause="Policy 3.1"
    )
    generation = demo_rendered_clip(artist, cohort, "a kite over the dunes", hue=0.2)
    base = live_server.url

    artist_context = browser.new_context(viewport={"width": 390, "height": 844})
    page = artist_context.new_page()
    page.set_default_timeout(15_000)
    violations = watch_for_violations(page)
    sign_in(page, base, artist.email)
    page.goto(f"{base}/studio/")
    page.get_by_role("link", name="a kite over the dunes").click()
    page.get_by_role("link", name="Ask to publish").click()
    page.get_by_label("Title").fill("Kite")
    page.get_by_label("Show the prompt in the gallery").check()
    page.get_by_role("button", name="Ask to publish").click()
    page.wait_for_url(f"{base}/publishing/")
    page.locator("#main .request", has_text="Pending").wait_for()

    reviewer_context = browser.new_context(viewport={"width": 1280, "height": 900})
    desk = reviewer_context.new_page()
    desk.set_default_timeout(15_000)
    sign_in(desk, base, reviewer.email, totp)
    desk.goto(f"{base}/review/")
    desk.get_by_role("link", name="Kite").wait_for()
    desk.keyboard.press("n")  # claim next
    desk.wait_for_url(f"{base}/review/*/")
    desk.locator("video.player").wait_for()
    wait_until(desk, "document.querySelector('video.player').readyState >= 1")
    desk.keyboard.press("a")  # approve
    desk.wait_for_url(f"{base}/review/?undo=*")  # nothing else waits: back to the queue, with the undo offer
    desk.get_by_text("Approve: “Kite”").wait_for()

    # The decision takes effect after the undo window (the worker's release task); the signing worker then
    # signs the clip (the signing queue), not the request.
    deadline = time.monotonic() + 60
    while not Publication.objects.filter(signed_at__isnull=False).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    publication = Publication.objects.get()
    assert publication.signed_at is not None and publication.decision.reviewer == reviewer
    page.goto(f"{base}/publishing/")
    page.locator("#main .request", has_text="Approved").wait_for()
    page.get_by_role("link", name="In the gallery").click()
    wait_until(page, "document.querySelector('video.player').readyState >= 1")
    assert page.evaluate("document.querySelector('video.player').duration") == pytest.approx(17 / 8, abs=0.1)
    page_text = page.locator("#main").inner_text()
    assert "Pat Painter" in page_text and "a kite over the dunes" in page_text and publication.video_sha256 in page_text
    # The artist's clip page lists the reviewer's viewing.
    page.goto(f"{base}/studio/g/{generation.public_id}/")
    page.locator("table", has_text="Review queue").wait_for()

    visitor = browser.new_context().new_page()
    visitor.goto(f"{base}/gallery/")
    visitor.get_by_role("link", name="Kite").click()
    wait_until(visitor, "document.querySelector('video.player').readyState >= 1")
    played = visitor.evaluate(
        "(async () => { const v = document.querySelector('video.player'); v.muted = true;"
        " await v.play(); await new Promise(r => setTimeout(r, 300)); return v.currentTime; })()"
    )
    assert played > 0
    assert violations == []
    for context in (artist_context, reviewer_context, visitor.context):
        context.close()
