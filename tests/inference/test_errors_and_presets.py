"""Clear errors that name the fix, and presets from the environment."""

import json
import shutil
from dataclasses import replace

import pytest
import torch

from inference import (
    GenerationRequest,
    InferenceError,
    ModelFolderError,
    UnsupportedRequestError,
    generate,
    presets_from_env,
    select_device,
    tiny_preset,
)
from inference.pipelines import warm_pipeline


def request(**overrides) -> GenerationRequest:
    values = dict(id="x", prompt="a lighthouse", width=64, height=64, num_frames=9, fps=8, steps=2)
    values.update(overrides)
    return GenerationRequest(**values)


@pytest.mark.parametrize(
    ("overrides", "field", "hint"),
    [
        ({"width": 100, "height": 64}, "size", "64x64, 128x128"),
        ({"num_frames": 10}, "num_frames", "choose 9, 17, 25, 33"),
        ({"fps": 60}, "fps", "choose 8, 12, 16, 24"),
        ({"steps": 0}, "steps", "outside 1 to 50"),
        ({"guidance": 50.0}, "guidance", "outside 0 to 20"),
        ({"prompt": "   "}, "prompt", "must not be empty"),
        ({"preset": "huge"}, "preset", "choose tiny"),
        ({"id": "../etc/passwd"}, "id", "letters, digits"),
    ],
)
def test_unsupported_request_names_the_field_and_the_choices(tmp_path, tiny_presets, overrides, field, hint):
    with pytest.raises(UnsupportedRequestError) as excinfo:
        generate([request(**overrides)], output_dir=tmp_path, presets=tiny_presets)
    assert excinfo.value.field == field
    assert hint in excinfo.value.message
    assert list(tmp_path.iterdir()) == []  # nothing rendered, nothing half-written


def test_duplicate_ids_are_refused(tmp_path, tiny_presets):
    with pytest.raises(UnsupportedRequestError, match="appears twice"):
        generate([request(), request()], output_dir=tmp_path, presets=tiny_presets)


def test_missing_model_folder_says_how_to_build_or_point_at_one(tmp_path):
    missing = {"tiny": replace(tiny_preset(tmp_path / "nowhere"), build_tiny_if_missing=False)}
    with pytest.raises(ModelFolderError) as excinfo:
        generate([request()], output_dir=tmp_path, presets=missing)
    message = str(excinfo.value)
    assert "does not exist" in message
    assert "python -m inference build-tiny" in message
    assert "INFERENCE_MODEL_PATH" in message


def test_tiny_preset_builds_its_model_on_first_use(tmp_path):
    presets = {"tiny": tiny_preset(tmp_path / "models" / "tiny-wan")}
    [result] = generate([request()], output_dir=tmp_path / "out", presets=presets)
    assert (tmp_path / "models" / "tiny-wan" / "model_index.json").exists()
    assert result.video_path.exists()


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        ("drop_index", "no model_index.json"),
        ("bad_json", "is not valid JSON"),
        ("other_pipeline", "holds a StableDiffusionPipeline pipeline; supported: WanPipeline, LTXPipeline"),
        ("drop_vae", "lacks the component folders vae"),
        ("corrupt_weights", "Could not load the WanPipeline"),
    ],
)
def test_malformed_model_folder_is_explained(tmp_path, tiny_presets, damage, expected):
    folder = tmp_path / "model"
    shutil.copytree(tiny_presets["tiny"].path, folder)
    index = folder / "model_index.json"
    if damage == "drop_index":
        index.unlink()
    elif damage == "bad_json":
        index.write_text("{not json")
    elif damage == "other_pipeline":
        index.write_text(json.dumps({**json.loads(index.read_text()), "_class_name": "StableDiffusionPipeline"}))
    elif damage == "drop_vae":
        shutil.rmtree(folder / "vae")
    elif damage == "corrupt_weights":
        (folder / "transformer" / "diffusion_pytorch_model.safetensors").write_bytes(b"not weights")
    presets = {"tiny": replace(tiny_preset(folder), build_tiny_if_missing=False)}
    with pytest.raises(ModelFolderError, match=expected):
        generate([request()], output_dir=tmp_path / "out", presets=presets)


def test_presets_from_environment(tmp_path, tiny_presets):
    ltx_folder = tiny_presets["tiny-ltx"].path
    presets_file = tmp_path / "presets.json"
    presets_file.write_text(
        json.dumps(
            [
                {
                    "name": "quick",
                    "path": str(tiny_presets["tiny"].path),
                    "sizes": [[64, 64]],
                    "frame_counts": [9],
                    "fps": [8],
                    "default_steps": 2,
                    "max_batch": 2,
                    "step_cache": "first-block",
                },
            ]
        )
    )
    environ = {
        "VAR_DIR": str(tmp_path / "var"),
        "INFERENCE_MODEL_PATH": str(ltx_folder),
        "INFERENCE_VAE_TILING": "true",
        "INFERENCE_PRESETS_FILE": str(presets_file),
    }
    presets = presets_from_env(environ)
    assert presets["tiny"].path == tmp_path / "var" / "models" / "tiny-wan"
    studio = presets["studio"]
    assert studio.family == "ltx"  # read from model_index.json
    assert studio.vae_tiling is True
    assert studio.fps == (24,)
    quick = presets["quick"]
    assert (quick.family, quick.sizes, quick.default_steps, quick.step_cache) == ("wan", ((64, 64),), 2, "first-block")


def test_step_cache_and_tiling_presets_render(tmp_path, tiny_presets):
    fast = replace(tiny_presets["tiny"], name="fast", step_cache="first-block", vae_tiling=True)
    [result] = generate([request(preset="fast")], output_dir=tmp_path, presets={"fast": fast})
    assert result.video_path.exists()


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"INFERENCE_MODEL_PATH": "/nonexistent/checkpoint"}, "does not exist"),
        ({"INFERENCE_CPU_OFFLOAD": "sometimes"}, "INFERENCE_CPU_OFFLOAD='sometimes' is not a boolean"),
        ({"INFERENCE_STEP_CACHE": "magic"}, "step_cache must be one of off, first-block"),
    ],
)
def test_bad_environment_is_named(tmp_path, tiny_presets, environ, message):
    environ = {"INFERENCE_MODEL_PATH": str(tiny_presets["tiny"].path), **environ}
    with pytest.raises(InferenceError, match=message):
        presets_from_env(environ)


def test_device_selection():
    assert select_device("auto").type in ("cpu", "cuda", "mps")
    assert select_device("cpu").type == "cpu"
    with pytest.raises(InferenceError, match="is not one of auto, cpu"):
        select_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(InferenceError, match="no usable CUDA device"):
            select_device("cuda")


def test_half_precision_keeps_wans_vae_in_float32(tmp_path, tiny_presets):
    half = replace(tiny_presets["tiny"], name="half", dtype="bfloat16")
    handle, _ = warm_pipeline(half, select_device("cpu"))
    assert handle.pipeline.transformer.dtype == torch.bfloat16
    assert handle.pipeline.vae.dtype == torch.float32
    [result] = generate([request(preset="half")], output_dir=tmp_path, presets={"half": half})
    assert result.video_path.exists()
