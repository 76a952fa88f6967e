"""Every environment variable Vernissage reads, parsed in one place.

A malformed value stops start-up with ``ImproperlyConfigured`` naming the variable,
so a typo in production never turns into a silently different configuration.
Each variable is documented in .env.example and docs/configuration.md.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from environs import Env, EnvError

BASE_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Config:
    debug: bool
    secret_key: str
    allowed_hosts: list[str]
    csrf_trusted_origins: list[str]
    var_dir: Path
    database: dict
    celery_broker_url: str
    redis_url: str | None
    email_url: str | None
    default_from_email: str
    media_root: Path
    static_root: Path
    c2pa_dir: Path
    secure_ssl_redirect: bool
    secure_hsts_seconds: int
    session_cookie_secure: bool
    trusted_proxies: list[str]
    log_level: str
    log_format: str
    demo_password: str
    api_rate_per_token: int
    private_storage: dict
    metrics_token: str
    generation_lease_seconds: int
    generation_shutdown_grace_seconds: int
    api_rate_per_user: int
    sqlite_busy_timeout_ms: int
    site_url: str
    webhooks_allow_loopback: bool


def _local_secret_key(var_dir: Path) -> str:
    """A random key kept in VAR_DIR, so a single-machine install needs no set-up.

    Deployments with several hosts set SECRET_KEY instead (docs/deploy.md).
    """
    path = var_dir / "secret_key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        try:
            with open(path, "x") as fh:  # "x": two processes starting at once keep one key
                fh.write(secrets.token_urlsafe(50))
            path.chmod(0o600)
        except FileExistsError:
            pass
    return path.read_text().strip()


def read_config() -> Config:
    """Parse ``os.environ`` into a Config.

    Raises ImproperlyConfigured naming the first bad variable.
    """
    env = Env(eager=True, expand_vars=False)
    # An optional .env file beside manage.py; variables already in the environment win.
    env_file = os.environ.get("VERNISSAGE_ENV_FILE", str(BASE_DIR / ".env"))
    if env_file and Path(env_file).is_file():
        env.read_env(env_file, recurse=False, override=False)
    try:
        return _read(env)
    except EnvError as exc:
        raise ImproperlyConfigured(f"Invalid configuration: {exc}") from exc


def _read(env: Env) -> Config:
    debug = env.bool("DEBUG", False)
    var_dir = Path(env.path("VAR_DIR", str(BASE_DIR / "var"))).resolve()

    secret_key = env.str("SECRET_KEY", "")
    if not secret_key:
        secret_key = _local_secret_key(var_dir)
    elif len(secret_key) < 50:
        raise ImproperlyConfigured(
            "SECRET_KEY must be at least 50 characters long "
            "(make one with: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )

    database_url = env.str("DATABASE_URL", "")
    sqlite_busy_timeout_ms = env.int("SQLITE_BUSY_TIMEOUT_MS", 5000)
    database = _database(env, database_url, var_dir, sqlite_busy_timeout_ms)

    broker = env.str("CELERY_BROKER_URL", "filesystem://")
    if "://" not in broker:
        raise ImproperlyConfigured(
            f"CELERY_BROKER_URL {broker!r} is not a URL (expected redis://host:port/db or filesystem://)."
        )
    redis_url = env.str("REDIS_URL", "") or None
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"REDIS_URL {redis_url!r} must start with redis://, rediss:// or unix://.")

    trusted_proxies = env.list("TRUSTED_PROXIES", [])
    for entry in trusted_proxies:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError as exc:
            raise ImproperlyConfigured(f"TRUSTED_PROXIES entry {entry!r} is not an IP address or CIDR range.") from exc

    log_level = env.str("LOG_LEVEL", "INFO").upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ImproperlyConfigured(f"LOG_LEVEL {log_level!r} is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL.")

    log_format = env.str("LOG_FORMAT", "plain").lower()
    if log_format not in {"plain", "json"}:
        raise ImproperlyConfigured(f"LOG_FORMAT {log_format!r} is not plain or json.")

    hsts = env.int("SECURE_HSTS_SECONDS", 0)
    if hsts < 0:
        raise ImproperlyConfigured("SECURE_HSTS_SECONDS must be zero or positive.")

    email_url = env.str("EMAIL_URL", "") or None
    if email_url and not email_url.startswith(("smtp://", "smtp+tls://", "smtp+ssl://", "console://")):
        raise ImproperlyConfigured(
            f"EMAIL_URL {email_url!r} must start with smtp://, smtp+tls://, smtp+ssl:// or console://."
        )

    site_url = env.str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
    if not site_url.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"SITE_URL {site_url!r} must start with http:// or https://.")

    return Config(
        debug=debug,
        secret_key=secret_key,
        allowed_hosts=env.list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"]),
        csrf_trusted_origins=env.list("CSRF_TRUSTED_ORIGINS", []),
        var_dir=var_dir,
        database=database,
        celery_broker_url=broker,
        redis_url=redis_url,
        email_url=email_url,
        default_from_email=env.str("DEFAULT_FROM_EMAIL", "Vernissage <noreply@localhost>"),
        media_root=Path(env.path("MEDIA_ROOT", str(var_dir / "media"))).resolve(),
        static_root=Path(env.path("STATIC_ROOT", str(var_dir / "static"))).resolve(),
        c2pa_dir=Path(env.path("C2PA_DIR", str(var_dir / "c2pa"))).resolve(),
        secure_ssl_redirect=env.bool("SECURE_SSL_REDIRECT", False),
        secure_hsts_seconds=hsts,
        session_cookie_secure=env.bool("SECURE_COOKIES", False),
        trusted_proxies=trusted_proxies,
        log_level=log_level,
        log_format=log_format,
        demo_password=env.str("DEMO_PASSWORD", "vernissage-demo"),
        private_storage=_private_storage(env, var_dir),
        metrics_token=env.str("METRICS_TOKEN", ""),
        generation_lease_seconds=_positive(env, "GENERATION_LEASE_SECONDS", 30),
        generation_shutdown_grace_seconds=_at_least_zero(env, "GENERATION_SHUTDOWN_GRACE_SECONDS", 25),
        api_rate_per_token=_positive(env, "API_RATE_PER_TOKEN_PER_MINUTE", 30),
        api_rate_per_user=_positive(env, "API_RATE_PER_USER_PER_MINUTE", 60),
        sqlite_busy_timeout_ms=sqlite_busy_timeout_ms,
        site_url=site_url,
        webhooks_allow_loopback=env.bool("WEBHOOKS_ALLOW_LOOPBACK", False),
    )


def _private_storage(env: Env, var_dir: Path) -> dict:
    """Local files under MEDIA_ROOT/private, or an S3-compatible bucket when MEDIA_S3_BUCKET is set."""
    bucket = env.str("MEDIA_S3_BUCKET", "")
    if not bucket:
        root = Path(env.path("MEDIA_ROOT", str(var_dir / "media"))).resolve() / "private"
        return {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}}
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": env.str("MEDIA_S3_ENDPOINT_URL", "") or None,
            "region_name": env.str("MEDIA_S3_REGION", "") or None,
            "access_key": env.str("MEDIA_S3_ACCESS_KEY_ID", "") or None,
            "secret_key": env.str("MEDIA_S3_SECRET_ACCESS_KEY", "") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }


def _at_least_zero(env: Env, name: str, default: int) -> int:
    value = env.int(name, default)
    if value < 0:
        raise ImproperlyConfigured(f"{name} must be a whole number of seconds, 0 or more.")
    return value


def _positive(env: Env, name: str, default: int) -> int:
    value = env.int(name, default)
    if value < 1:
        raise ImproperlyConfigured(f"{name} must be a positive whole number.")
    return value


def _database(env: Env, url: str, var_dir: Path, busy_timeout_ms: int) -> dict:
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(var_dir / "vernissage.sqlite3"),
            "OPTIONS": {
                # WAL lets the web server read while the worker writes; the busy
                # timeout makes a writer wait for the lock instead of failing at once.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "timeout": busy_timeout_ms / 1000,
                "transaction_mode": "IMMEDIATE",
            },
        }
    if not url.startswith(("postgres://", "postgresql://")):
        raise ImproperlyConfigured(
            f"DATABASE_URL must be a postgres:// URL (got scheme {url.split(':', 1)[0]!r}); "
            "leave it unset for the embedded SQLite database."
        )
    config = env.dj_db_url(
        "DATABASE_URL",
        conn_max_age=env.int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
    if not config.get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL names no database (expected postgres://user:pass@host:5432/name).")
    return config
