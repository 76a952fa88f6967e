"""The triage desk in Chromium: Save waits for an outcome (and the server refuses none), the award shown
before saving is the ledger entry made, and an artist typing a reordered title is shown the report it
may repeat (trigram similarity on PostgreSQL, word overlap on SQLite: the suite runs on both)."""

import pytest

from accounts.models import Membership, User
from feedback import services
from feedback.models import ContributionEntry, FeedbackPolicy, Report
from feedback.money import format_minor
from tests.support.board import RATES
from tests.support.browser import sign_in, watch_for_violations
from tests.support.clients import with_totp
from tests.support.factories import CohortFactory, MembershipFactory

pytestmark = [pytest.mark.browser]


@pytest.fixture
def filed(transactional_db):
    cohort = CohortFactory(name="Triage cohort")
    FeedbackPolicy.objects.create(cohort=cohort, board_shared=True)
    artist = MembershipFactory(cohort=cohort, user__email="finder@example.org").user
    reviewer = MembershipFactory(
        cohort=cohort, role=Membership.Role.REVIEWER, user__role=User.Role.REVIEWER, user__email="desk@example.org"
    ).user
    admin = User.objects.create_user("payer@example.org", "x-password-1", role="admin")
    services.rate_card_publish(actor=admin, cohort=cohort, currency="EUR", lines=RATES)
    report = services.report_create(
        reporter=artist, cohort_slug=None, kind="bug", severity="high",
        title="Cancel leaves the clip running", body="Steps to reproduce.",
    )  # fmt: skip
    return artist, reviewer, report


def test_save_waits_for_an_outcome_and_the_award_shown_is_the_award_paid(live_server, browser, filed):
    _, reviewer, report = filed
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    desk = context.new_page()
    desk.set_default_timeout(15_000)
    violations = watch_for_violations(desk)
    sign_in(desk, live_server.url, reviewer.email, with_totp(reviewer))
    desk.goto(f"{live_server.url}/reports/{report.pk}/")

    save = desk.get_by_role("button", name="Save outcome")
    preview = desk.locator("[data-award-preview]")
    assert save.is_disabled() and preview.inner_text() == "Choose an outcome to see what it earns."
    # Forced past the disabled button and the browser's own check, the server still refuses no outcome.
    desk.evaluate("document.querySelector('[data-needs-outcome]').disabled = false")
    desk.evaluate("document.querySelector('[data-triage-form]').noValidate = true")
    save.click()
    desk.get_by_text("Choose an outcome.").first.wait_for()
    assert Report.objects.get(pk=report.pk).state == "new" and not ContributionEntry.objects.exists()

    desk.locator("#id_outcome").select_option("confirmed")
    assert save.is_enabled()
    promised = preview.inner_text()
    desk.locator("#id_severity").select_option("critical")  # the preview follows the severity
    assert preview.inner_text() != promised
    desk.locator("#id_severity").select_option("high")
    assert preview.inner_text() == promised
    save.click()
    desk.get_by_text("Triaged; the reporter is told.").wait_for()

    entry = ContributionEntry.objects.get(report=report)
    assert f"Earns {format_minor(entry.amount_minor, 'EUR')} EUR and {entry.credits} credits" in promised
    assert (entry.amount_minor, entry.credits) == RATES["bug_high"]
    assert violations == []
    context.close()


def test_a_reordered_title_is_suggested_as_the_artist_types(live_server, page, filed):
    artist, _, report = filed
    violations = watch_for_violations(page)
    sign_in(page, live_server.url, artist.email)
    page.goto(f"{live_server.url}/reports/new/")
    similar = page.locator("#similar")
    assert similar.inner_text().strip() == ""
    page.locator("#id_title").press_sequentially("clip running leaves after cancel", delay=20)
    similar.get_by_role("link", name=report.title).wait_for()
    assert "Already reported?" in similar.inner_text()
    assert violations == []
