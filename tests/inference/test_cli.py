"""python -m inference: build-tiny and generate, as an operator runs them."""

import json
import os
import subprocess
import sys

import diffusers
import pytest

from config.env import BASE_DIR
from inference.encode import read_mp4

pytestmark = pytest.mark.slow


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "inference", *args],
        cwd=BASE_DIR,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize(("family", "pipeline"), [("wan", "WanPipeline"), ("ltx", "LTXPipeline")])
def test_build_tiny_writes_a_loadable_diffusers_folder(tmp_path, family, pipeline):
    folder = tmp_path / f"tiny-{family}"
    result = run("build-tiny", str(folder), "--family", family)
    assert result.returncode == 0, result.stderr
    assert "random weights" in result.stdout
    index = json.loads((folder / "model_index.json").read_text())
    assert index["_class_name"] == pipeline
    loaded = getattr(diffusers, pipeline).from_pretrained(folder, local_files_only=True)
    assert loaded.transformer is not None and loaded.vae is not None and loaded.tokenizer is not None
    assert run("build-tiny", str(folder)).stdout.strip().endswith("(use --force to rebuild it).")


def test_generate_writes_the_clip_with_a_progress_bar(tmp_path):
    out = tmp_path / "clips" / "hello.mp4"
    result = run(
        "generate",
        "--preset",
        "tiny",
        "--prompt",
        "a lighthouse at dusk",
        "--width",
        "128",
        "--height",
        "128",
        "--frames",
        "9",
        "--fps",
        "8",
        "--steps",
        "3",
        "--seed",
        "4",
        "--out",
        str(out),
        env={"VAR_DIR": str(tmp_path / "var")},
    )
    assert result.returncode == 0, result.stderr
    assert "denoising" in result.stderr and "3/3" in result.stderr  # tqdm writes to stderr
    frames, meta = read_mp4(out)
    assert frames.shape == (9, 128, 128, 3)
    assert meta["comment"]["seed"] == 4
    assert (out.parent / "hello.jpg").exists()


def test_generate_explains_a_bad_size(tmp_path):
    result = run(
        "generate",
        "--prompt",
        "x",
        "--width",
        "100",
        "--height",
        "100",
        "--out",
        str(tmp_path / "x.mp4"),
        env={"VAR_DIR": str(tmp_path / "var")},
    )
    assert result.returncode == 2
    assert "size: 100x100 is not offered by preset 'tiny'" in result.stderr
