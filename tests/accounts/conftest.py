from dataclasses import dataclass

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from rest_framework.test import APIClient

from accounts.models import Cohort, Membership, User
from accounts.services import token_create
from tests.factories import CohortFactory, MembershipFactory, UserFactory, sign_in


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


def with_totp(user: User) -> pyotp.TOTP:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return pyotp.TOTP(secret)


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


def api_client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=None)
        sign_in(client, user)
    return client


def token_client(user: User, scopes=("generations:read",), **headers) -> tuple[APIClient, str]:
    _, plaintext = token_create(user=user, name="test", scopes=list(scopes), second_factor=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}", **headers)
    return client, plaintext


def sent_mail() -> list:
    """What a worker sends from the outbox now (accounts.services.email), then Django's test outbox."""
    from django.core import mail

    from accounts.services import emails_send_due

    emails_send_due()
    return mail.outbox
