"""Settings for benchmark servers: the real settings plus a bare endpoint to compare against."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.support.urls"
