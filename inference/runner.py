"""The entry point: requests in, encoded clips out, with progress and cancellation.

    outcomes = generate(requests, output_dir=path, on_progress=..., should_cancel=...)

Compatible requests (same preset, size, frame count, steps and guidance) run as
one pipeline call with one seeded generator per request, so each clip matches
the clip its request would give alone.

Progress is reported per phase (``denoise`` by step, ``decode`` by decoder chunk,
``encode`` by chunk of frames), and cancellation is checked at each of those
boundaries: a cancel during the VAE decode, which is most of a clip's time on a
small model, stops it there instead of after the whole clip.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from inference.encode import encode_mp4, write_poster
from inference.images import fit_start_image
from inference.pipelines import select_device, use_style, warm_pipeline
from inference.presets import Preset, presets_from_env
from inference.types import (
    Cancelled,
    GenerationRequest,
    GenerationResult,
    GpuOutOfMemoryError,
    Outcome,
    Timings,
    UnsupportedRequestError,
)

ProgressCallback = Callable[[str, str, int, int], None]  # (request id, phase, done, total) in PHASES' order
PHASES = ("denoise", "decode", "encode")
CancelCallback = Callable[[str], bool]  # (request id) -> stop now?

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class RenderedClip:
    """Frames of one request before encoding: uint8, frames x height x width x RGB."""

    request: GenerationRequest
    preset: Preset
    frames: np.ndarray
    timings: Timings
    batch_size: int


class _CancelRequested(Exception):
    def __init__(self, request_ids: list[str], step: int):
        self.request_ids = request_ids
        self.step = step


def generate(
    requests: Iterable[GenerationRequest],
    *,
    output_dir: Path | str,
    presets: dict[str, Preset] | None = None,
    device: str | None = None,
    on_progress: ProgressCallback | None = None,
    should_cancel: CancelCallback | None = None,
) -> list[Outcome]:
    """Render and encode every request; one outcome per request, in request order.

    Each GenerationResult points at ``<output_dir>/<id>.mp4`` and ``<id>.jpg``.
    Raises UnsupportedRequestError before any work when a request does not fit
    its preset, ModelFolderError when a model cannot be loaded, and
    GpuOutOfMemoryError when the accelerator runs out of memory.
    """
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    outcomes: dict[str, Outcome] = {}
    requests = list(requests)
    for rendered in render(
        requests, presets=presets, device=device, on_progress=on_progress, should_cancel=should_cancel
    ):
        if isinstance(rendered, Cancelled):
            outcomes[rendered.request_id] = rendered
            continue
        outcomes[rendered.request.id] = _encode(rendered, output_dir, on_progress, should_cancel)
    return [outcomes[request.id] for request in requests]


def render(
    requests: list[GenerationRequest],
    *,
    presets: dict[str, Preset] | None = None,
    device: str | None = None,
    on_progress: ProgressCallback | None = None,
    should_cancel: CancelCallback | None = None,
) -> Iterator[RenderedClip | Cancelled]:
    """Frames for every request (not encoded), batch by batch, in no promised order."""
    presets = presets if presets is not None else presets_from_env()
    checked = _check(requests, presets)
    target = select_device(device)
    for preset, batch in plan_batches(checked):
        yield from _render_batch(preset, batch, target, on_progress, should_cancel)


def plan_batches(checked: list[tuple[GenerationRequest, Preset]]) -> list[tuple[Preset, list[GenerationRequest]]]:
    """Group compatible requests, keeping first-come order, into batches of at most preset.max_batch.
    Image-to-video requests run alone: each has its own image to encode (and Wan's pipeline repeats
    one image's features across a batch)."""
    groups: dict[tuple, tuple[Preset, list[GenerationRequest]]] = {}
    for request, preset in checked:
        key = (
            preset.name,
            request.width,
            request.height,
            request.num_frames,
            preset.steps_for(request),
            preset.guidance_for(request),
            request.style,
            request.id if request.start_image else None,
        )
        groups.setdefault(key, (preset, []))[1].append(request)
    batches = []
    for preset, members in groups.values():
        for start in range(0, len(members), preset.max_batch):
            batches.append((preset, members[start : start + preset.max_batch]))
    return batches


def _check(requests: list[GenerationRequest], presets: dict[str, Preset]) -> list[tuple[GenerationRequest, Preset]]:
    seen: set[str] = set()
    checked = []
    for request in requests:
        if not _SAFE_ID.match(request.id):
            raise UnsupportedRequestError("id", f"{request.id!r} must be 1-64 letters, digits, '.', '_' or '-'")
        if request.id in seen:
            raise UnsupportedRequestError("id", f"{request.id!r} appears twice")
        seen.add(request.id)
        preset = presets.get(request.preset)
        if preset is None:
            raise UnsupportedRequestError(
                "preset", f"{request.preset!r} is unknown; choose {', '.join(sorted(presets))}"
            )
        preset.check(request)
        checked.append((request, preset))
    return checked


def _render_batch(preset, batch, device, on_progress, should_cancel) -> Iterator[RenderedClip | Cancelled]:
    handle, loaded_now = warm_pipeline(preset, device, batch[0].mode)
    load_share = handle.load_s / len(batch) if loaded_now else 0.0
    live = list(batch)
    while live:
        try:
            frames, denoise_s, decode_s = _call_pipeline(handle.pipeline, preset, live, on_progress, should_cancel)
        except _CancelRequested as cancel:
            for request_id in cancel.request_ids:
                yield Cancelled(request_id=request_id, at_step=cancel.step)
            # The others start again: same seeds, so the same frames as if never batched.
            live = [request for request in live if request.id not in cancel.request_ids]
            continue
        share = len(live)
        for request, clip in zip(live, frames, strict=True):
            timings = Timings(load_s=load_share, denoise_s=denoise_s / share, decode_s=decode_s / share)
            yield RenderedClip(request=request, preset=preset, frames=clip, timings=timings, batch_size=share)
        live = []


def _call_pipeline(pipeline, preset: Preset, requests: list[GenerationRequest], on_progress, should_cancel):
    first = requests[0]
    steps = preset.steps_for(first)

    def cancelled_ids() -> list[str]:
        return [request.id for request in requests if should_cancel(request.id)] if should_cancel else []

    if ids := cancelled_ids():
        raise _CancelRequested(ids, step=0)

    last_step_at = [0.0]

    def on_step_end(pipe, index, timestep, callback_kwargs):
        last_step_at[0] = time.perf_counter()
        if on_progress:
            for request in requests:
                on_progress(request.id, "denoise", index + 1, steps)
        if ids := cancelled_ids():
            raise _CancelRequested(ids, step=index + 1)  # leaves the loop before the next step starts
        return {}

    def at_decode_chunk(done: int, total: int) -> None:
        if ids := cancelled_ids():
            raise _CancelRequested(ids, step=steps)  # inside the decode: the rest of it is skipped
        if on_progress:
            for request in requests:
                on_progress(request.id, "decode", done, total)

    extra = {}
    if first.start_image:  # batches of image requests hold one (plan_batches)
        extra["image"] = fit_start_image(first.start_image, first.width, first.height, first.image_fit)
    use_style(pipeline, preset, first.style)
    started = time.perf_counter()
    try:
        with torch.inference_mode(), _decode_checkpoints(pipeline, preset, first.num_frames, at_decode_chunk):
            output = pipeline(
                **extra,
                prompt=[request.prompt for request in requests],
                negative_prompt=[request.negative_prompt for request in requests],
                height=first.height,
                width=first.width,
                num_frames=first.num_frames,
                num_inference_steps=steps,
                guidance_scale=preset.guidance_for(first),
                generator=[torch.Generator(device="cpu").manual_seed(request.seed) for request in requests],
                max_sequence_length=preset.max_sequence_length,
                output_type="np",
                callback_on_step_end=on_step_end,
            )
    except torch.OutOfMemoryError as exc:
        torch.cuda.empty_cache()
        raise GpuOutOfMemoryError(
            f"Out of accelerator memory rendering {len(requests)} clip(s) of {first.width}x{first.height}, "
            f"{first.num_frames} frames with preset {preset.name!r}: retry with fewer frames, a smaller size, "
            "one clip at a time, or a preset with cpu_offload."
        ) from exc
    finished = time.perf_counter()
    frames = (np.clip(output.frames, 0.0, 1.0) * 255.0).round().astype(np.uint8)
    return list(frames), last_step_at[0] - started, finished - last_step_at[0]


@contextlib.contextmanager
def _decode_checkpoints(pipeline, preset: Preset, num_frames: int, at_chunk: Callable[[int, int], None]):
    """Call ``at_chunk(done, total)`` before each piece of the VAE decode: Wan's decoder runs once per
    latent frame, and every decoder runs its up-blocks one by one, so there is a boundary every few
    milliseconds to report progress and honour a cancel at. ``done`` stays below ``total`` until the
    decode returns (tiled decodes make more pieces than counted here)."""
    decoder = getattr(getattr(pipeline, "vae", None), "decoder", None)
    if decoder is None:
        yield
        return
    modules = [decoder, *getattr(decoder, "up_blocks", [])]
    temporal = getattr(pipeline, "vae_scale_factor_temporal", 4)
    decoder_calls = (num_frames - 1) // temporal + 1 if preset.family == "wan" else 1
    total = len(modules) * decoder_calls
    done = [0]

    def before_piece(module, args):
        at_chunk(min(done[0], total - 1), total)
        done[0] += 1

    handles = [module.register_forward_pre_hook(before_piece) for module in modules]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def _encode(rendered: RenderedClip, output_dir: Path, on_progress=None, should_cancel=None) -> Outcome:
    """Encode the frames and write the poster; Cancelled (and no files) when a cancel arrives meanwhile."""
    request, preset = rendered.request, rendered.preset
    adapters = [*preset.adapters, *([preset.style_named(request.style)] if request.style else [])]
    metadata = {
        "generator": "Vernissage",
        "preset": preset.name,
        "model": preset.model_id,
        "mode": request.mode,
        "seed": request.seed,
        "steps": preset.steps_for(request),
        "guidance": preset.guidance_for(request),
        "adapters": [{"name": adapter.name, "weight": adapter.weight} for adapter in adapters],
        "parameter_hash": request.parameter_hash(),
    }
    if request.start_image:
        metadata["start_image"] = {"sha256": request.start_image_sha256(), "fit": request.image_fit}
    video_path = output_dir / f"{request.id}.mp4"
    poster_path = output_dir / f"{request.id}.jpg"
    started = time.perf_counter()

    def between_chunks(done: int, total: int) -> bool:
        if on_progress:
            on_progress(request.id, "encode", done, total)
        return bool(should_cancel and should_cancel(request.id))

    if not encode_mp4(rendered.frames, fps=request.fps, path=video_path, metadata=metadata, stop=between_chunks):
        return Cancelled(request_id=request.id, at_step=preset.steps_for(request))
    write_poster(rendered.frames[len(rendered.frames) // 2], poster_path)
    encode_s = time.perf_counter() - started
    num_frames, height, width, _ = rendered.frames.shape
    timings = Timings(
        load_s=rendered.timings.load_s,
        denoise_s=rendered.timings.denoise_s,
        decode_s=rendered.timings.decode_s,
        encode_s=encode_s,
    )
    return GenerationResult(
        request_id=request.id,
        video_path=video_path,
        poster_path=poster_path,
        num_frames=num_frames,
        fps=request.fps,
        width=width,
        height=height,
        timings=timings,
        metadata=metadata,
        batch_size=rendered.batch_size,
    )
