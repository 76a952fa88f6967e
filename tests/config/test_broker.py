"""The embedded broker under load from several processes at once: every message published is consumed once,
whole, and no process crashes (kombu's own file-system transport let a consumer read a half-written file)."""

import json
import multiprocessing
import time
from pathlib import Path

import pytest
from kombu import Connection

from config.broker import AtomicFilesystemTransport

pytestmark = [pytest.mark.slow]

PRODUCERS, CONSUMERS, EACH = 3, 3, 1000


def _connection(folder: Path) -> Connection:
    options = {
        "data_folder_in": str(folder / "out"), "data_folder_out": str(folder / "out"),
        "processed_folder": str(folder / "processed"), "control_folder": str(folder / "control"),
        "store_processed": False, "polling_interval": 0.01,
    }  # fmt: skip
    return Connection("filesystem://localhost/", transport=AtomicFilesystemTransport, transport_options=options)


def produce(folder: str, producer: int) -> None:
    with _connection(Path(folder)) as connection:
        queue = connection.SimpleQueue("stress")
        for n in range(EACH):
            # Bodies of different sizes, some large enough to take more than one write.
            queue.put({"id": f"{producer}-{n}", "pad": "x" * (n % 7 * 20000)})
        queue.close()


def consume(folder: str, consumer: int) -> None:
    folder_path = Path(folder)
    seen = []
    with _connection(folder_path) as connection:
        queue = connection.SimpleQueue("stress")
        quiet_since = None
        while True:
            try:
                message = queue.get(timeout=0.5)
            except queue.Empty:
                if (folder_path / "published").exists():
                    quiet_since = quiet_since or time.monotonic()
                    if time.monotonic() - quiet_since > 3:
                        break
                continue
            quiet_since = None
            assert len(message.payload["pad"]) % 20000 == 0  # whole
            seen.append(message.payload["id"])
            message.ack()
        queue.close()
    (folder_path / f"consumed-{consumer}.json").write_text(json.dumps(seen))


def test_several_processes_publish_and_consume_thousands_of_messages_none_lost_none_crashed(tmp_path):
    for name in ("out", "processed", "control"):
        (tmp_path / name).mkdir()
    spawn = multiprocessing.get_context("spawn")
    consumers = [spawn.Process(target=consume, args=(str(tmp_path), n)) for n in range(CONSUMERS)]
    producers = [spawn.Process(target=produce, args=(str(tmp_path), n)) for n in range(PRODUCERS)]
    for process in consumers + producers:
        process.start()
    for process in producers:
        process.join(timeout=240)
    (tmp_path / "published").touch()
    for process in consumers:
        process.join(timeout=240)
    assert [process.exitcode for process in producers + consumers] == [0] * (PRODUCERS + CONSUMERS)  # no crash

    consumed = [item for n in range(CONSUMERS) for item in json.loads((tmp_path / f"consumed-{n}.json").read_text())]
    expected = {f"{p}-{n}" for p in range(PRODUCERS) for n in range(EACH)}
    assert len(consumed) == len(expected) and set(consumed) == expected  # none lost, none twice
    assert not list((tmp_path / "out").iterdir())  # no partial file left behind


def test_a_process_that_dies_is_started_again_and_a_stop_stops_it(tmp_path):
    """make run's worker and beat run under config.keep_running: a crash no longer ends the whole stack."""
    import os
    import signal
    import subprocess
    import sys

    starts = tmp_path / "starts"
    # Dies at once the first two times, then stays up until stopped.
    script = (
        "import pathlib, sys, time; p = pathlib.Path(sys.argv[1]); n = len(p.read_text()) if p.exists() else 0;"
        " p.write_text('x' * (n + 1)); sys.exit(3) if n < 2 else time.sleep(60)"
    )
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "config.keep_running", sys.executable, "-c", script, str(starts)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (starts.exists() and len(starts.read_text()) == 3):
        time.sleep(0.1)
    assert starts.read_text() == "xxx"  # started again twice after dying
    os.kill(supervisor.pid, signal.SIGTERM)
    supervisor.wait(timeout=20)  # the stop asked for ends it, child and all
    output = supervisor.stdout.read()
    assert output.count("starting it again") == 2
    time.sleep(1.5)
    assert starts.read_text() == "xxx"  # stopped for good: not started a fourth time
