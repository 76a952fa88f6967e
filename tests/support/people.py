"""The people most tests need: artists, reviewers and an admin in two cohorts (``team``), and their clips."""

from dataclasses import dataclass

import pytest

from accounts.models import Cohort, Membership, User
from generations.demo import demo_rendered_clip
from generations.models import Generation, QuotaPolicy
from tests.support.clients import with_totp
from tests.support.factories import CohortFactory, MembershipFactory, ReasonCodeFactory, UserFactory


@dataclass
class Team:
    cohort: Cohort
    other_cohort: Cohort
    artist: User
    other_artist: User  # in the other cohort
    reviewer: User
    second_reviewer: User  # same cohort: takes appeals
    other_reviewer: User  # reviews the other cohort only
    admin: User


def reviewer_in(cohort: Cohort, email: str) -> User:
    user = MembershipFactory(
        cohort=cohort, role=Membership.Role.REVIEWER, user__role=User.Role.REVIEWER, user__email=email
    ).user
    with_totp(user)
    return user


@pytest.fixture
def team(db, wake_ups) -> Team:
    cohort, other = CohortFactory(name="Review cohort"), CohortFactory(name="Elsewhere")
    for each in (cohort, other):
        QuotaPolicy.objects.create(cohort=each, credits_per_period=100, max_queued_per_artist=10)
    artist = MembershipFactory(cohort=cohort, user__email="maker@example.org", user__display_name="Mo Maker").user
    other_artist = MembershipFactory(cohort=other, user__email="other@example.org").user
    admin = UserFactory(role=User.Role.ADMIN, email="boss@example.org")
    with_totp(admin)
    for code, label in (("likeness", "Likeness of a real person"), ("defect", "Technical defect")):
        ReasonCodeFactory(code=code, label=label)
    return Team(
        cohort=cohort,
        other_cohort=other,
        artist=artist,
        other_artist=other_artist,
        reviewer=reviewer_in(cohort, "rev@example.org"),
        second_reviewer=reviewer_in(cohort, "rev2@example.org"),
        other_reviewer=reviewer_in(other, "rev-other@example.org"),
        admin=admin,
    )


def rendered(artist: User, cohort: Cohort, prompt: str = "a heron at dusk") -> Generation:
    """A succeeded clip with real MP4 and poster files (made without the model)."""
    return demo_rendered_clip(artist, cohort, prompt, hue=0.3)


def published(team: Team, title: str = "Heron"):
    """A clip of ``team.artist``'s, approved by ``team.reviewer`` and signed into the gallery: its request."""
    from reviews import services

    request = services.publication_request_create(
        artist=team.artist, generation=rendered(team.artist, team.cohort), title=title
    )
    services.review_claim(reviewer=team.reviewer, request=request)
    services.review_decide(reviewer=team.reviewer, request=request, outcome="approve")
    signing_worker_runs()
    return request


def signing_worker_runs() -> int:
    """What the signing queue's worker does with the messages sent after commit (reviews.sign_publication):
    sign each publication still unsigned. Returns how many it signed."""
    from reviews import services
    from reviews.models import Publication

    pending = Publication.objects.filter(signed_at__isnull=True, withdrawn_at__isnull=True, taken_down_at__isnull=True)
    return sum(
        services.publication_sign_quietly(publication_id=pk) == "signed" for pk in pending.values_list("pk", flat=True)
    )
