"""Text-to-video inference for Vernissage: plain Python on torch and diffusers, no Django.

    from inference import GenerationRequest, generate

    outcomes = generate(
        [GenerationRequest(id="42", prompt="a lighthouse at dusk", seed=7)],
        output_dir="var/media/clips",
        on_progress=lambda request_id, phase, done, total: ...,  # phase: denoise, decode, encode
        should_cancel=lambda request_id: False,
    )

The request and result types and the presets import without torch, so a web
process can validate and price requests without loading it; the functions that
render load torch and diffusers on first use. See docs/inference.md.
"""

import importlib

from inference.presets import Preset, presets_from_env, tiny_preset
from inference.types import (
    Cancelled,
    GenerationRequest,
    GenerationResult,
    GpuOutOfMemoryError,
    InferenceError,
    ModelFolderError,
    Outcome,
    Timings,
    UnsupportedRequestError,
)

# Everything that needs torch, imported when first used.
_LAZY = {
    "generate": "inference.runner",
    "render": "inference.runner",
    "cache_info": "inference.pipelines",
    "select_device": "inference.pipelines",
    "unload_all": "inference.pipelines",
    "build_tiny": "inference.tiny",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'inference' has no attribute {name!r}")


__all__ = [
    "Cancelled",
    "GenerationRequest",
    "GenerationResult",
    "GpuOutOfMemoryError",
    "InferenceError",
    "ModelFolderError",
    "Outcome",
    "Preset",
    "Timings",
    "UnsupportedRequestError",
    *_LAZY,
    "presets_from_env",
    "tiny_preset",
]
