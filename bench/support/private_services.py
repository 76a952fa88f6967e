"""A PostgreSQL cluster and a Redis server of a benchmark's own, on loopback, that it may restart.

The soak restarts them as faults; the shared servers other runs (and a parallel test suite) use must
not go down with them. Both live in a temporary folder and are gone when the context ends.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import redis

from bench.support.services import free_port


def postgres_bin(name: str) -> str | None:
    """The path of a PostgreSQL server program (initdb, pg_ctl), or None when the server is not installed."""
    if found := shutil.which(name):
        return found
    installed = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda path: int(path.split("/")[4]))
    return installed[-1] if installed else None


def missing_programs() -> list[str]:
    """What this machine lacks to run private services (empty when nothing)."""
    missing = [name for name in ("initdb", "pg_ctl") if postgres_bin(name) is None]
    return missing + ([] if shutil.which("redis-server") else ["redis-server"])


class PrivatePostgres:
    """``initdb`` into a temporary folder and ``pg_ctl`` on a free port (as the postgres user when run as root,
    since PostgreSQL refuses to run as root)."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="vernissage-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.url = f"postgres://vernissage@127.0.0.1:{self.port}/soak"

    def _run(self, *args: str) -> None:
        command = list(args)
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self) -> PrivatePostgres:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self._run(postgres_bin("initdb"), "-D", str(self.data), "-U", "vernissage", "--auth=trust", "-E", "UTF8")
        self._pg_ctl("start")
        with psycopg.connect(f"postgresql://vernissage@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE soak")
        return self

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(postgres_bin("pg_ctl"), "-D", str(self.data), "-o", options, "-w", "-l",
                  str(self.folder / "log"), action, *extra)  # fmt: skip

    def restart(self) -> None:
        """A restart as an operator's or a failover's: connections are cut, the server is back when this returns."""
        self._pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        try:
            self._pg_ctl("stop", "-m", "immediate")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> PrivatePostgres:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class PrivateRedis:
    """``redis-server`` on a free port with nothing persisted: a restart loses every message, as a crashed
    broker without persistence does."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> PrivateRedis:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        for _ in range(100):
            try:
                client.ping()
                return self
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)
            self.process = None

    def restart(self, *, down_s: float = 1.0) -> None:
        self.stop()
        time.sleep(down_s)
        self.start()

    def __enter__(self) -> PrivateRedis:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
