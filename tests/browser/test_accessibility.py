"""Every page, for every role, on a 390-pixel phone: no serious or critical axe-core violation (WCAG 2.2
A and AA rules), nothing that scrolls sideways, and no destructive action that does not ask first.
axe-core is vendored from its npm package (tests/browser/vendor/axe.min.js, 4.14.1); the browser has
no network.

Django's admin and Swagger UI are third-party pages and are left out; the CSP test still visits them."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.models import Cohort, User
from feedback.models import Report
from generations.models import Generation
from tests.support.browser import sign_in as browser_sign_in
from tests.support.clients import with_totp

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
RULE_SETS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# Forms that destroy, revoke, pause, suspend or close must ask first (a <dialog>, static/js/site.js).
UNCONFIRMED = """() => Array.from(document.querySelectorAll("form[method=post]"))
  .filter(form => !form.hasAttribute("data-confirm"))
  .map(form => (form.getAttribute("action") || "") + " " +
    Array.from(form.querySelectorAll("button, input[type=submit]"))
      .filter(button => !button.hasAttribute("data-confirm"))
      .map(button => button.innerText || button.value).join(" "))
  .filter(what => /delete|revoke|pause|suspend|remove|withdraw|take down|cancel|close/i.test(what))
  .filter(what => !/logout|Sign out/i.test(what))"""

# A cell too narrow for a word in it (the "P E R S O N" of a squeezed table, each letter on a line of its
# own): each word up to 16 characters is measured unbroken in the cell's font against the cell's room.
# Longer strings (hashes, addresses) may break. Cells not drawn, and a header row hidden by the phone's card
# layout, are left out. The cell's own overflow (scrollWidth > clientWidth) counts too.
NARROW_CELLS = """() => {
  const probe = document.createElement("span");
  probe.style.cssText = "position:absolute;left:-9999px;top:0;visibility:hidden;white-space:nowrap";
  document.body.appendChild(probe);
  const found = [];
  for (const cell of document.querySelectorAll("main td, main th")) {
    const head = cell.closest("thead");
    if (cell.offsetParent === null || (head && head.getBoundingClientRect().width <= 1)) continue;
    const style = getComputedStyle(cell);
    probe.style.font = style.font;
    const room = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const words = cell.innerText.split(/\\s+/).filter(word => word.length > 0 && word.length <= 16);
    const width = word => { probe.textContent = word; return probe.getBoundingClientRect().width; };
    const widest = Math.max(0, ...words.map(width));
    if (widest > room + 1 || cell.scrollWidth > cell.clientWidth + 1) found.push(cell.innerText.trim().slice(0, 40));
  }
  probe.remove();
  return found.slice(0, 3);
}"""

ANONYMOUS = ["/", "/gallery/", "/reasons/", "/accounts/login/", "/accounts/password/reset/", "/privacy/"]
ARTIST = [
    "/", "/studio/", "/studio/?status=succeeded", "/tokens/", "/profile/", "/terms/", "/notifications/",
    "/accounts/email/", "/publishing/", "/gallery/", "/reasons/", "/reports/", "/reports/new/", "/rate-card/",
    "/earnings/", "/credits/", "/account/data/",
]  # fmt: skip
REVIEWER = ["/review/", "/staff/triage/", "/accounts/2fa/"]
ADMIN = [
    "/staff/", "/staff/cohorts/", "/staff/queue/", "/staff/audit/", "/staff/switches/", "/review/", "/staff/reasons/",
    "/staff/reviews/", "/staff/triage/", "/staff/rate-cards/", "/staff/payouts/", "/staff/promotions/",
    "/staff/exports/",
]  # fmt: skip


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", stdout=io.StringIO())
    return {
        "admin": with_totp(User.objects.get(email="admin@example.com")),
        "reviewer": with_totp(User.objects.get(email="reviewer@example.com")),
    }


@pytest.fixture
def phone(browser):
    """A phone-sized page that lets the test inject axe-core (the site's own policy refuses inline script)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def sign_in(page, base, email, totp=None):
    browser_sign_in(page, base, email, totp, password=settings.DEMO_PASSWORD)


def problems_on(page, url: str) -> list[str]:
    response = page.goto(url)
    assert response.status == 200, url
    found = []
    if page.evaluate("document.documentElement.scrollWidth > innerWidth"):
        found.append(f"{url}: scrolls sideways ({page.evaluate('document.documentElement.scrollWidth')} px)")
    found += [f"{url}: a table cell narrower than its words: {text!r}" for text in page.evaluate(NARROW_CELLS)]
    unconfirmed = page.evaluate(UNCONFIRMED)
    found += [f"{url}: a destructive action does not ask first: {what}" for what in unconfirmed]
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", RULE_SETS
    )
    for violation in result["violations"]:
        if violation["impact"] in ("serious", "critical"):
            targets = ", ".join(str(node["target"]) for node in violation["nodes"][:3])
            found.append(f"{url}: {violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return found


def test_every_page_for_every_role_is_accessible_and_fits_a_phone(live_server, phone, demo):
    base = live_server.url
    problems = []
    for path in ANONYMOUS:
        problems += problems_on(phone, base + path)

    sign_in(phone, base, "artist@example.com")
    clip = Generation.objects.filter(artist__email="artist@example.com", status="succeeded").first()
    report = Report.objects.filter(reporter__email="artist@example.com").first()
    extra = [f"/studio/g/{clip.public_id}/"] if clip else []
    extra += [f"/reports/{report.pk}/"] if report else []
    for path in ARTIST + extra:
        problems += problems_on(phone, base + path)
    phone.emulate_media(color_scheme="dark")  # the dark theme's contrast too
    for path in ["/studio/", "/reports/", "/earnings/", *extra]:
        problems += [f"(dark) {problem}" for problem in problems_on(phone, base + path)]
    phone.emulate_media(color_scheme="light")
    phone.context.clear_cookies()

    sign_in(phone, base, "reviewer@example.com", demo["reviewer"])
    for path in REVIEWER:
        problems += problems_on(phone, base + path)
    phone.context.clear_cookies()

    sign_in(phone, base, "admin@example.com", demo["admin"])
    cohort = Cohort.objects.filter(memberships__user__email="artist@example.com").first()
    staff_pages = [f"/staff/cohorts/{cohort.pk}/{page}" for page in ("", "quota/", "members/", "invitations/")]
    any_report = Report.objects.order_by("pk").first()
    staff_pages += [f"/reports/{any_report.pk}/"] if any_report else []
    for path in [*ADMIN, *staff_pages]:
        problems += problems_on(phone, base + path)
    assert problems == [], "\n".join(problems)
