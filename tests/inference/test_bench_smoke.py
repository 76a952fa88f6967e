"""bench/inference.py's real-size path, on the tiny architecture on the CPU (--smoke-real-size): the script
a GPU run depends on works end to end before a GPU is lent. It measures nothing here; it must run."""

import subprocess
import sys

import pytest

from config.env import BASE_DIR

pytestmark = [pytest.mark.slow]


def test_the_gpu_benchmark_runs_its_every_path_on_the_cpu():
    run = subprocess.run(
        [sys.executable, "bench/inference.py", "--smoke-real-size", "--repeats", "1"],
        cwd=BASE_DIR, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    for line in ("the FLOP floor", "turbo (4 steps, no guidance, compiled)", "bfloat16:", "tiled float32:",
                 "image to video (4 steps, no guidance)"):  # fmt: skip
        assert line in run.stdout, run.stdout
