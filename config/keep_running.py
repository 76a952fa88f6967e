"""Run a command, and start it again when it dies: `make run`'s worker and beat (Procfile).

honcho stops every process when one of them exits, so one crashed worker would take the web server down
too. Under this, a worker that dies is started again after a pause that grows while it keeps dying
(1 s, doubling to 30 s; back to 1 s once it has run a minute). Nothing it held is lost: a job's row is
the truth and the beat's sweeps send again what a lost message left behind (docs/generations.md).
A stop asked for (SIGTERM or SIGINT, as honcho sends on Ctrl-C) stops it for good.
In production the orchestrator restarts processes (Kubernetes, compose's restart policy).

    python -m config.keep_running COMMAND [ARGUMENT ...]
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

FIRST_PAUSE_S, LONGEST_PAUSE_S, HEALTHY_AFTER_S = 1.0, 30.0, 60.0


def keep_running(command: list[str]) -> int:
    stopping = False
    child: subprocess.Popen | None = None

    def stop(signum, frame):
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    pause = FIRST_PAUSE_S
    while True:
        started = time.monotonic()
        child = subprocess.Popen(command)
        code = child.wait()
        if stopping:
            return code
        if time.monotonic() - started > HEALTHY_AFTER_S:
            pause = FIRST_PAUSE_S
        print(f"keep_running: {command[0]} exited ({code}); starting it again in {pause:g} s", flush=True)
        deadline = time.monotonic() + pause
        while not stopping and time.monotonic() < deadline:
            time.sleep(0.1)
        if stopping:
            return code
        pause = min(pause * 2, LONGEST_PAUSE_S)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(keep_running(sys.argv[1:]))
