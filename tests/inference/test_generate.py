"""generate(): real diffusers pipelines (tiny random weights) to decoded MP4s."""

import numpy as np
import pytest
import torch
from PIL import Image

from inference import (
    Cancelled,
    GenerationRequest,
    GenerationResult,
    GpuOutOfMemoryError,
    cache_info,
    generate,
    render,
)
from inference.encode import read_mp4
from inference.pipelines import select_device, warm_pipeline
from inference.runner import PHASES

pytestmark = pytest.mark.slow

# Batched and single renders of the same request may differ by float rounding in
# batched matrix products; after quantising to 8 bits they must agree within
# one level.
BATCH_TOLERANCE_LEVELS = 1


def request(id: str, **overrides) -> GenerationRequest:
    values = dict(prompt="a paper boat on a rainy street", width=64, height=64, num_frames=9, fps=8, steps=3, seed=1)
    values.update(overrides)
    return GenerationRequest(id=id, **values)


def frames_of(clip_requests, presets, **kwargs) -> dict[str, np.ndarray]:
    return {clip.request.id: clip.frames for clip in render(clip_requests, presets=presets, **kwargs)}


@pytest.mark.parametrize("preset", ["tiny", "tiny-ltx"])
def test_generates_a_playable_h264_mp4_with_poster_and_provenance(tmp_path, tiny_presets, preset):
    clip = request("clip-1", preset=preset, width=128, height=64 if preset == "tiny" else 128, num_frames=17, fps=12)
    if preset == "tiny":
        clip = request("clip-1", preset=preset, width=256, height=144, num_frames=17, fps=12)
    [result] = generate([clip], output_dir=tmp_path, presets=tiny_presets)

    assert isinstance(result, GenerationResult)
    assert result.video_path == tmp_path / "clip-1.mp4"
    frames, meta = read_mp4(result.video_path)
    assert frames.shape == (17, clip.height, clip.width, 3)
    assert meta["fps"] == 12
    assert meta["size"] == (clip.width, clip.height)
    assert meta["duration"] == pytest.approx(17 / 12, abs=0.01)
    assert result.duration_s == pytest.approx(17 / 12)
    assert meta["comment"] == result.metadata
    assert meta["comment"]["preset"] == preset
    assert meta["comment"]["seed"] == 1
    assert meta["comment"]["parameter_hash"] == clip.parameter_hash()
    assert frames.std() > 1  # real (noisy) frames, not a blank clip
    head = result.video_path.read_bytes()[:4096]
    assert b"moov" in head  # faststart: the index comes before the media data
    assert b"avc1" in head  # H.264
    with Image.open(result.poster_path) as poster:
        assert poster.size == (clip.width, clip.height)
    assert not list(tmp_path.glob(".*partial"))
    t = result.timings
    assert t.denoise_s > 0 and t.decode_s > 0 and t.encode_s > 0


def test_same_seed_same_frames_other_seed_other_frames(tiny_presets):
    first = frames_of([request("a", seed=5)], tiny_presets)["a"]
    again = frames_of([request("a", seed=5)], tiny_presets)["a"]
    other = frames_of([request("a", seed=6)], tiny_presets)["a"]
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_a_batch_equals_its_requests_run_alone(tiny_presets):
    batch = [request(f"r{i}", seed=10 + i, prompt=f"prompt number {i}") for i in range(4)]
    loads_before = cache_info()["loads"]
    batched = list(render(batch, presets=tiny_presets))
    assert [clip.batch_size for clip in batched] == [4, 4, 4, 4]
    assert cache_info()["loads"] == loads_before + 1  # one pipeline call, one load
    for clip in batched:
        [alone] = render([clip.request], presets=tiny_presets)
        assert alone.batch_size == 1
        difference = np.abs(clip.frames.astype(int) - alone.frames.astype(int)).max()
        assert difference <= BATCH_TOLERANCE_LEVELS, f"{clip.request.id}: {difference}"


def test_incompatible_requests_are_not_batched_together(tiny_presets):
    mixed = [request("a"), request("b", num_frames=17), request("c"), request("d", steps=2)]
    sizes = {clip.request.id: clip.batch_size for clip in render(mixed, presets=tiny_presets)}
    assert sizes == {"a": 2, "c": 2, "b": 1, "d": 1}


def test_warm_pipeline_is_loaded_once_per_process(tmp_path, tiny_presets):
    loads_before = cache_info()["loads"]
    [first] = generate([request("first")], output_dir=tmp_path, presets=tiny_presets)
    [second] = generate([request("second", seed=2)], output_dir=tmp_path, presets=tiny_presets)
    assert cache_info()["loads"] == loads_before + 1
    assert cache_info()["warm"] == ["tiny"]
    assert first.timings.load_s > 0
    assert second.timings.load_s == 0


def test_progress_is_reported_for_every_step_decode_piece_and_encode_chunk(tmp_path, tiny_presets):
    seen = []
    generate(
        [request("p", steps=4, num_frames=33)], output_dir=tmp_path, presets=tiny_presets,
        on_progress=lambda *args: seen.append(args),
    )  # fmt: skip
    assert [args for args in seen if args[1] == "denoise"] == [("p", "denoise", step, 4) for step in (1, 2, 3, 4)]
    decode = [(done, total) for _, phase, done, total in seen if phase == "decode"]
    assert len(decode) > 9 and all(done < total for done, total in decode)  # 9 latent frames, each in pieces
    assert [done for done, _ in decode] == sorted(done for done, _ in decode)  # never backwards
    assert [args for args in seen if args[1] == "encode"] == [("p", "encode", done, 33) for done in (0, 16, 32, 33)]
    assert [phase for _, phase, _, _ in seen] == sorted((phase for _, phase, _, _ in seen), key=PHASES.index)


def test_cancel_stops_within_one_step(tiny_presets):
    steps_seen = []
    outcomes = list(
        render(
            [request("c", steps=8)],
            presets=tiny_presets,
            on_progress=lambda request_id, phase, step, total: steps_seen.append(step),
            should_cancel=lambda request_id: len(steps_seen) >= 2,
        )
    )
    assert outcomes == [Cancelled(request_id="c", at_step=2)]
    assert steps_seen == [1, 2]


def test_cancel_during_the_decode_stops_it_there(tmp_path, tiny_presets):
    decode_pieces = []

    def on_progress(request_id, phase, done, total):
        if phase == "decode":
            decode_pieces.append(done)

    outcomes = generate(
        [request("d", steps=2, num_frames=33)], output_dir=tmp_path, presets=tiny_presets, on_progress=on_progress,
        should_cancel=lambda request_id: len(decode_pieces) >= 3,
    )  # fmt: skip
    assert outcomes == [Cancelled(request_id="d", at_step=2)]
    assert len(decode_pieces) == 3  # the rest of the decode (dozens of pieces) never ran
    assert list(tmp_path.iterdir()) == []


def test_cancel_during_the_encode_leaves_no_file(tmp_path, tiny_presets):
    encoded = []
    outcomes = generate(
        [request("e", steps=2, num_frames=33)], output_dir=tmp_path, presets=tiny_presets,
        on_progress=lambda request_id, phase, done, total: phase == "encode" and encoded.append(done),
        should_cancel=lambda request_id: 16 in encoded,
    )  # fmt: skip
    assert outcomes == [Cancelled(request_id="e", at_step=2)] and encoded == [0, 16]
    assert list(tmp_path.iterdir()) == []


def test_cancel_before_the_first_step(tmp_path, tiny_presets):
    outcomes = generate([request("early")], output_dir=tmp_path, presets=tiny_presets, should_cancel=lambda _: True)
    assert outcomes == [Cancelled(request_id="early", at_step=0)]
    assert list(tmp_path.iterdir()) == []


def test_cancelling_one_request_of_a_batch_keeps_the_others_exact(tmp_path, tiny_presets):
    batch = [request("keep", seed=3), request("drop", seed=4)]
    steps_seen = []
    outcomes = generate(
        batch,
        output_dir=tmp_path,
        presets=tiny_presets,
        on_progress=lambda request_id, phase, step, total: steps_seen.append((request_id, step)),
        should_cancel=lambda request_id: request_id == "drop" and ("drop", 1) in steps_seen,
    )
    assert outcomes[1] == Cancelled(request_id="drop", at_step=1)
    kept = outcomes[0]
    assert isinstance(kept, GenerationResult)
    alone = frames_of([request("keep", seed=3)], tiny_presets)["keep"]
    decoded, _ = read_mp4(kept.video_path)
    assert decoded.shape == alone.shape
    assert not (tmp_path / "drop.mp4").exists()


def test_out_of_memory_is_its_own_error(tiny_presets, monkeypatch):
    handle, _ = warm_pipeline(tiny_presets["tiny"], select_device("cpu"))

    def exhausted(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    monkeypatch.setattr(handle.pipeline.transformer, "forward", exhausted)
    with pytest.raises(GpuOutOfMemoryError, match="fewer frames, a smaller size"):
        list(render([request("big")], presets=tiny_presets, device="cpu"))
