"""PostgreSQL and Redis for benchmarks: a database of their own, and the environment that points at it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
ADMIN_URL = os.environ.get("BENCH_ADMIN_DATABASE_URL", "postgresql://vernissage:vernissage@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")


def fresh_database(name: str) -> str:
    """Drop and create ``name``; returns its URL. Exits with a message when PostgreSQL is not reachable."""
    try:
        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        sys.exit(f"This benchmark needs PostgreSQL ({ADMIN_URL}): {exc}")
    return ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgres://", 1) + f"/{name}"


def own_redis_database() -> str:
    """An empty Redis database claimed for this benchmark run and emptied when it ends; never one that holds
    anything else (tests/services.py: the tests' own rule)."""
    import atexit

    import redis

    from tests.services import redis_claim, redis_reset

    owner = f"bench-{os.getpid()}"
    try:
        url = redis_claim(REDIS_URL, owner=owner, preferred=int(REDIS_URL.rsplit("/", 1)[1]))
    except redis.RedisError as exc:
        sys.exit(f"This benchmark needs Redis ({REDIS_URL}): {exc}")
    if url is None:
        sys.exit(f"This benchmark needs an empty Redis database at {REDIS_URL.rsplit('/', 1)[0]}.")
    atexit.register(redis_reset, url, owner=owner, release=True)
    return url


def environment(database_url: str, **extra: str) -> dict:
    redis_url = own_redis_database()
    var_dir = tempfile.mkdtemp(prefix="vernissage-bench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.support.settings", DATABASE_URL=database_url, CELERY_BROKER_URL=redis_url,
        REDIS_URL=redis_url, VAR_DIR=var_dir, VERNISSAGE_ENV_FILE="", LOG_LEVEL="WARNING",
        API_RATE_PER_TOKEN_PER_MINUTE="10000000", API_RATE_PER_USER_PER_MINUTE="10000000", **extra,
    )  # fmt: skip
    return env


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def setup_django(env: dict) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
