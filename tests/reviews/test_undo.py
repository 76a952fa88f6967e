"""The review desk's undo: a decision made with a hold is recorded at once but takes effect (publishes, tells
the artist) only after the window; inside it the reviewer takes it back and holds the request again."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Notification
from core.errors import ApplicationError
from reviews import selectors, services
from reviews.models import Decision, Publication, PublicationRequest
from tests.support.clients import api_client_for
from tests.support.people import rendered

HOLD = services.UNDO_WINDOW


def asked(team, title: str) -> PublicationRequest:
    return services.publication_request_create(
        artist=team.artist, generation=rendered(team.artist, team.cohort, prompt=title), title=title
    )


def test_a_held_approval_publishes_nothing_until_the_window_passes_and_then_exactly_once(team):
    request = asked(team, "Heron")
    services.review_claim(reviewer=team.reviewer, request=request)
    decision = services.review_decide(reviewer=team.reviewer, request=request, outcome="approve", hold=HOLD)
    request.refresh_from_db()
    assert request.state == "approved" and request.claimed_by is None  # out of the queue at once
    assert decision.held_until is not None
    assert not Publication.objects.exists()
    assert not Notification.objects.filter(user=team.artist, kind="review_decided").exists()
    assert selectors.review_numbers().decided == 0  # the numbers count decisions in effect
    assert services.review_decisions_release() == 0  # the window has not passed

    later = timezone.now() + HOLD + timedelta(seconds=1)
    assert services.review_decisions_release(now=later) == 1
    assert services.review_decisions_release(now=later) == 0  # once
    assert Publication.objects.get().decision == decision
    assert Notification.objects.filter(user=team.artist, kind="review_decided").count() == 1
    assert Decision.objects.get().held_until is None
    assert selectors.review_numbers().decided == 1
    with pytest.raises(ApplicationError) as refused:
        services.review_decision_undo(reviewer=team.reviewer, decision=decision)
    assert refused.value.status == 409


def test_undo_inside_the_window_gives_the_claim_back_and_hands_back_the_next_one(team):
    first, second = asked(team, "First"), asked(team, "Second")
    services.review_claim(reviewer=team.reviewer, request=first)
    decision = services.review_decide(
        reviewer=team.reviewer, request=first, outcome="reject", reason_code="likeness", note="A face.", hold=HOLD
    )
    assert services.review_claim_next(reviewer=team.reviewer) == second
    services.review_decision_undo(reviewer=team.reviewer, decision=decision)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == "in_review" and first.claimed_by == team.reviewer and first.closed_at is None
    assert first.lease_expires_at > timezone.now() + services.CLAIM_LEASE - timedelta(minutes=1)
    assert second.state == "pending" and second.claimed_by is None  # back in the queue for anyone
    assert not Decision.objects.exists()
    assert services.review_decisions_release(now=timezone.now() + HOLD * 2) == 0  # nothing left to take effect
    assert not Notification.objects.filter(user=team.artist, kind="review_decided").exists()
    assert AuditEvent.objects.filter(action="review.undone", actor=team.reviewer).exists()
    # Decided again: the database records one decision.
    services.review_decide(reviewer=team.reviewer, request=first, outcome="approve", hold=HOLD)
    assert Decision.objects.filter(request=first).count() == 1


def test_only_the_deciding_reviewer_undoes_and_only_inside_the_window(team):
    request = asked(team, "Heron")
    services.review_claim(reviewer=team.reviewer, request=request)
    decision = services.review_decide(reviewer=team.reviewer, request=request, outcome="approve", hold=HOLD)
    with pytest.raises(ApplicationError):
        services.review_decision_undo(reviewer=team.second_reviewer, decision=decision)
    Decision.objects.filter(pk=decision.pk).update(held_until=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ApplicationError) as late:
        services.review_decision_undo(reviewer=team.reviewer, decision=decision)
    assert late.value.code == "undo_window_passed"
    assert Decision.objects.filter(pk=decision.pk).exists()


def test_the_desk_moves_on_after_each_decision_and_offers_the_undo(team):
    requests = [asked(team, f"Clip {n}") for n in range(3)]
    desk = api_client_for(team.reviewer)
    first = desk.post(reverse("review_claim_next"))["Location"]
    assert first == reverse("review_item", args=[requests[0].pk])
    decided = desk.post(reverse("review_decide", args=[requests[0].pk]), {"decide": "approve"})
    decision = Decision.objects.get()
    assert decided["Location"] == reverse("review_item", args=[requests[1].pk]) + f"?undo={decision.pk}"
    page = desk.get(decided["Location"]).content.decode()
    assert reverse("review_undo", args=[decision.pk]) in page and "Approve: “Clip 0”" in page
    # Someone else's id, or a made-up one, offers nothing.
    assert (
        reverse("review_undo", args=[decision.pk])
        not in api_client_for(team.second_reviewer)
        .get(reverse("review_queue") + f"?undo={decision.pk}")
        .content.decode()
    )
    assert api_client_for(team.second_reviewer).post(reverse("review_undo", args=[decision.pk])).status_code == 302
    assert Decision.objects.filter(pk=decision.pk).exists()

    undone = desk.post(reverse("review_undo", args=[decision.pk]))
    assert undone["Location"] == reverse("review_item", args=[requests[0].pk])
    assert not Decision.objects.exists() and not Publication.objects.exists()
    requests[1].refresh_from_db()
    assert requests[1].state == "pending"


def test_the_artist_sees_no_outcome_before_its_statement(team):
    """Inside the undo window the decision has not reached the artist: the request reads as in review
    in the API and on the page, and withdrawing it names no outcome."""
    request = asked(team, "Heron")
    services.review_claim(reviewer=team.reviewer, request=request)
    services.review_decide(
        reviewer=team.reviewer, request=request, outcome="reject", reason_code="likeness", note="A face.", hold=HOLD
    )
    artist = api_client_for(team.artist)
    shown = artist.get(reverse("api-publication-request", args=[request.pk])).json()
    assert (shown["state"], shown["statements"], shown["closed_at"]) == ("in_review", [], None)
    page = artist.get(reverse("publication_requests")).content.decode()
    assert "Rejected" not in page and "A face." not in page
    refused = artist.post(reverse("api-publication-request-withdraw", args=[request.pk]))
    assert refused.status_code == 409 and "reject" not in refused.json()["error"]["message"].lower()
    again = artist.post(
        reverse("api-publication-requests"), {"generation": str(request.generation.public_id), "title": "Again"},
        format="json",
    )  # fmt: skip
    assert again.status_code == 409 and "reject" not in again.json()["error"]["message"].lower()
    assert PublicationRequest.objects.count() == 1

    services.review_decisions_release(now=timezone.now() + HOLD + timedelta(seconds=1))
    shown = artist.get(reverse("api-publication-request", args=[request.pk])).json()
    assert shown["state"] == "rejected" and shown["statements"][0]["facts"] == "A face."


def test_the_artist_sees_no_held_decision_in_their_security_events_and_never_an_undone_one(team, client):
    from accounts.selectors import audit_events_about
    from tests.support.clients import sign_in

    sign_in(client, team.artist)
    request = asked(team, "Heron")
    services.review_claim(reviewer=team.reviewer, request=request)
    undone = services.review_decide(reviewer=team.reviewer, request=request, outcome="approve", hold=HOLD)
    held_page = client.get("/profile/").content.decode()
    assert "Review: approved" not in held_page and "review.approve" not in held_page
    services.review_decision_undo(reviewer=team.reviewer, decision=undone)
    services.review_decide(
        reviewer=team.reviewer, request=request, outcome="reject", reason_code="likeness", note="A face.", hold=HOLD
    )
    page = client.get("/profile/").content.decode()
    assert "Review:" not in page and "Review decision" not in page and "review." not in page  # held, undone
    seen = {event.action for event in audit_events_about(user=team.artist)}
    assert not {action for action in seen if action.startswith("review.")}
    # Staff still read every step, who took it and when.
    staff = list(AuditEvent.objects.filter(target_id=str(request.pk)).values_list("action", "actor", flat=False))
    assert ("review.held", team.reviewer.pk) in staff and ("review.undone", team.reviewer.pk) in staff

    assert services.review_decisions_release(now=timezone.now() + HOLD + timedelta(seconds=1)) == 1
    released = client.get("/profile/").content.decode()
    assert "Review: rejected" in released and "approved" not in released and "undone" not in released
