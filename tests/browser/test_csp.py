"""Every page carries a Content-Security-Policy without inline script, and works under it in Chromium."""

import pytest

from accounts.models import User
from generations.models import QuotaPolicy
from tests.support.browser import sign_in, watch_for_violations
from tests.support.clients import with_totp
from tests.support.factories import CohortFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser]

ARTIST_PAGES = [
    "/", "/studio/", "/tokens/", "/profile/", "/terms/", "/notifications/", "/accounts/email/", "/publishing/",
    "/gallery/", "/reasons/", "/reports/", "/reports/new/", "/rate-card/", "/earnings/", "/account/data/",
]  # fmt: skip
ADMIN_PAGES = [
    "/staff/", "/staff/cohorts/", "/staff/queue/", "/staff/audit/", "/staff/switches/", "/accounts/2fa/",
    "/django-admin/", "/django-admin/accounts/user/", "/api/docs/", "/review/", "/staff/reasons/", "/staff/reviews/",
    "/staff/triage/", "/staff/rate-cards/", "/staff/payouts/", "/staff/promotions/", "/staff/exports/",
]  # fmt: skip


def test_artist_pages_and_htmx_work_under_the_policy(live_server, page):
    cohort = CohortFactory(name="Studio cohort")
    QuotaPolicy.objects.create(cohort=cohort, credits_per_period=50)
    artist = MembershipFactory(cohort=cohort, user__email="csp-artist@example.org").user
    violations = watch_for_violations(page)
    sign_in(page, live_server.url, artist.email)
    for path in ARTIST_PAGES:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    page.goto(f"{live_server.url}/studio/")
    page.locator("#id_prompt").fill("a lighthouse")
    page.locator("#id_size").select_option("128|1:1")
    page.locator("#quote").filter(has_text="credits for 128x128").wait_for()  # htmx answered under the policy
    assert violations == []


def test_staff_pages_swagger_and_django_admin_work_under_the_policy(live_server, page):
    admin = UserFactory(role=User.Role.ADMIN, email="csp-admin@example.org", is_staff=True, is_superuser=True)
    totp = with_totp(admin)
    violations = watch_for_violations(page)
    sign_in(page, live_server.url, admin.email, totp)
    for path in ADMIN_PAGES:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "content-security-policy" in response.headers, path
    page.goto(f"{live_server.url}/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()  # Swagger UI ran from its own script file
    assert violations == []
