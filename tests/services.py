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


# --- A Redis database of the run's own --------------------------------------------------------------
# The suite never flushes or writes a Redis database it did not claim: it takes an empty one, marks it
# with OWNER_KEY, and flushes only a database that carries its own mark (or the mark of a test run that
# died: its ALIVE_KEY has expired). Whatever else lives on the same server is left alone.
OWNER_KEY = "vernissage-test:owner"
ALIVE_KEY = "vernissage-test:alive"
ALIVE_S = 3600  # refreshed by every test; a claim left this long by a run that died may be taken again


def _database_url(url: str, db: int) -> str:
    return url.rsplit("/", 1)[0] + f"/{db}"


def redis_claim(url: str, *, owner: str, preferred: int) -> str | None:
    """The URL of a Redis database now marked as ``owner``'s: ``preferred`` if it is empty (or already
    ``owner``'s), else the next such one from 15 down to 1; None when every database holds other data."""
    import redis

    for db in dict.fromkeys([preferred, *range(15, 0, -1)]):
        client = redis.Redis.from_url(_database_url(url, db), socket_connect_timeout=2)
        marked = client.get(OWNER_KEY)
        if marked is not None and marked.decode() != owner and client.exists(ALIVE_KEY) == 0:
            client.flushdb()  # a test run's database, left behind when that run died
            marked = None
        if marked is not None and marked.decode() == owner:
            return _database_url(url, db)
        if marked is None and client.dbsize() == 0 and client.set(OWNER_KEY, owner, nx=True):
            if client.dbsize() == 1:  # nothing else arrived between the check and the mark
                client.set(ALIVE_KEY, owner, ex=ALIVE_S)
                return _database_url(url, db)
            client.delete(OWNER_KEY)
    return None


def redis_reset(url: str, *, owner: str, release: bool = False) -> bool:
    """Empty the claimed database for the next test (or for good, with ``release``); refuses, returning
    False, when the database is not ``owner``'s."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    if (client.get(OWNER_KEY) or b"").decode() != owner:
        return False
    client.flushdb()
    if not release:
        client.set(OWNER_KEY, owner)
        client.set(ALIVE_KEY, owner, ex=ALIVE_S)
    return True
