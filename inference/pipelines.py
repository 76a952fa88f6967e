"""Loading diffusers pipelines once per process and keeping them warm.

A worker process renders many clips with the same preset; loading weights is
the slowest thing it can do, so each (preset, device) pipeline is loaded once
and reused until the process ends or ``unload_all()`` is called.
"""

from __future__ import annotations

import os
import threading
import time
import warnings
import zlib
from dataclasses import dataclass

import torch

from inference.folder import IMAGE_TO_VIDEO, read_model_index
from inference.presets import Preset
from inference.tiny import build_tiny, build_tiny_adapter
from inference.types import InferenceError, ModelFolderError


@dataclass
class DiffusionPipelineHandle:
    pipeline: object  # a diffusers DiffusionPipeline
    device: torch.device
    dtype: torch.dtype
    load_s: float


_LOCK = threading.Lock()
_WARM: dict[tuple, DiffusionPipelineHandle] = {}
_STATS = {"loads": 0}


def select_device(setting: str | None = None) -> torch.device:
    """``auto`` (the default, or INFERENCE_DEVICE) picks cuda, then mps, then cpu."""
    setting = (setting or os.environ.get("INFERENCE_DEVICE") or "auto").lower()
    if setting == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if setting.startswith("cuda") and not torch.cuda.is_available():
        raise InferenceError(f"INFERENCE_DEVICE={setting} but this machine has no usable CUDA device; use auto or cpu.")
    if setting == "mps" and not torch.backends.mps.is_available():
        raise InferenceError("INFERENCE_DEVICE=mps but MPS is not available here; use auto or cpu.")
    if setting != "cpu" and not setting.startswith(("cuda", "mps")):
        raise InferenceError(f"INFERENCE_DEVICE={setting!r} is not one of auto, cpu, cuda, cuda:N, mps.")
    return torch.device(setting)


def resolve_dtype(preset: Preset, device: torch.device) -> torch.dtype:
    if preset.dtype != "auto":
        return getattr(torch, preset.dtype)
    return torch.bfloat16 if device.type == "cuda" else torch.float32


def warm_pipeline(preset: Preset, device: torch.device, mode: str = "text") -> tuple[DiffusionPipelineHandle, bool]:
    """The pipeline for ``preset`` in ``mode`` (text or image to video) on ``device``, and whether it
    had to be loaded now."""
    key = (
        mode,
        preset.name,
        str(preset.path),
        str(device),
        preset.dtype,
        preset.cpu_offload,
        preset.vae_tiling,
        preset.compile,
        preset.step_cache,
        preset.step_cache_threshold,
        preset.adapters,
        preset.fuse_adapters,
        preset.scheduler_shift,
        preset.styles,
        preset.image_path,
    )
    with _LOCK:
        handle = _WARM.get(key)
        if handle is not None:
            return handle, False
        handle = _load(preset, device, mode)
        _WARM[key] = handle
        _STATS["loads"] += 1
        return handle, True


def cache_info() -> dict:
    """How many pipelines this process has loaded, and which are warm now."""
    with _LOCK:
        return {"loads": _STATS["loads"], "warm": sorted({key[1] for key in _WARM})}


def unload_all() -> None:
    """Forget every warm pipeline (tests; a worker that must free accelerator memory)."""
    with _LOCK:
        _WARM.clear()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _load(preset: Preset, device: torch.device, mode: str) -> DiffusionPipelineHandle:
    import diffusers
    import transformers

    # The caller reports progress its own way; a worker's log is no place for loading bars.
    diffusers.utils.logging.disable_progress_bar()
    transformers.utils.logging.disable_progress_bar()
    started = time.perf_counter()
    path = preset.image_model_path() if mode == "image" else preset.path
    if preset.build_tiny_if_missing and not (path / "model_index.json").exists():
        build_tiny(path, f"{preset.family}-i2v" if path != preset.path else preset.family)
    index = read_model_index(path)
    class_name = IMAGE_TO_VIDEO[index["_class_name"]] if mode == "image" else index["_class_name"]
    if mode == "text" and class_name == "WanImageToVideoPipeline":
        raise ModelFolderError(
            f"{path} holds Wan's image-to-video model, which needs a start image: give it as the preset's "
            "image_path and point path at a text-to-video checkpoint."
        )
    class_name = "LTXPipeline" if class_name == "LTXImageToVideoPipeline" and mode == "text" else class_name
    pipeline_class = getattr(diffusers, class_name)
    dtype = resolve_dtype(preset, device)
    # Wan's VAE is numerically fragile in half precision; its authors run it in float32.
    dtypes = {"vae": torch.float32, "default": dtype} if preset.family == "wan" else dtype
    try:
        pipeline = pipeline_class.from_pretrained(path, local_files_only=True, dtype=dtypes)
    except (OSError, ValueError, KeyError, RuntimeError, TypeError) as exc:
        raise ModelFolderError(
            f"Could not load the {class_name} from {path}: {exc}. "
            "The folder may be incomplete, from another diffusers version, or not a model for this mode."
        ) from exc
    pipeline.set_progress_bar_config(disable=True)
    if preset.scheduler_shift is not None:
        pipeline.scheduler = type(pipeline.scheduler).from_config(
            pipeline.scheduler.config, shift=preset.scheduler_shift
        )
    if preset.adapters:
        _load_adapters(pipeline, preset)
    if preset.styles:
        _load_styles(pipeline, preset)
    if preset.cpu_offload and device.type == "cuda":
        pipeline.enable_model_cpu_offload(device=device)
    else:
        pipeline.to(device)
    if preset.vae_tiling:
        pipeline.vae.enable_tiling()
    if preset.step_cache == "first-block":
        pipeline.transformer.enable_cache(diffusers.FirstBlockCacheConfig(threshold=preset.step_cache_threshold))
    if preset.compile:
        # Regional compilation: each repeated transformer block is compiled once and reused.
        # The step cache's hooks wrap the blocks in Python dynamo cannot trace whole, so
        # with it on the compiled graphs break at the hooks instead of failing.
        pipeline.transformer.compile_repeated_blocks(fullgraph=preset.step_cache == "off")
    return DiffusionPipelineHandle(pipeline=pipeline, device=device, dtype=dtype, load_s=time.perf_counter() - started)


def _load_adapters(pipeline, preset: Preset) -> None:
    """Load the preset's LoRA adapters once, with their weights; fused, they cost nothing per step."""
    for adapter in preset.adapters:
        if preset.build_tiny_if_missing and not adapter.path.exists():
            build_tiny_adapter(adapter.path, preset.path)
        try:
            pipeline.load_lora_weights(str(adapter.path), adapter_name=adapter.name, local_files_only=True)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise ModelFolderError(
                f"Could not load the adapter {adapter.name!r} of preset {preset.name!r} from {adapter.path}: {exc}"
            ) from exc
    names = [adapter.name for adapter in preset.adapters]
    pipeline.set_adapters(names, adapter_weights=[adapter.weight for adapter in preset.adapters])
    if preset.fuse_adapters:
        pipeline.fuse_lora(adapter_names=names)
        pipeline.unload_lora_weights()  # the fused weights stay; the separate LoRA layers go


def _load_styles(pipeline, preset: Preset) -> None:
    """Load the styles artists may pick, unfused and switched off; use_style() turns one on per call."""
    for style in preset.styles:
        if preset.build_tiny_if_missing and not style.path.exists():
            build_tiny_adapter(style.path, preset.path, seed=zlib.crc32(style.name.encode()))
        try:
            with warnings.catch_warnings():  # peft warns that a model may hold several adapters: these do
                warnings.filterwarnings("ignore", message="Already found a `peft_config`")
                pipeline.load_lora_weights(str(style.path), adapter_name=style.name, local_files_only=True)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise ModelFolderError(
                f"Could not load the style {style.name!r} of preset {preset.name!r} from {style.path}: {exc}"
            ) from exc
    use_style(pipeline, preset, None)


def use_style(pipeline, preset: Preset, name: str | None) -> None:
    """Switch the preset's optional styles so that only ``name`` (or none) applies to the next call;
    unfused fixed adapters stay on."""
    if not preset.styles:
        return
    fixed = [] if preset.fuse_adapters else list(preset.adapters)
    active = fixed + ([preset.style_named(name)] if name else [])
    if not active:
        pipeline.disable_lora()
        return
    pipeline.enable_lora()
    pipeline.set_adapters([a.name for a in active], adapter_weights=[a.weight for a in active])
