"""Appeals, the deadline, publications (signing, withdrawal, take-down), Content Credentials and the digest,
through the services, on the real database and real files."""

import hashlib
import os
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import ConsentRecord
from core.errors import ApplicationError
from reviews import credentials, selectors, services
from reviews.models import Appeal, Publication, PublicationRequest
from tests.support.people import rendered, signing_worker_runs


def ask(team, title="Heron", **extra) -> PublicationRequest:
    generation = rendered(team.artist, team.cohort)
    return services.publication_request_create(artist=team.artist, generation=generation, title=title, **extra)


def decide(reviewer, request, outcome="approve", reason_code=None):
    claimed = services.review_claim_next(reviewer=reviewer)
    assert claimed is not None and claimed.pk == request.pk
    note = "" if outcome == "approve" else "The horizon tilts in frames 3-5."  # the facts a refusal states
    return services.review_decide(
        reviewer=reviewer, request=request, outcome=outcome, reason_code=reason_code, note=note
    )


def test_an_appeal_goes_to_another_reviewer_whose_decision_is_final(team):
    request = ask(team)
    rejection = decide(team.reviewer, request, "reject", "likeness")
    statement = selectors.statement_of_reasons(rejection)
    assert statement["reason"]["policy_clause"] == "Policy likeness"
    assert statement["appeal_until"] == rejection.decided_at + timedelta(days=180)
    assert "nothing was automated" in statement["automation"]

    appeal = services.appeal_create(artist=team.artist, request=request, message="It is a heron, not a person.")
    request.refresh_from_db()
    assert (request.state, request.stage, request.excluded_reviewer) == ("pending", "appeal", team.reviewer)
    assert services.review_claim_next(reviewer=team.reviewer) is None  # not the first reviewer
    # The database refuses it too: neither the claim nor the appeal's decision by the first reviewer.
    with pytest.raises(IntegrityError), transaction.atomic():
        PublicationRequest.objects.filter(pk=request.pk).update(
            state="in_review", claimed_by=team.reviewer, lease_expires_at=timezone.now()
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Appeal.objects.filter(pk=appeal.pk).update(decided_by=team.reviewer, decision=rejection)

    final = decide(team.second_reviewer, request, "approve")
    assert final.stage == "appeal" and Publication.objects.get(request=request).decision == final
    appeal.refresh_from_db()
    assert appeal.decided_by == team.second_reviewer and appeal.decision == final
    assert "final" in selectors.statement_of_reasons(final)["redress"]
    with pytest.raises(ApplicationError) as again:
        services.appeal_create(artist=team.artist, request=request, message="once more")
    assert again.value.code == "not_appealable"
    numbers = selectors.review_numbers()
    assert (numbers.appeals_decided, numbers.appeal_reversals) == (1, 1)


def test_an_appeal_needs_a_message_and_the_window_open(team):
    request = ask(team)
    rejection = decide(team.reviewer, request, "reject", "defect")
    with pytest.raises(ApplicationError) as empty:
        services.appeal_create(artist=team.artist, request=request, message="  ")
    assert empty.value.fields == {"message": "1-2,000"}
    with pytest.raises(ApplicationError) as not_theirs:
        services.appeal_create(artist=team.other_artist, request=request, message="mine")
    assert not_theirs.value.status == 403
    rejection.decided_at = timezone.now() - timedelta(days=181)
    rejection.save(update_fields=["decided_at"])
    with pytest.raises(ApplicationError) as late:
        services.appeal_create(artist=team.artist, request=request, message="Please look again.")
    assert late.value.code == "appeal_window_closed"
    changes = ask(team, title="Changes")
    decide(team.reviewer, changes, "request_changes", "defect")
    with pytest.raises(ApplicationError) as only_rejections:
        services.appeal_create(artist=team.artist, request=changes, message="Why?")
    assert only_rejections.value.code == "not_appealable"


def test_the_deadline_flags_once_tells_admins_and_lets_the_artist_publish_where_allowed(
    team, django_capture_on_commit_callbacks
):
    request = ask(team)
    with pytest.raises(ApplicationError) as early:
        services.publication_self_publish(artist=team.artist, request=request)
    assert early.value.code == "not_allowed"  # the cohort does not allow it (the default)
    services.review_policy_save(actor=team.admin, cohort=team.cohort, publish_after_deadline=True)
    with pytest.raises(ApplicationError) as not_yet:
        services.publication_self_publish(artist=team.artist, request=request)
    assert not_yet.value.code == "deadline_not_passed"

    assert services.review_flag_overdue() == 0
    later = timezone.now() + timedelta(hours=72, minutes=1)  # time travel
    assert services.review_flag_overdue(now=later) == 1
    assert services.review_flag_overdue(now=later) == 0  # once
    assert team.admin.notifications.filter(kind="review_overdue").count() == 1
    assert team.artist.notifications.filter(kind="review_overdue").count() == 1

    PublicationRequest.objects.filter(pk=request.pk).update(deadline_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        publication = services.publication_self_publish(artist=team.artist, request=request)
    signing_worker_runs()
    publication.refresh_from_db()
    assert publication.unreviewed and publication.decision is None and publication.signed_at
    assert "not reviewed" in publication.provenance["review"]
    assert PublicationRequest.objects.get(pk=request.pk).state == "self_published"
    manifest = credentials.read_manifest(publication.video.path)
    assert "not reviewed" in str(manifest["manifests"][manifest["active_manifest"]]["assertions"])


def test_a_signed_publication_carries_content_credentials_that_validate(team, django_capture_on_commit_callbacks):
    ConsentRecord.objects.create(user=team.artist, kind="training_use", value=False, consent_version=1)
    request = ask(team, title="Signed heron")
    with django_capture_on_commit_callbacks(execute=True):
        decide(team.reviewer, request)
    assert Publication.objects.get(request=request).signed_at is None  # not in the approving request
    assert signing_worker_runs() == 1
    publication = Publication.objects.get(request=request)
    assert publication.signed_at and publication.video.name.startswith("public/")
    assert str(request.generation.public_id) not in publication.video.name  # the public path reveals nothing
    manifest = credentials.read_manifest(publication.video.path)
    active = manifest["manifests"][manifest["active_manifest"]]
    assertions = {assertion["label"]: assertion["data"] for assertion in active["assertions"]}
    actions = next(data for label, data in assertions.items() if label.startswith("c2pa.actions"))["actions"]
    created = next(action for action in actions if action["action"] == "c2pa.created")
    assert created["digitalSourceType"] == credentials.AI_GENERATED
    assert created["parameters"]["preset"] == "tiny" and created["softwareAgent"]["name"] == "Vernissage"
    published = next(action for action in actions if action["action"] == "c2pa.published")
    assert published["parameters"]["review"] == "approved"
    training = assertions["c2pa.training-mining"]["entries"]
    assert {entry["use"] for entry in training.values()} == {"notAllowed"}  # the artist's opt-out
    # The hash binding validates; the only complaint is our self-generated signer, which no trust list holds.
    assert [status["code"] for status in manifest["validation_status"]] == ["signingCredential.untrusted"]
    successes = {item["code"] for item in manifest["validation_results"]["activeManifest"]["success"]}
    assert "claimSignature.validated" in successes
    assert any(code.startswith("assertion.bmffHash") for code in successes)
    assert hashlib.sha256(publication.video.read()).hexdigest() == publication.video_sha256
    assert services.publication_sign(publication_id=publication.pk).signed_at == publication.signed_at  # idempotent


def test_withdrawal_any_time_and_take_down_only_with_a_reason(team, django_capture_on_commit_callbacks):
    first, second = ask(team, title="One"), ask(team, title="Two")
    with django_capture_on_commit_callbacks(execute=True):
        decide(team.reviewer, first)
        decide(team.reviewer, second)
    signing_worker_runs()
    assert selectors.gallery().count() == 2
    one = Publication.objects.get(request=first)
    stored = one.video.path
    with pytest.raises(ApplicationError) as not_theirs:
        services.publication_withdraw(actor=team.other_artist, publication=one)
    assert not_theirs.value.status == 403
    with django_capture_on_commit_callbacks(execute=True):
        services.publication_withdraw(actor=team.artist, publication=one)
    assert not os.path.exists(stored) and selectors.gallery().count() == 1

    two = Publication.objects.get(request=second)
    with pytest.raises(ApplicationError) as no_reason:
        services.publication_take_down(actor=team.reviewer, publication=two, reason_code="")
    assert no_reason.value.fields == {"reason_code": "required"}
    with pytest.raises(ApplicationError) as no_facts:
        services.publication_take_down(actor=team.reviewer, publication=two, reason_code="defect")
    assert no_facts.value.fields == {"note": "required"}
    with pytest.raises(ApplicationError) as elsewhere:
        services.publication_take_down(actor=team.other_reviewer, publication=two, reason_code="defect", note="x")
    assert elsewhere.value.status == 404
    services.publication_take_down(
        actor=team.reviewer, publication=two, reason_code="defect", note="Frames 3-5 are black."
    )
    two.refresh_from_db()
    assert two.taken_down_by == team.reviewer and two.take_down_reason.code == "defect"
    told = team.artist.notifications.get(kind="publication_taken_down")
    assert "Technical defect" in told.body and "Frames 3-5" in told.body
    assert selectors.gallery().count() == 0
    with pytest.raises(IntegrityError), transaction.atomic():
        Publication.objects.filter(pk=one.pk).update(taken_down_at=timezone.now())  # a take-down names its reason


def test_reviewers_get_a_digest_of_new_requests_at_most_daily(team):
    ask(team)
    assert services.review_send_digests() == 3  # two reviewers of the cohort and the admin
    assert services.review_send_digests() == 0
    ask(team, title="Next day")
    assert services.review_send_digests(now=timezone.now() + timedelta(days=1, minutes=1)) == 3
    assert team.other_reviewer.notifications.filter(kind="review_digest").count() == 0
