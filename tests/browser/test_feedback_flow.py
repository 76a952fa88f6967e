"""In Chromium: an artist files a bug from a failed clip in the studio with its context pre-filled, a
reviewer confirms it and replies, and the artist sees the reply and the award on the earnings page."""

import pytest

from accounts.models import Membership, User
from feedback import services
from generations.demo import demo_rendered_clip
from generations.models import Generation, QuotaPolicy
from tests.support.board import RATES
from tests.support.browser import open_menu, sign_in, watch_for_violations
from tests.support.clients import with_totp
from tests.support.factories import CohortFactory, MembershipFactory

pytestmark = [pytest.mark.browser]


def test_file_a_bug_from_a_failed_clip_confirm_it_and_see_the_award(live_server, browser):
    cohort = CohortFactory(name="Feedback cohort")
    QuotaPolicy.objects.create(cohort=cohort, credits_per_period=50)
    artist = MembershipFactory(cohort=cohort, user__email="tester@example.org").user
    reviewer = MembershipFactory(
        cohort=cohort, role=Membership.Role.REVIEWER, user__role=User.Role.REVIEWER, user__email="triage@example.org"
    ).user
    totp = with_totp(reviewer)
    admin = User.objects.create_user("payer@example.org", "x-password-1", role="admin")
    services.rate_card_publish(actor=admin, cohort=cohort, currency="EUR", lines=RATES)
    generation = demo_rendered_clip(artist, cohort, "a kite over the dunes", hue=0.2)
    Generation.objects.filter(pk=generation.pk).update(
        status="failed", failure_message="The decoder ran out of memory.", attempts=2
    )
    base = live_server.url

    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations = watch_for_violations(page)
    sign_in(page, base, artist.email)
    page.goto(f"{base}/studio/")
    page.get_by_role("link", name="Report a problem").click()
    assert page.locator("#id_kind").input_value() == "bug"
    assert "The decoder ran out of memory." in page.locator("#id_body").input_value()
    page.get_by_text("attempts 2").wait_for()  # the clip's context, shown and linked
    page.locator("#id_severity").select_option("high")
    page.get_by_role("button", name="File it").click()
    page.get_by_text("Filed.").wait_for()
    report = artist.reports.get()
    assert report.context[0]["error"] == "The decoder ran out of memory."

    desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    desk.set_default_timeout(15_000)
    sign_in(desk, base, reviewer.email, totp)
    desk.goto(f"{base}/staff/triage/")
    desk.get_by_role("button", name="Confirm").first.click()
    desk.get_by_text("Triaged").wait_for()
    desk.goto(f"{base}/reports/{report.pk}/")
    desk.locator("#id_body").fill("Reproduced on our side, thank you!")
    desk.get_by_role("button", name="Comment").click()

    page.goto(f"{base}/reports/{report.pk}/")
    page.get_by_text("Reproduced on our side, thank you!").wait_for()
    open_menu(page).get_by_text("Feedback").click()  # its menu holds Earnings
    page.get_by_role("link", name="Earnings").first.click()
    ledger = page.locator("section", has_text="Ledger")
    ledger.get_by_text("60.00 EUR").wait_for()
    assert "20" in ledger.inner_text()  # and the 20 credits of a high-severity bug
    assert violations == []
    context.close()
    desk.context.close()
