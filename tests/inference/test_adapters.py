"""The turbo preset: a LoRA adapter built from code, loaded and fused once per warm pipeline, few steps with
guidance off; adapters come from the presets file too. Nothing is downloaded."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from inference import GenerationRequest, InferenceError, ModelFolderError, cache_info, generate
from inference.encode import read_mp4
from inference.presets import Adapter, load_presets_file, presets_from_env, turbo_preset


@pytest.fixture(scope="module")
def turbo(tmp_path_factory, tiny_presets):
    return turbo_preset(tiny_presets["tiny"].path, tmp_path_factory.mktemp("adapters") / "tiny-style")


def clip(id: str, preset: str, **overrides) -> GenerationRequest:
    values = dict(prompt="a heron in the reeds", width=64, height=64, num_frames=9, fps=8, seed=5, preset=preset)
    return GenerationRequest(id=id, **{**values, **overrides})


def test_the_turbo_preset_renders_in_four_steps_without_guidance_through_its_adapter(tmp_path, turbo):
    plain = replace(turbo, name="plain", adapters=())
    presets = {"turbo": turbo, "plain": plain}
    styled, unstyled = generate([clip("s", "turbo"), clip("u", "plain")], output_dir=tmp_path, presets=presets)
    assert styled.metadata["steps"] == 4 and styled.metadata["guidance"] == 0.0
    assert styled.metadata["adapters"] == [{"name": "tiny-style", "weight": 0.8}]
    assert (turbo.path / "model_index.json").exists() and turbo.adapters[0].path.exists()  # built from code
    frames_styled, _ = read_mp4(styled.video_path)
    frames_plain, _ = read_mp4(unstyled.video_path)
    assert np.abs(frames_styled.astype(int) - frames_plain).mean() > 0.1  # the adapter changes the clip


def test_the_adapter_is_loaded_once_and_reused_warm(tmp_path, turbo):
    first = generate([clip("a", "turbo")], output_dir=tmp_path, presets={"turbo": turbo})
    loads = cache_info()["loads"]
    second = generate([clip("b", "turbo", seed=6)], output_dir=tmp_path, presets={"turbo": turbo})
    assert cache_info()["loads"] == loads and second[0].timings.load_s == 0 and first[0].timings.load_s > 0


def test_a_missing_adapter_is_a_clear_error(tmp_path, tiny_presets):
    broken = replace(
        tiny_presets["tiny"],
        name="broken",
        build_tiny_if_missing=False,
        adapters=(Adapter(name="gone", path=tmp_path / "nowhere"),),
    )
    with pytest.raises(ModelFolderError, match="adapter 'gone'"):
        generate([clip("x", "broken")], output_dir=tmp_path, presets={"broken": broken})


def test_adapters_come_from_the_presets_file(tmp_path, tiny_presets):
    listed = tmp_path / "presets.json"
    listed.write_text(json.dumps([{
        "name": "styled", "path": str(tiny_presets["tiny"].path), "family": "wan", "default_steps": 6,
        "default_guidance": 0.0, "adapters": [{"name": "mine", "path": "/models/mine.safetensors", "weight": 0.5}],
    }]))  # fmt: skip
    (preset,) = load_presets_file(listed)
    assert preset.adapters == (Adapter(name="mine", path=Path("/models/mine.safetensors"), weight=0.5),)
    listed.write_text(json.dumps([{"name": "bad", "path": "/m", "family": "wan", "adapters": [{"weight": 1}]}]))
    with pytest.raises(InferenceError, match="adapters must be a list"):
        load_presets_file(listed)


def test_the_environment_always_offers_turbo_beside_tiny(tmp_path):
    presets = presets_from_env({"VAR_DIR": str(tmp_path)})
    assert presets["turbo"].default_steps == 4 and presets["turbo"].max_steps == 8
    assert presets["turbo"].adapters[0].path == tmp_path / "models" / "tiny-wan-style-lora"
