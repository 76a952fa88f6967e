"""Image to video with the tiny Wan (Wan2.1's I2V layout, a model of its own) and LTX (one model for
both modes) pipelines, the start image's fit, and the styles an artist may pick. Nothing is downloaded."""

import hashlib
import json
from dataclasses import asdict, replace

import numpy as np
import pytest
from PIL import Image

from inference import GenerationRequest, UnsupportedRequestError, cache_info, generate
from inference.encode import read_mp4
from inference.images import fit_start_image
from inference.presets import load_presets_file


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(3)
    paths = {}
    for name, size in (("wide", (160, 90)), ("other", (90, 160))):
        paths[name] = folder / f"{name}.png"
        Image.fromarray((rng.random((size[1], size[0], 3)) * 255).astype("uint8")).save(paths[name])
    return paths


def clip(id: str, preset: str = "tiny", **overrides) -> GenerationRequest:
    values = dict(prompt="a heron in the reeds", width=64, height=64, num_frames=9, fps=8, seed=5, preset=preset)
    return GenerationRequest(id=id, **{**values, **overrides})


def frames_of(outcome) -> np.ndarray:
    return read_mp4(outcome.video_path)[0].astype(int)


@pytest.mark.parametrize("preset", ["tiny", "tiny-ltx"])
def test_a_start_image_runs_the_familys_image_to_video_pipeline(tmp_path, tiny_presets, images, preset):
    loads = cache_info()["loads"]
    text, image, other = generate(
        [
            clip("text", preset),
            clip("image", preset, start_image=str(images["wide"])),
            clip("other", preset, start_image=str(images["other"])),
        ],
        output_dir=tmp_path,
        presets=tiny_presets,
    )
    sha = hashlib.sha256(images["wide"].read_bytes()).hexdigest()
    assert text.metadata["mode"] == "text" and "start_image" not in text.metadata
    assert image.metadata["mode"] == "image"
    assert image.metadata["start_image"] == {"sha256": sha, "fit": "crop"}
    assert (image.width, image.height, image.num_frames) == (64, 64, 9)
    # The image conditions the clip: same prompt and seed, other frames for another image or none.
    assert np.abs(frames_of(image) - frames_of(text)).mean() > 0.1
    assert np.abs(frames_of(image) - frames_of(other)).mean() > 0.1
    assert cache_info()["loads"] - loads == 2  # a text pipeline and an image pipeline, each loaded once


def test_image_requests_render_alone_and_as_they_would_on_their_own(tmp_path, tiny_presets, images):
    together = generate(
        [clip("a", start_image=str(images["wide"])), clip("b", start_image=str(images["other"]))],
        output_dir=tmp_path / "together",
        presets=tiny_presets,
    )
    alone = generate([clip("b", start_image=str(images["other"]))], output_dir=tmp_path / "alone", presets=tiny_presets)
    assert [outcome.batch_size for outcome in together] == [1, 1]
    assert np.array_equal(frames_of(together[1]), frames_of(alone[0]))


def test_crop_fills_the_frame_and_pad_keeps_the_whole_image(tmp_path):
    red = tmp_path / "red.png"
    Image.new("RGB", (200, 100), (255, 0, 0)).save(red)
    cropped = np.asarray(fit_start_image(red, 64, 64, "crop"))
    padded = np.asarray(fit_start_image(red, 64, 64, "pad"))
    assert cropped.shape == padded.shape == (64, 64, 3)
    assert (cropped[..., 0] > 250).all()  # red everywhere
    assert (padded[:10] == 0).all() and (padded[-10:] == 0).all()  # black bars above and below
    assert (padded[28:36, :, 0] > 250).all()  # the whole width of the image in the middle


def test_a_preset_without_image_mode_refuses_a_start_image_before_any_work(tmp_path, tiny_presets, images):
    text_only = {"plain": replace(tiny_presets["tiny"], name="plain", modes=("text",))}
    loads = cache_info()["loads"]
    with pytest.raises(UnsupportedRequestError) as refused:
        generate([clip("x", "plain", start_image=str(images["wide"]))], output_dir=tmp_path, presets=text_only)
    assert refused.value.field == "start_image" and "text only" in refused.value.message
    assert cache_info()["loads"] == loads
    with pytest.raises(UnsupportedRequestError, match="image_fit"):
        generate([clip("y", start_image=str(images["wide"]), image_fit="stretch")], output_dir=tmp_path,
                 presets=tiny_presets)  # fmt: skip


def test_a_style_changes_the_clip_and_switching_back_leaves_no_trace(tmp_path, tiny_presets):
    loads = cache_info()["loads"]
    plain_first, inked, grained, plain_after = generate(
        [clip("p1"), clip("ink", style="ink"), clip("grain", style="grain"), clip("p2")],
        output_dir=tmp_path,
        presets=tiny_presets,
    )
    assert inked.metadata["adapters"] == [{"name": "ink", "weight": 1.0}]
    assert grained.metadata["adapters"] == [{"name": "grain", "weight": 0.7}]
    assert plain_first.metadata["adapters"] == []
    assert np.abs(frames_of(inked) - frames_of(plain_first)).mean() > 0.1
    assert np.abs(frames_of(inked) - frames_of(grained)).mean() > 0.1
    assert np.array_equal(frames_of(plain_first), frames_of(plain_after))
    assert cache_info()["loads"] - loads == 1  # the styles live in the one warm pipeline
    with pytest.raises(UnsupportedRequestError, match="it offers ink, grain"):
        generate([clip("z", style="neon")], output_dir=tmp_path, presets=tiny_presets)


def test_a_text_requests_parameter_hash_is_what_it_was_before_image_and_style_fields():
    request = clip("h")
    before = {k: v for k, v in asdict(request).items() if k not in ("id", "start_image", "image_fit", "style")}
    expected = hashlib.sha256(json.dumps(before, sort_keys=True).encode()).hexdigest()[:16]
    assert request.parameter_hash() == expected
    assert clip("h", style="ink").parameter_hash() != expected


def test_modes_image_path_and_styles_come_from_the_presets_file(tmp_path):
    listed = tmp_path / "presets.json"
    listed.write_text(json.dumps([{
        "name": "i2v", "path": "/models/t2v", "family": "wan", "modes": ["text", "image"],
        "image_path": "/models/i2v", "styles": [{"name": "noir", "path": "/models/noir.safetensors", "weight": 0.6}],
    }]))  # fmt: skip
    (preset,) = load_presets_file(listed)
    assert preset.modes == ("text", "image") and str(preset.image_model_path()) == "/models/i2v"
    assert preset.style_named("noir").weight == 0.6
