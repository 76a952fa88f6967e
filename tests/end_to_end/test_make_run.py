"""`make run` as a new user runs it: web, worker and beat start, /readyz is ready, the announcement
names the database and broker once a worker answers, and one Ctrl-C stops every process."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import psycopg
import pytest

from config.env import BASE_DIR
from tests.services import TEST_DATABASE_URL, child_environment

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_run_env(tmp_path, port: int, **extra: str) -> dict:
    return child_environment(PORT=str(port), VAR_DIR=str(tmp_path / "var"), **extra)


def read_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


class MakeRun:
    """`make run` in its own process group, as a terminal would run it."""

    def __init__(self, env: dict, log_path):
        self.log = open(log_path, "w")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            ["make", "run"], cwd=BASE_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.log_path = log_path

    def wait_ready(self, port: int, timeout: float = 180) -> dict:
        deadline = time.monotonic() + timeout
        body: dict = {}
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log_path.read_text()[-3000:]
            try:
                status, body = read_json(f"http://127.0.0.1:{port}/readyz")
                # Ready, and said so to the person at the terminal (the announcement polls /readyz too).
                if status == 200 and "Vernissage is serving at" in self.log_path.read_text():
                    return body
            except (OSError, ValueError):
                pass
            time.sleep(0.5)
        raise AssertionError(f"not ready in {timeout} s: {body}\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> int:
        """Ctrl-C: SIGINT to the whole foreground process group."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            return self.process.wait(timeout=60)
        finally:
            self.log.close()

    def assert_all_gone(self):
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
        os.killpg(self.process.pid, signal.SIGKILL)
        raise AssertionError("processes of `make run` outlived Ctrl-C")


def run_until_ready(env: dict, port: int, log_path) -> dict:
    run = MakeRun(env, log_path)
    try:
        body = run.wait_ready(port)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=60) as response:
            assert response.status == 200
    finally:
        run.stop()
        run.assert_all_gone()
    log = log_path.read_text()
    announcement = log.index(f"Vernissage is serving at http://localhost:{port}/")
    for name in ("web.1", "worker.1", "beat.1"):
        assert f"{name} started" in log
    # The address comes last, below the banners: after gunicorn listens and the worker says it is ready.
    assert announcement > log.index("Listening at") and announcement > log.index(" ready.")
    return body


def test_make_run_on_embedded_defaults_starts_and_stops_twice(tmp_path):
    port = free_port()
    env = make_run_env(tmp_path, port)
    body = run_until_ready(env, port, tmp_path / "first.log")
    assert body == {"status": "ok", "checks": {"database": "ok", "cache": "ok", "broker": "ok"}}
    assert "Database: sqlite; broker: filesystem; a worker answered." in (tmp_path / "first.log").read_text()
    # A second run over the same var/ (migrated, seeded) is just as good.
    body = run_until_ready(env, port, tmp_path / "second.log")
    assert "already there" in (tmp_path / "second.log").read_text()
    assert body["status"] == "ok"


@pytest.mark.postgres
@pytest.mark.redis
def test_make_run_uses_postgres_and_redis_when_configured(tmp_path, redis_database):
    database = f"vernissage_make_run_{os.getpid()}"
    admin_url = TEST_DATABASE_URL.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}"')
        conn.execute(f'CREATE DATABASE "{database}"')
    try:
        port = free_port()
        env = make_run_env(
            tmp_path,
            port,
            DATABASE_URL=TEST_DATABASE_URL.rsplit("/", 1)[0] + f"/{database}",
            CELERY_BROKER_URL=redis_database,
            REDIS_URL=redis_database,
        )
        body = run_until_ready(env, port, tmp_path / "pg.log")
        assert body["status"] == "ok"
        assert "Database: postgresql; broker: redis; a worker answered." in (tmp_path / "pg.log").read_text()
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def test_make_run_on_a_busy_port_says_so(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            ["make", "run"], cwd=BASE_DIR, env=make_run_env(tmp_path, port), capture_output=True, text=True, timeout=120
        )
    assert result.returncode != 0
    assert f"Cannot serve on 127.0.0.1:{port}" in result.stderr
    assert f"make run PORT={port + 1}" in result.stderr
