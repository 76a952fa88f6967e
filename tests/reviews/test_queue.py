"""The review queue's data and services: requests, claims with leases, decisions with reasons, and the
rules the database holds itself."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Membership, User
from core.errors import ApplicationError
from generations import services as generation_services
from generations.models import Generation, QuotaPolicy
from reviews import services
from reviews.models import Decision, Publication, PublicationRequest, ReasonCode
from tests.support.factories import CohortFactory, MembershipFactory, UserFactory

SMALL = dict(duration_s=1.125, resolution=64, aspect_ratio="1:1", fps=8)


@pytest.fixture
def people(wake_ups, db):
    cohort, other = CohortFactory(name="Review cohort"), CohortFactory(name="Elsewhere")
    QuotaPolicy.objects.create(cohort=cohort, credits_per_period=100, max_queued_per_artist=10)
    artist = MembershipFactory(cohort=cohort, user__email="maker@example.org").user
    reviewer = MembershipFactory(
        cohort=cohort, role=Membership.Role.REVIEWER, user__role=User.Role.REVIEWER, user__email="rev@example.org"
    ).user
    outsider = MembershipFactory(
        cohort=other, role=Membership.Role.REVIEWER, user__role=User.Role.REVIEWER, user__email="out@example.org"
    ).user
    ReasonCode.objects.create(
        code="likeness", label="Likeness of a real person", description="Shows a real person without consent.",
        policy_clause="Policy 2.1",
    )  # fmt: skip
    return {"cohort": cohort, "artist": artist, "reviewer": reviewer, "outsider": outsider}


def clip(people, prompt="a heron") -> Generation:
    generation, _ = generation_services.generation_submit(
        artist=people["artist"], cohort=people["cohort"], prompt=prompt, **SMALL
    )
    Generation.objects.filter(pk=generation.pk).update(status=Generation.Status.SUCCEEDED)  # rendered
    generation.refresh_from_db()
    return generation


def request_for(people, **extra) -> PublicationRequest:
    return services.publication_request_create(
        artist=people["artist"], generation=clip(people), title=extra.pop("title", "Heron"), **extra
    )


def test_a_request_is_one_per_clip_and_only_for_the_artists_rendered_clip(people):
    generation = clip(people)
    first = services.publication_request_create(artist=people["artist"], generation=generation, title="Heron")
    assert first.state == "pending" and first.credit_line == str(people["artist"])
    assert first.deadline_at > timezone.now() + timedelta(hours=71)
    with pytest.raises(ApplicationError) as twice:
        services.publication_request_create(artist=people["artist"], generation=generation, title="Again")
    assert twice.value.status == 409
    services.publication_request_withdraw(actor=people["artist"], request=first)
    assert services.publication_request_create(artist=people["artist"], generation=generation, title="Again")
    with pytest.raises(ApplicationError) as not_theirs:
        services.publication_request_create(artist=people["reviewer"], generation=generation, title="Mine")
    assert not_theirs.value.status == 403


def test_claims_go_by_deadline_to_reviewers_of_the_cohort_never_to_the_artist(people):
    later = request_for(people, title="Later")
    sooner = request_for(people, title="Sooner")
    PublicationRequest.objects.filter(pk=sooner.pk).update(deadline_at=timezone.now() + timedelta(hours=1))
    assert services.review_claim_next(reviewer=people["outsider"]) is None  # another cohort's reviewer
    claimed = services.review_claim_next(reviewer=people["reviewer"])
    assert claimed.pk == sooner.pk and claimed.claimed_by == people["reviewer"]
    assert services.review_claim_next(reviewer=people["reviewer"]).pk == sooner.pk  # their live claim again
    admin = UserFactory(role=User.Role.ADMIN)
    assert services.review_claim_next(reviewer=admin).pk == later.pk  # the held one is hidden from others
    # An admin who is also the artist never gets their own request.
    people["artist"].role = User.Role.ADMIN
    people["artist"].save()
    assert services.review_claim_next(reviewer=people["artist"]) is None


def test_an_abandoned_claim_returns_to_the_queue_when_its_lease_ends(people):
    request = request_for(people)
    services.review_claim_next(reviewer=people["reviewer"])
    admin = UserFactory(role=User.Role.ADMIN)
    assert services.review_claim_next(reviewer=admin) is None
    PublicationRequest.objects.filter(pk=request.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert not services.review_claim_renew(reviewer=people["reviewer"], request=request)
    taken = services.review_claim_next(reviewer=admin)
    assert taken.pk == request.pk and taken.claimed_by == admin
    with pytest.raises(ApplicationError) as late:
        services.review_decide(reviewer=people["reviewer"], request=request, outcome="approve")
    assert late.value.code == "not_claimed"


def test_approving_publishes_and_a_refusal_needs_a_written_reason(people):
    request = request_for(people)
    services.review_claim_next(reviewer=people["reviewer"])
    with pytest.raises(ApplicationError) as no_reason:
        services.review_decide(reviewer=people["reviewer"], request=request, outcome="reject")
    assert no_reason.value.fields == {"reason_code": "required"}
    decision = services.review_decide(reviewer=people["reviewer"], request=request, outcome="approve")
    publication = Publication.objects.get()
    assert publication.decision == decision and not publication.unreviewed
    assert PublicationRequest.objects.get().state == "approved"

    second = request_for(people, title="Second")
    services.review_claim_next(reviewer=people["reviewer"])
    with pytest.raises(ApplicationError) as no_facts:
        services.review_decide(reviewer=people["reviewer"], request=second, outcome="reject", reason_code="likeness")
    assert no_facts.value.fields == {"note": "required to reject or request changes"}  # DSA Art. 17: the facts
    services.review_decide(
        reviewer=people["reviewer"], request=second, outcome="reject", reason_code="likeness", note="A real face."
    )
    second.refresh_from_db()
    assert second.state == "rejected" and Publication.objects.count() == 1
    assert people["artist"].notifications.filter(kind="review_decided").count() == 2


def test_the_database_refuses_what_the_rules_forbid(people):
    request = request_for(people)
    with pytest.raises(IntegrityError), transaction.atomic():
        Decision.objects.create(request=request, reviewer=people["reviewer"], outcome="reject")  # no reason
    with pytest.raises(IntegrityError), transaction.atomic():
        Publication.objects.create(request=request)  # neither approved nor past the deadline
    with pytest.raises(IntegrityError), transaction.atomic():
        PublicationRequest.objects.filter(pk=request.pk).update(
            state="in_review", claimed_by=people["artist"], lease_expires_at=timezone.now()
        )  # claimed by its own artist
    rejected = Decision.objects.create(
        request=request, reviewer=people["reviewer"], outcome="reject", reason_code=ReasonCode.objects.get()
    )
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError), transaction.atomic():
            Publication.objects.create(request=request, decision=rejected, decision_outcome="approve")


@pytest.mark.postgres
@pytest.mark.slow
def test_two_decisions_at_once_one_counts_the_other_is_a_409(transactional_db, people):
    if connection.vendor != "postgresql":
        pytest.skip("row locks under concurrency are PostgreSQL's")
    request = request_for(people)
    services.review_claim_next(reviewer=people["reviewer"])
    barrier, results = threading.Barrier(2), []

    def decide(outcome, reason):
        barrier.wait()
        try:
            services.review_decide(
                reviewer=people["reviewer"], request=request, outcome=outcome, reason_code=reason, note="Facts."
            )
            results.append("decided")
        except ApplicationError as exc:
            results.append(exc.status)
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=args) for args in (("approve", None), ("reject", "likeness"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=str) == [409, "decided"]
    assert Decision.objects.filter(request=request).count() == 1


@pytest.mark.postgres
@pytest.mark.slow
def test_twenty_parallel_claims_by_one_reviewer_leave_one_live_claim(transactional_db, people):
    """Found from outside: 20 parallel "claim next" calls left one reviewer holding 4 requests."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks under concurrency are PostgreSQL's")
    for n in range(8):
        request_for(people, title=f"Heron {n}")
    barrier, claimed = threading.Barrier(20), []

    def claim():
        barrier.wait()
        try:
            found = services.review_claim_next(reviewer=people["reviewer"])
            claimed.append(found.pk if found else None)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    held = PublicationRequest.objects.filter(claimed_by=people["reviewer"], state="in_review")
    assert held.count() == 1 and set(claimed) == {held.get().pk}


def test_claiming_another_request_hands_back_the_one_held_and_the_database_allows_one(people):
    first, second = request_for(people, title="First"), request_for(people, title="Second")
    services.review_claim(reviewer=people["reviewer"], request=first)
    services.review_claim(reviewer=people["reviewer"], request=second)
    first.refresh_from_db()
    assert first.state == "pending" and first.claimed_by is None
    with pytest.raises(IntegrityError), transaction.atomic():
        PublicationRequest.objects.filter(pk=first.pk).update(
            state="in_review", claimed_by=people["reviewer"], lease_expires_at=timezone.now() + timedelta(minutes=5)
        )
