"""An invited artist accepts from the email, in headless Chromium, and lands on their dashboard."""

import re

import pytest

from accounts.models import Cohort, Membership, User
from accounts.services import invitations_create
from tests.support.factories import UserFactory
from tests.support.mail import sent_mail

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_invited_artist_signs_up_from_the_emailed_link(live_server, page, transactional_db):
    cohort = Cohort.objects.create(name="Spring cohort", slug="spring", status=Cohort.Status.ACTIVE)
    admin = UserFactory(role=User.Role.ADMIN)
    invitations_create(actor=admin, cohort=cohort, emails=["painter@example.org"], base_url=live_server.url)
    [email] = sent_mail()  # as a worker sends it from the outbox
    link = re.search(r"http://\S+/invitations/\S+/", email.body).group(0)

    page.goto(link)
    assert page.get_by_role("heading", name="Join Spring cohort").is_visible()
    page.get_by_role("link", name="Create your account").click()
    assert page.get_by_label("Email").input_value() == "painter@example.org"
    page.get_by_placeholder("Password", exact=True).fill("a-fine-password-9")
    page.get_by_placeholder("Password (again)").fill("a-fine-password-9")
    page.get_by_label("Your name").fill("painter@example.org")  # the address is not a name others may read
    page.get_by_role("button", name="Sign Up").click()
    assert page.get_by_text("not an email address").first.is_visible()
    assert not User.objects.filter(email="painter@example.org").exists()
    page.get_by_placeholder("Password", exact=True).fill("a-fine-password-9")
    page.get_by_placeholder("Password (again)").fill("a-fine-password-9")
    page.get_by_label("Your name").fill("Paula Painter")
    page.get_by_role("button", name="Sign Up").click()

    page.wait_for_url(f"{live_server.url}/")
    assert User.objects.get(email="painter@example.org").display_name == "Paula Painter"
    assert page.get_by_role("heading", name="Your cohorts").is_visible()
    assert page.get_by_role("heading", name="Spring cohort").is_visible()
    membership = Membership.objects.get(user__email="painter@example.org")
    assert (membership.cohort, membership.status) == (cohort, "active")

    page.goto(link)
    assert page.get_by_role("heading", name="This invitation was already used").is_visible()
