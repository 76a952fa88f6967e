from dataclasses import dataclass

import pyotp
import pytest

from accounts.models import Cohort, Membership, User
from tests.support.clients import with_totp
from tests.support.factories import CohortFactory, MembershipFactory, UserFactory


@dataclass
class World:
    cohort: Cohort
    other_cohort: Cohort
    artist: User
    other_artist: User
    reviewer: User
    other_reviewer: User
    admin: User
    admin_totp: pyotp.TOTP


@pytest.fixture
def world(db) -> World:
    cohort, other = CohortFactory(name="Cohort A"), CohortFactory(name="Cohort B")
    artist = MembershipFactory(cohort=cohort, user__email="artist-a@example.org").user
    other_artist = MembershipFactory(cohort=other, user__email="artist-b@example.org").user
    reviewer = MembershipFactory(
        cohort=cohort,
        role=Membership.Role.REVIEWER,
        user__role=User.Role.REVIEWER,
        user__email="reviewer-a@example.org",
    ).user
    other_reviewer = MembershipFactory(
        cohort=other, role=Membership.Role.REVIEWER, user__role=User.Role.REVIEWER, user__email="reviewer-b@example.org"
    ).user
    admin = UserFactory(role=User.Role.ADMIN, email="admin@example.org")
    totp = with_totp(admin)
    with_totp(reviewer)
    with_totp(other_reviewer)
    return World(cohort, other, artist, other_artist, reviewer, other_reviewer, admin, totp)
