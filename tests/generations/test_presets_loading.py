"""Presets are read once per process and checked at start-up: a bad presets file stops every process,
naming the file and the line."""

import json
import subprocess
import sys

from generations import pricing
from tests.services import child_environment


def test_presets_are_read_once_not_on_every_call(monkeypatch, tmp_path):
    presets_file = tmp_path / "presets.json"
    presets_file.write_text(json.dumps([{"name": "wide", "path": str(tmp_path), "family": "wan"}]))
    monkeypatch.setenv("INFERENCE_PRESETS_FILE", str(presets_file))
    reads = []
    real = pricing.presets_from_env
    monkeypatch.setattr(pricing, "presets_from_env", lambda environ: reads.append(1) or real(environ))
    pricing.presets_reload()
    for _ in range(300):  # about what rendering a hundred clips asked for
        assert "wide" in pricing.presets()
    assert len(reads) == 1
    presets_file.write_text(json.dumps([{"name": "wider", "path": str(tmp_path), "family": "wan"}]))
    assert "wide" in pricing.presets()  # an edited file counts from the next start (or a reload) only
    assert "wider" in pricing.presets_reload() and len(reads) == 2
    pricing.presets()["wider"] = None  # a caller's copy: the process's presets stay as read
    assert pricing.presets()["wider"] is not None


def test_a_bad_presets_file_stops_start_up_naming_the_line(tmp_path):
    presets_file = tmp_path / "presets.json"
    presets_file.write_text(
        '[\n  {"name": "good", "path": "/models/a", "family": "wan"},\n'
        '  {"name": "bad", "path": "/models/b", "family": "wan", "colour": "red"}\n]\n'
    )
    started = subprocess.run(
        [sys.executable, "manage.py", "check"], capture_output=True, text=True, timeout=120,
        env=child_environment(INFERENCE_PRESETS_FILE=str(presets_file), VAR_DIR=str(tmp_path / "var")),
    )  # fmt: skip
    assert started.returncode != 0
    assert f"INFERENCE_PRESETS_FILE {presets_file}, line 3: unknown preset fields ['colour']" in started.stderr
