"""config.env: every variable parsed in one place, bad values named in the error."""

import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import BASE_DIR, read_config

ALL_VARIABLES = [
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "TRUSTED_PROXIES",
    "LOG_LEVEL",
    "SECURE_HSTS_SECONDS",
    "ALLOWED_HOSTS",
    "SQLITE_BUSY_TIMEOUT_MS",
    "DATABASE_CONN_MAX_AGE",
]


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ALL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("VERNISSAGE_ENV_FILE", "")
    return monkeypatch


def test_embedded_defaults(clean_env, tmp_path):
    config = read_config()
    assert config.debug is False
    assert config.database["ENGINE"] == "django.db.backends.sqlite3"
    assert config.database["NAME"] == str(tmp_path / "vernissage.sqlite3")
    assert "journal_mode=WAL" in config.database["OPTIONS"]["init_command"]
    assert config.database["OPTIONS"]["timeout"] == 5
    assert config.celery_broker_url == "filesystem://"
    assert config.redis_url is None
    assert config.media_root == tmp_path / "media"


def test_generated_secret_key_is_kept_between_starts(clean_env, tmp_path):
    first = read_config().secret_key
    assert len(first) >= 50
    assert read_config().secret_key == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_postgres_url_with_persistent_connections(clean_env):
    clean_env.setenv("DATABASE_URL", "postgres://u:p@db.internal:5433/vern")
    database = read_config().database
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"]) == ("db.internal", 5433, "vern")
    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is True


def test_redis_services(clean_env):
    clean_env.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    clean_env.setenv("REDIS_URL", "redis://127.0.0.1:6379/1")
    config = read_config()
    assert config.celery_broker_url == "redis://127.0.0.1:6379/0"
    assert config.redis_url == "redis://127.0.0.1:6379/1"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://u:p@host/db"),
        ("DATABASE_URL", "postgres://u:p@host:notaport/db"),
        ("DATABASE_URL", "postgres://u:p@host:5432"),
        ("CELERY_BROKER_URL", "localhost:6379"),
        ("REDIS_URL", "http://localhost:6379"),
        ("EMAIL_URL", "smtpx://mail"),
        ("TRUSTED_PROXIES", "10.0.0.0/8,not-an-ip"),
        ("LOG_LEVEL", "LOUD"),
        ("SECURE_HSTS_SECONDS", "-1"),
        ("SECURE_HSTS_SECONDS", "a year"),
        ("SECRET_KEY", "short"),
        ("SQLITE_BUSY_TIMEOUT_MS", "soon"),
    ],
)
def test_malformed_value_names_the_variable(clean_env, name, value):
    clean_env.setenv(name, value)
    with pytest.raises(ImproperlyConfigured) as excinfo:
        read_config()
    assert name in str(excinfo.value)


def test_malformed_value_stops_manage_py(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "perhaps", "VAR_DIR": str(tmp_path), "VERNISSAGE_ENV_FILE": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DEBUG" in result.stderr
    assert "Invalid configuration" in result.stderr
