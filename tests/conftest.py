import os

import pytest

from tests.services import REQUIRE_SERVICES, postgres_problem, redis_problem, redis_reset
from tests.support.dispatch import wake_ups_held

# Fixtures every directory may use: the people of a program and a feedback board with them.
pytest_plugins = ["tests.support.people", "tests.support.board"]

SERVICE_PROBLEMS = {"postgres": postgres_problem, "redis": redis_problem}


def pytest_configure(config):
    from tests.support.openapi import check_every_api_response

    check_every_api_response()  # every API response of every test must match the served schema
    if REQUIRE_SERVICES:
        problems = [problem() for problem in SERVICE_PROBLEMS.values() if problem()]
        if problems:
            pytest.exit("VERNISSAGE_REQUIRE_SERVICES=1 but " + "; ".join(problems), returncode=3)


def pytest_runtest_setup(item):
    for marker, problem in SERVICE_PROBLEMS.items():
        if item.get_closest_marker(marker) and problem():
            pytest.skip(problem())


def pytest_report_header(config):
    from django.conf import settings

    return [
        f"database: {settings.DATABASES['default']['ENGINE']}",
        f"broker: {settings.CELERY_BROKER_URL}",
    ]


@pytest.fixture
def demo_password():
    return "vernissage-demo"


@pytest.fixture(scope="session", autouse=True)
def worker_connections_end_with_the_session(django_db_setup, django_db_blocker):
    """Workers keep their database connection between tasks, as deployed ones do (config/celery.py). The
    test workers run in threads that end with the session while their connections would not, and the
    test database could not be dropped: end those connections as a worker process's exit would."""
    yield
    from django.db import connection

    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker (celery.contrib.testing) consuming every queue (default, gpu, signing) in a thread.

    It uses the suite's broker: Redis when reachable. Tests that need Redis
    specifically carry the ``redis`` marker.
    """
    from celery.contrib.testing.worker import start_worker
    from django.conf import settings

    from config.celery import app

    with start_worker(
        app,
        pool="solo",
        concurrency=1,
        queues=list(settings.WORKER_QUEUES),
        perform_ping_check=False,
        shutdown_timeout=10,
    ) as worker:
        yield worker


@pytest.fixture(autouse=True)
def fresh_shared_counters(settings):
    """Rate-limit and leak counters live in Redis and outlast a test's database rollback: start each test
    clean, in the database this run claimed (tests/services.py), and only there."""
    if settings.REDIS_URL:
        assert redis_reset(settings.REDIS_URL, owner=os.environ.get("VERNISSAGE_TEST_REDIS_OWNER", "")), (
            f"{settings.REDIS_URL} is not this test run's Redis database: nothing was flushed"
        )
    yield


@pytest.fixture
def redis_database():
    """A Redis database of this test's own for the processes it starts (make run, the image), claimed empty
    and given back empty: never one that holds anything else."""
    import uuid

    from tests.services import TEST_REDIS_URL, redis_claim

    if redis_problem():
        pytest.skip(redis_problem())
    owner = f"pytest-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    url = redis_claim(TEST_REDIS_URL, owner=owner, preferred=13)
    if url is None:
        pytest.fail(f"No empty Redis database at {TEST_REDIS_URL} for the processes of this test.")
    yield url
    redis_reset(url, owner=owner, release=True)


def pytest_unconfigure(config):
    """Give the claimed Redis database back empty (only when it is still this run's)."""
    owner, url = os.environ.get("VERNISSAGE_TEST_REDIS_OWNER"), os.environ.get("REDIS_URL")
    if owner and url and redis_problem() is None:
        redis_reset(url, owner=owner, release=True)


@pytest.fixture
def wake_ups():
    """No wake-up messages to the GPU workers (the test drives its jobs itself): the counts that would
    have been sent, in order (tests.support.dispatch)."""
    with wake_ups_held() as sent:
        yield sent
