"""The base pages: sign-in, navigation by role, and the styled error pages."""

import io

import pytest
from django.core.management import call_command
from django.test import Client


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())


def signed_in(email: str, password: str = "vernissage-demo") -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"login": email, "password": password})
    assert response.status_code == 302, response.content[:500]
    return client


def test_sign_in_page_explains_membership_is_by_invitation(client, db):
    page = client.get("/accounts/login/").content.decode()
    assert "Membership is by invitation" in page
    assert "/accounts/signup/" not in page


def test_anonymous_home_points_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert b"/accounts/login/" in response.content
    assert b"htmx.min.js" in response.content


def test_artist_signs_in_and_sees_artist_navigation(demo):
    page = signed_in("artist@example.com").get("/").content.decode()
    assert "artist@example.com" in page
    assert "Demo cohort" in page
    assert "Two-factor" not in page
    assert "Django admin" not in page


def test_admin_navigation_has_staff_links(demo):
    page = signed_in("admin@example.com").get("/").content.decode()
    assert "Two-factor" in page
    assert "API reference" in page


def test_wrong_password_is_refused_with_a_message(demo, client):
    response = client.post("/accounts/login/", {"login": "artist@example.com", "password": "nope-nope-nope"})
    assert response.status_code == 200
    assert b"not correct" in response.content


def test_open_sign_up_is_closed(client, db):
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    assert b"Sign Up Closed" in response.content or b"closed" in response.content.lower()


def test_404_page_is_styled(client, db, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert b"site.css" in response.content


def test_500_page_renders_without_context():
    from accounts.views import server_error

    response = server_error(request=None)
    assert response.status_code == 500
    assert b"Something went wrong" in response.content


def test_403_page_is_styled(rf, db):
    from django.contrib.auth.models import AnonymousUser

    from accounts.views import permission_denied

    request = rf.get("/")
    request.user = AnonymousUser()
    response = permission_denied(request)
    assert response.status_code == 403
    assert b"can't open this page" in response.content


def test_api_docs_are_served_without_a_cdn(demo):
    page = signed_in("admin@example.com").get("/api/docs/").content.decode()
    assert "swagger-ui" in page
    assert "cdn." not in page and "unpkg" not in page and "jsdelivr" not in page


def test_500_for_the_api_is_json(rf):
    from accounts.views import server_error

    response = server_error(rf.get("/api/v1/me/"))
    assert response.status_code == 500
    assert b'"code": "server_error"' in response.content


def test_a_reviewers_home_says_what_they_review_and_will_be_able_to_do(world):
    from allauth.mfa.models import Authenticator
    from django.test import Client

    from tests.support.clients import sign_in

    browser = Client()
    sign_in(browser, world.reviewer)
    page = browser.get("/").content.decode()
    assert 'id="reviewing"' in page and "You review for <strong>Cohort A</strong>" in page
    assert "decide the clips" in page and "yours is set up" in page
    Authenticator.objects.filter(user=world.reviewer).delete()
    assert "set it up now" in browser.get("/").content.decode()
    artist = Client()
    sign_in(artist, world.artist)
    assert 'id="reviewing"' not in artist.get("/").content.decode()


def test_a_403_is_logged_in_one_line_without_a_traceback(world):
    import io
    import logging

    from django.test import Client

    from tests.support.clients import sign_in

    console = next(h for h in logging.getLogger().handlers if h.filters)  # the site's console handler
    browser = Client()
    sign_in(browser, world.artist)
    written = io.StringIO()
    previous = console.setStream(written)
    try:
        assert browser.get("/staff/cohorts/").status_code == 403
    finally:
        console.setStream(previous)
    logged = written.getvalue()
    assert "Forbidden (Permission denied): /staff/cohorts/" in logged
    assert "Traceback" not in logged


def test_the_notifications_page_marks_only_what_it_showed_as_read(db):
    from accounts.services import notifications_mark_read, notify
    from tests.support.clients import sign_in
    from tests.support.factories import UserFactory

    person, other = UserFactory(), UserFactory()
    for n in range(3):
        notify(user=person, kind="membership_changed", title=f"Note {n}")
    theirs = notify(user=other, kind="membership_changed", title="Not yours")
    browser = Client()
    sign_in(browser, person)
    page = browser.get("/notifications/").content.decode()
    assert "Note 0" in page and "Note 2" in page
    assert person.notifications.filter(read_at=None).count() == 0
    assert notifications_mark_read(user=person, notifications=[theirs]) == 0  # never someone else's
    theirs.refresh_from_db()
    assert theirs.read_at is None
