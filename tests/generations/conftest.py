import pytest

from accounts.models import Membership, User
from generations.models import QuotaPolicy
from tests.support.clients import with_totp
from tests.support.factories import CohortFactory, MembershipFactory, UserFactory


@pytest.fixture(scope="session", autouse=True)
def tiny_model(tmp_path_factory):
    """One tiny model for the session, where the inference presets look for it."""
    import os

    from inference import build_tiny

    path = tmp_path_factory.mktemp("models") / "tiny-wan"
    build_tiny(path)
    os.environ["INFERENCE_TINY_PATH"] = str(path)
    return path


@pytest.fixture
def cohort(db):
    cohort = CohortFactory(name="Studio cohort")
    QuotaPolicy.objects.create(cohort=cohort, credits_per_period=100, max_running_per_artist=1, max_queued_per_artist=5)
    return cohort


@pytest.fixture
def artist(cohort) -> User:
    return MembershipFactory(cohort=cohort, user__email="painter@example.org").user


@pytest.fixture
def make_artist(cohort):
    def make(email: str | None = None) -> User:
        kwargs = {"user__email": email} if email else {}
        return MembershipFactory(cohort=cohort, role=Membership.Role.ARTIST, **kwargs).user

    return make


@pytest.fixture
def admin(db) -> User:
    user = UserFactory(role=User.Role.ADMIN, email="boss@example.org")
    with_totp(user)
    return user
