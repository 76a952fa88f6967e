"""Appeals, the deadline, publications (signing, withdrawal, take-down), Content Credentials and the digest,
through the services, on the real database and real files."""

import hashlib
import os
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.models import ConsentRecord
from core.errors import ApplicationError
from reviews import credentials, selectors, services
from reviews.models import Appeal, Publication, PublicationRequest
from tests.support.people import published, rendered, signing_worker_runs


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
    assert (two.take_down.reviewer, two.take_down.reason_code.code, two.take_down.stage) == (
        team.reviewer, "defect", "take_down",
    )  # fmt: skip
    told = team.artist.notifications.get(kind="publication_taken_down")
    assert "Technical defect" in told.body and "Frames 3-5" in told.body
    assert selectors.gallery().count() == 0
    with pytest.raises(IntegrityError), transaction.atomic():
        Publication.objects.filter(pk=one.pk).update(taken_down_at=timezone.now())  # a take-down is a decision


def take_down(team, title="Heron") -> tuple[PublicationRequest, Publication]:
    """A clip approved, signed into the gallery, then taken down by the first reviewer."""
    request = published(team, title=title)
    publication = Publication.objects.get(request=request)
    services.publication_take_down(
        actor=team.reviewer, publication=publication, reason_code="likeness", note="The face is a real actor's."
    )
    publication.refresh_from_db()
    return request, publication


def test_a_take_down_makes_a_statement_the_artist_can_appeal(team, django_capture_on_commit_callbacks):
    request, publication = take_down(team)
    statement = selectors.statement_of_reasons(publication.take_down)
    assert (statement["decision"], statement["decision_visibility"]) == (
        "taken down", ["DECISION_VISIBILITY_CONTENT_REMOVED"],
    )  # fmt: skip
    assert statement["facts"] == "The face is a real actor's." and statement["reason"]["code"] == "likeness"
    assert statement["appeal_until"] == publication.take_down.decided_at + timedelta(days=180)
    assert statement["redress_routes"][0].startswith("the internal appeal")
    told = team.artist.notifications.get(kind="publication_taken_down")
    assert "You may appeal once" in told.body and "Policy likeness" in told.body
    shown = selectors.with_statements(list(selectors.requests_of(artist=team.artist)))[0]
    assert shown.may_appeal and [s["stage"] for s in shown.statements] == ["review", "take_down"]

    services.appeal_create(artist=team.artist, request=request, message="The face is my own; I am the actor.")
    request.refresh_from_db()
    assert (request.state, request.stage, request.excluded_reviewer) == ("pending", "take_down_appeal", team.reviewer)
    assert services.review_claim_next(reviewer=team.reviewer) is None  # not the reviewer who took it down
    claimed = services.review_claim_next(reviewer=team.second_reviewer)
    with pytest.raises(ApplicationError) as no_changes:
        services.review_decide(
            reviewer=team.second_reviewer, request=claimed, outcome="request_changes", reason_code="likeness", note="x"
        )
    assert no_changes.value.fields == {"outcome": "approve, reject"}
    with django_capture_on_commit_callbacks(execute=True):
        reversed_ = services.review_decide(reviewer=team.second_reviewer, request=claimed, outcome="approve")
    assert selectors.statement_of_reasons(reversed_)["decision"] == "take-down reversed"
    request.refresh_from_db()
    publication.refresh_from_db()
    assert (request.state, publication.taken_down_at, publication.take_down, publication.video.name) == (
        "approved", None, None, "",
    )  # fmt: skip
    signing_worker_runs()  # the take-down deleted the public copy: the restored clip is signed again
    publication.refresh_from_db()
    assert publication.is_public and os.path.exists(publication.video.path)
    assert list(selectors.gallery()) == [publication]
    assert Appeal.objects.get(request=request).decision == reversed_
    with pytest.raises(ApplicationError) as again:
        services.appeal_create(artist=team.artist, request=request, message="once more")
    assert again.value.code == "not_appealable"


def test_an_upheld_take_down_is_final_and_a_restored_clip_can_be_taken_down_again(team):
    request, publication = take_down(team)
    services.appeal_create(artist=team.artist, request=request, message="Please look again.")
    claimed = services.review_claim_next(reviewer=team.second_reviewer)
    upheld = services.review_decide(
        reviewer=team.second_reviewer, request=claimed, outcome="reject", reason_code="likeness",
        note="The actor's agency wrote to us; the face is theirs.",
    )  # fmt: skip
    statement = selectors.statement_of_reasons(upheld)
    assert (statement["decision"], statement["appeal_until"]) == ("take-down upheld", None)
    assert "final" in statement["redress"]
    assert statement["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert not statement["redress_routes"][0].startswith("the internal appeal")  # courts and settlement remain
    request.refresh_from_db()
    publication.refresh_from_db()
    assert request.state == "approved" and publication.taken_down_at is not None and selectors.gallery().count() == 0
    shown = selectors.with_statements(list(selectors.requests_of(artist=team.artist)))[0]
    assert not shown.may_appeal
    with pytest.raises(ApplicationError) as again:
        services.appeal_create(artist=team.artist, request=request, message="And again.")
    assert again.value.code == "not_appealable"

    # Restored on a second clip's appeal, a clip may still be taken down on new facts, and appealed again.
    second, restored = take_down(team, title="Egret")
    services.appeal_create(artist=team.artist, request=second, message="Mine.")
    services.review_decide(
        reviewer=team.second_reviewer, request=services.review_claim_next(reviewer=team.second_reviewer),
        outcome="approve",
    )  # fmt: skip
    signing_worker_runs()
    restored.refresh_from_db()
    again_down = services.publication_take_down(
        actor=team.admin, publication=restored, reason_code="defect", note="A court order names it."
    )
    assert selectors.statement_of_reasons(again_down)["appeal_until"] is not None
    services.appeal_create(artist=team.artist, request=second, message="The order was lifted.")
    assert Appeal.objects.filter(request=second).count() == 2


def test_reviewers_get_a_digest_of_new_requests_at_most_daily(team):
    ask(team)
    assert services.review_send_digests() == 3  # two reviewers of the cohort and the admin
    assert services.review_send_digests() == 0
    ask(team, title="Next day")
    assert services.review_send_digests(now=timezone.now() + timedelta(days=1, minutes=1)) == 3
    assert team.other_reviewer.notifications.filter(kind="review_digest").count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_each_take_down_into_its_decision_and_back(team):
    request, publication = take_down(team)
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([("reviews", "0008_dsa_grounds_and_redress")])  # the take-down back in its old fields
        old = MigrationExecutor(connection).loader.project_state([("reviews", "0008_dsa_grounds_and_redress")]).apps
        row = old.get_model("reviews", "Publication").objects.get(pk=publication.pk)
        assert (row.taken_down_by_id, row.take_down_reason.code, row.take_down_note) == (
            team.reviewer.pk, "likeness", "The face is a real actor's.",
        )  # fmt: skip
        assert not old.get_model("reviews", "Decision").objects.filter(stage="take_down").exists()
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    publication.refresh_from_db()
    decision = publication.take_down
    assert (decision.reviewer, decision.reason_code.code, decision.note, decision.stage) == (
        team.reviewer, "likeness", "The face is a real actor's.", "take_down",
    )  # fmt: skip
    assert decision.decided_at == publication.taken_down_at and decision.request == request


def test_staff_cannot_take_down_their_own_clip_they_withdraw_it(team, client):
    from tests.support.clients import sign_in

    own = services.publication_request_create(
        artist=team.reviewer, generation=rendered(team.reviewer, team.cohort), title="My own"
    )
    services.review_claim(reviewer=team.second_reviewer, request=own)
    services.review_decide(reviewer=team.second_reviewer, request=own, outcome="approve")
    signing_worker_runs()
    publication = Publication.objects.get(request=own)
    with pytest.raises(ApplicationError) as refused:
        services.publication_take_down(actor=team.reviewer, publication=publication, reason_code="defect", note="x")
    assert (refused.value.code, refused.value.status) == ("own_clip", 403)
    assert "withdraw" in refused.value.message
    sign_in(client, team.reviewer)
    page = client.get(f"/gallery/{publication.public_id}/").content.decode()
    assert "Take down (staff)" not in page
    answer = client.post(
        f"/gallery/{publication.public_id}/take-down/", {"reason_code": "defect", "note": "Frames 3-5 are black."}
    )
    assert answer.status_code in (302, 403)
    publication.refresh_from_db()
    assert publication.taken_down_at is None and publication.take_down is None
