"""The short soak (bench/soak.py): 100 tiny jobs through two real workers, beat, PostgreSQL and Redis
of its own, while workers are SIGKILLed five times and Redis restarts once. Nothing may be lost or
booked twice, and every credit account must balance against its jobs. How long the recovery took is
the benchmark's to report, not this test's to assert."""

import re
import subprocess
import sys

import pytest

from bench.support.private_services import missing_programs
from config.env import BASE_DIR
from tests.services import REQUIRE_SERVICES, child_environment

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

LAST_LINE = re.compile(
    r"soak: (?P<jobs>\d+) jobs, lost (?P<lost>\d+), double charges (?P<double>\d+), "
    r"balances exact (?P<exact>\d+)/(?P<accounts>\d+), longest wait after a fault (?P<wait>\S+) s"
)


def test_a_hundred_jobs_through_killed_workers_and_a_restarted_redis_lose_nothing(tmp_path):
    if missing := missing_programs():
        if REQUIRE_SERVICES:
            pytest.fail(f"the soak runs its own PostgreSQL and Redis; missing {missing}")
        pytest.skip(f"the soak runs its own PostgreSQL and Redis; missing {missing}")
    result = subprocess.run(
        [sys.executable, "bench/soak.py", "--jobs", "100", "--kills", "5", "--redis-restarts", "1",
         "--postgres-restarts", "0", "--baseline-jobs", "0", "--var-dir", str(tmp_path)],
        cwd=BASE_DIR, env=child_environment(), capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    lines = result.stdout.strip().splitlines()
    assert lines, result.stderr[-3000:]
    last = LAST_LINE.fullmatch(lines[-1])
    assert last, result.stdout[-3000:] + result.stderr[-3000:]
    assert (last["jobs"], last["lost"], last["double"]) == ("100", "0", "0"), result.stdout
    assert last["exact"] == last["accounts"] == "20", result.stdout
    assert "after 5 kill fault(s)" in result.stdout and "after 1 redis fault(s)" in result.stdout
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
