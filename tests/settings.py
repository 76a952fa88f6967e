"""Settings for the test suite: the real settings, pointed at test services.

The suite runs on PostgreSQL and Redis when they answer (see tests/services.py)
and on the embedded defaults otherwise.
"""

import os
import tempfile
import uuid

from tests.services import TEST_DATABASE_URL, TEST_REDIS_URL, postgres_problem, redis_claim, redis_problem

os.environ["VERNISSAGE_ENV_FILE"] = ""  # a developer's .env must not change the tests
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="vernissage-test-"))
if "DATABASE_URL" not in os.environ and postgres_problem() is None:
    os.environ["DATABASE_URL"] = TEST_DATABASE_URL
if redis_problem() is None:
    # Each pytest-xdist worker claims an empty Redis database of its own (15, 14, ... by preference): the
    # counters every test empties and the broker its Celery worker consumes are shared with no test running
    # beside it, and nothing the suite did not create is ever flushed (tests/services.py).
    # (The controller process sets these before it starts the workers, which inherit them: ours replace them.)
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    owner = f"pytest-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    redis_url = redis_claim(
        TEST_REDIS_URL, owner=owner, preferred=max(1, int(TEST_REDIS_URL.rsplit("/", 1)[1]) - worker)
    )
    if redis_url is None:
        raise RuntimeError(f"No empty Redis database at {TEST_REDIS_URL.rsplit('/', 1)[0]} for the tests to use.")
    os.environ["REDIS_URL"] = os.environ["CELERY_BROKER_URL"] = redis_url
    os.environ["VERNISSAGE_TEST_REDIS_OWNER"] = owner
else:
    # No test Redis: the embedded defaults, never a Redis the developer's own environment happens to name.
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "VERNISSAGE_TEST_REDIS_OWNER"):
        os.environ.pop(name, None)
# Playwright's sync API runs an event loop in the test thread; the ORM calls the
# tests make around it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; real hashing is not under test
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  (WhiteNoise warns when it is missing)

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, as in production (WAL, a busy timeout): the in-memory database Django would make for the
    # tests shares one cache between the live server's, the worker's and the test's threads, and fails
    # "database table is locked" at once where a file waits for the lock.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405
