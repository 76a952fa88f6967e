"""Invitations: bulk with a result per row, single use, expiry, resend, revoke, accepting."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEvent, Invitation, Membership, User
from accounts.services import invitations_create
from tests.support.clients import api_client_for, sign_in
from tests.support.factories import MembershipFactory
from tests.support.mail import sent_mail

LINK = re.compile(r"http://testserver(/invitations/[^/\s]+/)")


def invite(world, emails, **kwargs):
    return invitations_create(
        actor=world.admin, cohort=world.cohort, emails=emails, base_url="http://testserver/", **kwargs
    )


def link_in_last_email() -> str:
    return LINK.search(sent_mail()[-1].body).group(1)


def test_bulk_invite_reports_every_row(world, django_capture_on_commit_callbacks):
    world.cohort.capacity = 3  # one artist is a member already: two seats left
    world.cohort.save()
    with django_capture_on_commit_callbacks(execute=True):
        rows = invite(
            world,
            ["new1@example.org", "not an address", "ARTIST-A@example.org", "new2@example.org", "new1@example.org",
             "new3@example.org"],
        )  # fmt: skip
    assert [(row.email, row.result) for row in rows] == [
        ("new1@example.org", "invited"),
        ("not an address", "invalid_address"),
        ("artist-a@example.org", "already_member"),
        ("new2@example.org", "invited"),
        ("new3@example.org", "over_capacity"),
    ]
    assert sorted(m.to[0] for m in sent_mail()) == ["new1@example.org", "new2@example.org"]
    assert Invitation.objects.count() == 2
    assert AuditEvent.objects.filter(action="invitation.created").count() == 2
    again = invite(world, ["new1@example.org"])
    assert again[0].result == "already_invited"


def test_secret_is_stored_hashed(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite(world, ["new@example.org"])
    secret = link_in_last_email().split("/")[2]
    invitation = Invitation.objects.get()
    assert secret not in invitation.secret_hash
    assert len(invitation.secret_hash) == 64


def test_new_person_accepts_through_allauth_signup(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite(world, ["newcomer@example.org"])
    link = link_in_last_email()
    browser = Client()
    page = browser.get(link)
    assert page.status_code == 200
    assert b"Create your account" in page.content
    signup_url = (
        re.search(rb'href="(/accounts/signup/\?email=[^"]+)"', page.content).group(1).decode().replace("&amp;", "&")
    )
    form = browser.get(signup_url)
    assert form.status_code == 200 and b'name="display_name"' in form.content
    fields = {"email": "newcomer@example.org", "password1": "a-fine-password-9", "password2": "a-fine-password-9"}
    for not_a_name in ("", "newcomer@example.org", "me (newcomer @ example.org)"):
        refused = browser.post("/accounts/signup/", {**fields, "display_name": not_a_name})
        assert refused.status_code == 200 and b"display_name" in refused.content
        assert not User.objects.filter(email="newcomer@example.org").exists()
    response = browser.post("/accounts/signup/", {**fields, "display_name": "Nia Newcomer"})
    assert response.status_code == 302, response.content[:2000]
    user = User.objects.get(email="newcomer@example.org")
    assert user.display_name == "Nia Newcomer" and str(user) == "Nia Newcomer"
    membership = Membership.objects.get(user=user)
    assert (membership.cohort, membership.role, membership.status) == (world.cohort, "artist", "active")
    assert user.emailaddress_set.get().verified
    assert browser.get("/").status_code == 200 and b"Cohort A" in browser.get("/").content
    used = Client().get(link)
    assert used.status_code == 410
    assert b"already used" in used.content


def test_signup_is_closed_without_an_invitation(db):
    response = Client().get("/accounts/signup/")
    assert b"Sign Up Closed" in response.content


def test_signup_must_use_the_invited_address(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite(world, ["invited@example.org"])
    browser = Client()
    browser.get(link_in_last_email())
    response = browser.post(
        "/accounts/signup/",
        {"email": "someone-else@example.org", "password1": "a-fine-password-9", "password2": "a-fine-password-9",
         "display_name": "Someone"},
    )
    assert response.status_code == 200
    assert b"This invitation is for invited@example.org" in response.content
    assert not User.objects.filter(email="someone-else@example.org").exists()


def test_existing_account_signs_in_then_accepts(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite(world, [world.other_artist.email])
    link = link_in_last_email()
    anonymous = Client().get(link)
    assert b"Sign in to accept" in anonymous.content
    browser = Client()
    sign_in(browser, world.other_artist)
    assert b"Accept the invitation" in browser.get(link).content
    response = browser.post(link)
    assert response.status_code == 302
    assert Membership.objects.filter(user=world.other_artist, cohort=world.cohort, status="active").exists()


def test_another_signed_in_account_cannot_take_the_invitation(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite(world, ["someone@example.org"])
    link = link_in_last_email()
    browser = Client()
    sign_in(browser, world.other_artist)
    assert b"Sign out and open this link again" in browser.get(link).content
    browser.post(link)
    assert not Membership.objects.filter(user=world.other_artist, cohort=world.cohort).exists()
    assert Invitation.objects.get().status == "pending"


@pytest.mark.parametrize(("state", "words"), [("expired", b"has expired"), ("revoked", b"was withdrawn")])
def test_expired_and_revoked_links_say_which(world, django_capture_on_commit_callbacks, state, words):
    with django_capture_on_commit_callbacks(execute=True):
        invite(world, ["late@example.org"])
    if state == "expired":
        Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    else:
        Invitation.objects.update(revoked_at=timezone.now())
    response = Client().get(link_in_last_email())
    assert response.status_code == 410
    assert words in response.content


def test_unknown_link(db):
    response = Client().get("/invitations/not-a-real-secret/")
    assert response.status_code == 404
    assert b"not valid" in response.content


def test_resend_makes_a_new_link_and_the_old_one_stops(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite(world, ["again@example.org"])
    old_link = link_in_last_email()
    invitation = Invitation.objects.get()
    staff = Client()
    sign_in(staff, world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(f"/staff/invitations/{invitation.pk}/resend/")
    new_link = link_in_last_email()
    assert new_link != old_link
    assert Client().get(old_link).status_code == 404
    assert Client().get(new_link).status_code == 200
    invitation.refresh_from_db()
    assert invitation.sent_count == 2


def test_staff_page_bulk_invites_from_csv_and_shows_results(world, django_capture_on_commit_callbacks):
    staff = Client()
    sign_in(staff, world.admin)
    upload = SimpleUploadedFile("artists.csv", b"email\ncsv1@example.org\nbroken@\ncsv2@example.org\n", "text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            f"/staff/cohorts/{world.cohort.pk}/invitations/",
            {"emails": "pasted@example.org", "csv_file": upload, "role": "artist"},
        )
    assert response.status_code == 200
    page = response.content.decode()
    assert "result-invited" in page and "result-invalidaddress" not in page
    assert page.count("result-invited") == 3
    assert page.count("result-invalid_address") == 1
    assert len(sent_mail()) == 3
    # Plain words, and each new link once with a button to copy it (the same link the email carries).
    assert "<td>not an email address</td>" in page and "invalidaddress" not in page
    assert page.count('data-copy="#invitation-link-') == 3
    first_link = page.split('class="invitation-link">')[1].split("</code>")[0]
    assert first_link in mail.outbox[0].body or any(first_link in m.body for m in mail.outbox)
    again = staff.post(
        f"/staff/cohorts/{world.cohort.pk}/invitations/", {"emails": "pasted@example.org", "role": "artist"}
    ).content.decode()
    assert "<td>already invited</td>" in again


def test_staff_page_explains_an_empty_form(world):
    staff = Client()
    sign_in(staff, world.admin)
    response = staff.post(f"/staff/cohorts/{world.cohort.pk}/invitations/", {"emails": "", "role": "artist"})
    assert response.status_code == 400
    assert b"Give at least one email address" in response.content


def test_invite_through_the_api(world, django_capture_on_commit_callbacks):
    client = api_client_for(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/cohorts/{world.cohort.pk}/invitations/", {"emails": ["api@example.org", "nope"]}, format="json"
        )
    assert response.status_code == 201
    assert [row["result"] for row in response.json()] == ["invited", "invalid_address"]
    listed = client.get(f"/api/v1/cohorts/{world.cohort.pk}/invitations/").json()["results"]
    assert [(i["email"], i["status"]) for i in listed] == [("api@example.org", "pending")]


def test_a_full_cohort_refuses_acceptance(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite(world, ["late@example.org"])
    link = link_in_last_email()
    world.cohort.capacity = 1
    world.cohort.save()
    MembershipFactory(cohort=world.cohort)  # someone took the last seat meanwhile
    user = User.objects.create_user("late@example.org", "a-fine-password-9")
    browser = Client()
    sign_in(browser, user)
    response = browser.post(link, follow=True)
    assert b"is full" in response.content
    assert not Membership.objects.filter(user=user).exists()


def test_an_expired_invitation_can_be_sent_again(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite(world, ["late@example.org", "other@example.org"])
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        [row] = invite(world, ["late@example.org"])
    assert row.result == "invited"
    late = list(Invitation.objects.filter(email="late@example.org").order_by("created_at"))
    assert [invitation.status for invitation in late] == ["revoked", "pending"]
    assert Invitation.objects.get(email="other@example.org").status == "expired"  # untouched
