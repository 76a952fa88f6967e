"""A member's email address never becomes public: sign-up asks for a name, the credit line is chosen (and
checked) before a request is sent, and every public page, API answer and Content Credential of a published
clip is searched for any member's address."""

import re

import pytest
from django.test import Client

from accounts.models import User
from reviews import credentials, services
from reviews.models import Publication, PublicationRequest
from tests.support.board import bug
from tests.support.clients import api_client_for, sign_in
from tests.support.factories import MembershipFactory
from tests.support.people import rendered, signing_worker_runs

ADDRESS = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def addresses_of_members() -> set[str]:
    return {email.lower() for email in User.objects.values_list("email", flat=True)}


def leaked(text: str) -> set[str]:
    return {found.lower() for found in ADDRESS.findall(text)} & addresses_of_members()


@pytest.fixture
def newbie(board):
    """A member as sign-up used to make them: no display name, no credit name chosen."""
    artist = board.artist
    User.objects.filter(pk=artist.pk).update(display_name="", email="newbie5@example.com")
    artist.refresh_from_db()
    return board


def test_an_unnamed_member_must_choose_a_credit_and_it_is_never_their_address(newbie, client):
    artist, clip = newbie.artist, rendered(newbie.artist, newbie.cohort)
    sign_in(client, artist)
    form = client.get(f"/studio/g/{clip.public_id}/publish/").content.decode()
    assert 'name="credit_line"' in form and 'value="newbie5@example.com"' not in form
    for credit in ("", "newbie5@example.com"):
        refused = client.post(f"/studio/g/{clip.public_id}/publish/", {"title": "Heron", "credit_line": credit})
        assert refused.status_code == 400 and "credit_line" in refused.content.decode()
    api = api_client_for(artist)
    answer = api.post("/api/v1/publication-requests/", {"generation": str(clip.public_id), "title": "Heron"})
    assert answer.status_code == 400 and "credit_line" in answer.json()["error"]["fields"]
    answer = api.post(
        "/api/v1/publication-requests/",
        {"generation": str(clip.public_id), "title": "Heron", "credit_line": "by newbie5 @ example.com"},
    )
    assert answer.status_code == 400 and "credit_line" in answer.json()["error"]["fields"]
    profile = client.post("/profile/", {"credit_name": "newbie5@example.com"})
    assert profile.status_code == 400
    assert not PublicationRequest.objects.exists()


def test_nothing_public_or_shared_carries_a_members_address(newbie, client):
    artist = newbie.artist
    User.objects.filter(pk=artist.pk).update(display_name="Newbie Five")
    artist.refresh_from_db()
    request = services.publication_request_create(
        artist=artist, generation=rendered(artist, newbie.cohort), title="Heron", show_prompt=True
    )
    assert request.credit_line == "Newbie Five"
    services.review_claim(reviewer=newbie.reviewer, request=request)
    services.review_decide(reviewer=newbie.reviewer, request=request, outcome="approve")
    assert signing_worker_runs() == 1
    publication = Publication.objects.get(request=request)
    unnamed = User.objects.get(pk=newbie.second_reviewer.pk)
    User.objects.filter(pk=unnamed.pk).update(display_name="")  # another member without a name
    mate = MembershipFactory(cohort=newbie.cohort, user__display_name="Cohort Mate").user
    bug(newbie, reporter=mate, title="Someone else's report")
    report = bug(newbie, title="Cancel leaves the clip running")
    from feedback import services as feedback

    feedback.report_comment(author=unnamed, report=report, body="Seen it too.", as_staff=False)

    anonymous = Client()
    public = [
        "/", "/gallery/", f"/gallery/{publication.public_id}/", "/reasons/", "/privacy/",
        "/api/v1/publications/", f"/api/v1/publications/{publication.public_id}/", "/api/v1/reason-codes/",
    ]  # fmt: skip
    for url in public:
        answer = anonymous.get(url)
        assert answer.status_code == 200, url
        assert not leaked(answer.content.decode()), url
    assert "Newbie Five" in anonymous.get(f"/gallery/{publication.public_id}/").content.decode()

    manifest = credentials.read_manifest(publication.video.path)
    assert not leaked(str(manifest))

    # What another member of the cohort reads: the shared board and its reports.
    sign_in(client, mate)
    for url in ("/reports/", f"/reports/{report.pk}/", "/gallery/"):
        page = client.get(url).content.decode()
        assert not leaked(page) - {mate.email.lower()}, url  # their own, in the menu
    board = client.get(f"/reports/{report.pk}/").content.decode()
    assert "Newbie Five" in board and f"Member #{unnamed.pk}" in board
