"""The review pages as each role uses them: forms that say what to fix, the reviewer's desk, the admin's
reason list, and who may read which numbers."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from generations.models import StaffAccess
from reviews import services
from reviews.models import PublicationRequest, ReasonCode
from tests.support.clients import api_client_for
from tests.support.people import published, rendered, signing_worker_runs


def test_asking_to_publish_from_the_clip_page_says_what_to_fix(team):
    generation = rendered(team.artist, team.cohort)
    artist = api_client_for(team.artist)
    page = artist.get(reverse("generation_page", args=[generation.public_id])).content.decode()
    assert reverse("publication_request_new", args=[generation.public_id]) in page
    form_url = reverse("publication_request_new", args=[generation.public_id])
    refused = artist.post(form_url, {"title": "", "caption": "x" * 2001})
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "This field is required" in text and "at most 2000 characters" in text
    done = artist.post(form_url, {"title": "Heron", "show_prompt": "on", "credit_line": "Mo Maker"})
    assert done.status_code == 302 and done["Location"] == reverse("publication_requests")
    twice = artist.post(form_url, {"title": "Again", "credit_line": "Mo Maker"})
    assert twice.status_code == 400 and "already waits for review" in twice.content.decode()
    # Nobody else may ask for it, staff included.
    assert api_client_for(team.other_artist).get(form_url).status_code == 404
    assert api_client_for(team.admin).get(form_url).status_code == 404


def test_the_reviewers_desk_claims_decides_renews_and_records_the_viewing(team):
    generation = rendered(team.artist, team.cohort)
    request = services.publication_request_create(artist=team.artist, generation=generation, title="Heron")
    desk = api_client_for(team.reviewer)
    queue = desk.get(reverse("review_queue")).content.decode()
    assert "Heron" in queue and "Claim next" in queue
    claimed = desk.post(reverse("review_claim_next"))
    assert claimed["Location"] == reverse("review_item", args=[request.pk])
    item = desk.get(claimed["Location"]).content.decode()
    assert "<video" in item and 'data-shortcut="a"' in item
    assert StaffAccess.objects.filter(viewer=team.reviewer, via="review").count() == 1

    PublicationRequest.objects.filter(pk=request.pk).update(lease_expires_at=timezone.now() + timedelta(minutes=1))
    assert "kept for 15 more minutes" in desk.post(reverse("review_renew", args=[request.pk])).content.decode()
    request.refresh_from_db()
    assert request.lease_expires_at > timezone.now() + timedelta(minutes=14)

    no_reason = desk.post(reverse("review_decide", args=[request.pk]), {"decide": "reject"}, follow=True)
    assert "Choose a reason from the published list" in no_reason.content.decode()
    unknown = desk.post(reverse("review_decide", args=[request.pk]), {"decide": "publish-all"}, follow=True)
    assert "Choose approve, reject or request changes" in unknown.content.decode()  # the form's refusal
    assert not request.decisions.exists()
    decided = desk.post(
        reverse("review_decide", args=[request.pk]), {"decide": "reject", "reason_code": "likeness", "note": "Face."}
    )
    assert decided.status_code == 302
    held = api_client_for(team.artist).get(reverse("publication_requests")).content.decode()
    assert "Likeness of a real person" not in held  # held for the undo window: nobody is told yet
    assert services.review_decisions_release(now=timezone.now() + services.UNDO_WINDOW) == 1
    mine = api_client_for(team.artist).get(reverse("publication_requests")).content.decode()
    assert "Likeness of a real person" in mine and "Policy likeness" in mine and "Appeal this decision" in mine
    # Another cohort's reviewer sees nothing of it.
    other = api_client_for(team.other_reviewer)
    assert "Heron" not in other.get(reverse("review_queue")).content.decode()
    assert other.get(reverse("review_item", args=[request.pk])).status_code == 404


def test_admins_manage_the_reasons_and_everyone_reads_them(team):
    admin = api_client_for(team.admin)
    created = admin.post(
        reverse("reason_codes_admin"),
        {"code": "ip", "label": "Third-party IP", "description": "Someone else's work.", "policy_clause": "2.4",
         "ground": "DECISION_GROUND_ILLEGAL_CONTENT", "ground_url": "https://example.org/policy#2.4", "active": "on",
         "category": "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS"},
    )  # fmt: skip
    assert created.status_code == 302
    assert AuditEvent.objects.filter(action="reason_code.created", actor=team.admin).exists()
    admin.post(
        reverse("reason_code_edit", args=["ip"]),
        {"code": "ip", "label": "Third-party IP", "description": "Someone else's work.", "policy_clause": "2.4",
         "ground": "DECISION_GROUND_ILLEGAL_CONTENT",
         "category": "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS"},
    )  # fmt: skip
    assert not ReasonCode.objects.get(code="ip").active  # retired, kept
    listed = api_client_for(None).get(reverse("reason_codes")).content.decode()
    assert "Likeness of a real person" in listed and "Third-party IP" not in listed
    assert api_client_for(team.reviewer).get(reverse("reason_codes_admin")).status_code == 403


def test_who_reads_the_numbers(team):
    assert "No decisions yet." in api_client_for(team.admin).get(reverse("review_dashboard")).content.decode()
    request = services.publication_request_create(
        artist=team.artist, generation=rendered(team.artist, team.cohort), title="Heron"
    )
    PublicationRequest.objects.filter(pk=request.pk).update(created_at=timezone.now() - timedelta(hours=3))
    services.review_claim_next(reviewer=team.reviewer)
    services.review_decide(reviewer=team.reviewer, request=request, outcome="approve")
    page = api_client_for(team.admin).get(reverse("review_dashboard")).content.decode()
    assert "<polyline" in page and "<th>Week of</th>" in page and "<td>3.0</td>" in page  # the chart and its numbers
    assert api_client_for(team.reviewer).get(reverse("review_dashboard")).status_code == 403
    transparency = reverse("transparency", args=[team.cohort.slug])
    assert api_client_for(team.artist).get(transparency).status_code == 200
    assert api_client_for(team.other_artist).get(transparency).status_code == 404
    assert api_client_for(None).get(transparency).status_code == 302  # sign in first


def test_a_take_down_on_the_page_reaches_the_artist_as_a_statement_they_appeal_on_the_page(team):
    request = published(team)
    public_id = request.publication.public_id
    desk = api_client_for(team.reviewer)
    take_down = reverse("publication_take_down", args=[public_id])
    assert take_down in desk.get(reverse("publication_page", args=[public_id])).content.decode()
    no_facts = desk.post(take_down, {"reason_code": "likeness", "note": ""}, follow=True).content.decode()
    assert "say what in the clip led to it" in no_facts and request.decisions.count() == 1
    assert desk.post(take_down, {"reason_code": "likeness", "note": "A real face, frames 2-9."}).status_code == 302

    artist = api_client_for(team.artist)
    mine = artist.get(reverse("publication_requests")).content.decode()
    assert "Taken down" in mine and "A real face, frames 2-9." in mine and "Appeal this decision" in mine
    own_page = artist.get(reverse("publication_page", args=[public_id])).content.decode()
    assert "A real face, frames 2-9." in own_page and reverse("publication_requests") in own_page
    appealed = artist.post(reverse("publication_request_appeal", args=[request.pk]), {"message": "It is my face."})
    assert appealed.status_code == 302
    assert "Take-down appeal" in artist.get(reverse("publication_requests")).content.decode()

    second = api_client_for(team.second_reviewer)
    item_url = second.post(reverse("review_claim_next"))["Location"]
    item = second.get(item_url).content.decode()
    assert "appeal of a take-down" in item and "It is my face." in item and 'value="request_changes"' not in item
    assert second.post(reverse("review_decide", args=[request.pk]), {"decide": "approve"}).status_code == 302
    assert "Heron" not in api_client_for(team.other_artist).get(reverse("gallery")).content.decode()  # held
    services.review_decisions_release(now=timezone.now() + services.UNDO_WINDOW)
    signing_worker_runs()
    assert "Heron" in api_client_for(team.other_artist).get(reverse("gallery")).content.decode()


def test_the_publishing_page_and_notifications_page_through_everything(team):
    """Lists on pages are read a page at a time (core.pages.paged), never cut off."""
    from accounts.services import notify
    from core.pages import PAGE_SIZE

    clip = rendered(team.artist, team.cohort)
    PublicationRequest.objects.bulk_create(
        PublicationRequest(
            generation=clip, artist=team.artist, cohort=team.cohort, title=f"Request {n}", credit_line="Mo",
            state=PublicationRequest.State.WITHDRAWN, deadline_at=timezone.now(), closed_at=timezone.now(),
        )
        for n in range(23)
    )  # fmt: skip
    for n in range(PAGE_SIZE + 3):
        notify(user=team.artist, kind="test", title=f"Note {n}")
    artist = api_client_for(team.artist)
    first = artist.get(reverse("publication_requests")).content.decode()
    assert "Page 1 of 2" in first and 'rel="next" href="?page=2"' in first
    assert "Page 2 of 2" in artist.get(reverse("publication_requests"), {"page": 2}).content.decode()
    shown = artist.get(reverse("notifications")).content.decode()
    assert "Page 1 of 2" in shown and team.artist.notifications.filter(read_at=None).count() == 3  # the rest
    artist.get(reverse("notifications"), {"page": 2})
    assert not team.artist.notifications.filter(read_at=None).exists()
