"""Which real services the test suite can reach.

Tests that need PostgreSQL or Redis are marked; they run when the service
answers and are skipped with a reason otherwise, unless
VERNISSAGE_REQUIRE_SERVICES=1 (set by .ci/run) turns a missing service into a
failure.
"""

import functools
import os

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgres://vernissage:vernissage@127.0.0.1:5432/test")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRE_SERVICES = os.environ.get("VERNISSAGE_REQUIRE_SERVICES", "") == "1"


@functools.cache
def postgres_problem() -> str | None:
    """None when PostgreSQL answers at TEST_DATABASE_URL, else why not."""
    import psycopg

    try:
        psycopg.connect(TEST_DATABASE_URL.replace("postgres://", "postgresql://", 1), connect_timeout=2).close()
    except Exception as exc:  # any failure means "not reachable"; the reason is reported
        return f"PostgreSQL unreachable at {TEST_DATABASE_URL}: {exc}".strip()
    return None


@functools.cache
def redis_problem() -> str | None:
    """None when Redis answers at TEST_REDIS_URL, else why not."""
    import redis

    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # any failure means "not reachable"; the reason is reported
        return f"Redis unreachable at {TEST_REDIS_URL}: {exc}"
    return None


# Variables a child process (make run, manage.py) must not inherit from the test run.
TEST_RUN_VARIABLES = (
    "DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)  # fmt: skip


def child_environment(**extra: str) -> dict:
    """os.environ without the test run's own settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in TEST_RUN_VARIABLES and not k.startswith("PYTEST")}
    env.update(VERNISSAGE_ENV_FILE="", **extra)
    return env
