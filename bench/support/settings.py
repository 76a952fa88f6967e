"""Settings for benchmark servers: the real settings plus a bare endpoint to compare against."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.support.urls"

# The emails decisions send are not what the benchmarks measure (and would fill the console).
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
