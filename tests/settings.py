"""Settings for the test suite: the real settings, pointed at test services.

The suite runs on PostgreSQL and Redis when they answer (see tests/services.py)
and on the embedded defaults otherwise.
"""

import os
import tempfile

from tests.services import TEST_DATABASE_URL, TEST_REDIS_URL, postgres_problem, redis_problem

os.environ["VERNISSAGE_ENV_FILE"] = ""  # a developer's .env must not change the tests
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="vernissage-test-"))
if "DATABASE_URL" not in os.environ and postgres_problem() is None:
    os.environ["DATABASE_URL"] = TEST_DATABASE_URL
if redis_problem() is None:
    os.environ.setdefault("REDIS_URL", TEST_REDIS_URL)
    os.environ.setdefault("CELERY_BROKER_URL", TEST_REDIS_URL)
# Playwright's sync API runs an event loop in the test thread; the ORM calls the
# tests make around it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; real hashing is not under test
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  (WhiteNoise warns when it is missing)
