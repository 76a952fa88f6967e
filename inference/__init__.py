"""Text-to-video inference for Vernissage: plain Python on torch and diffusers, no Django.

    from inference import GenerationRequest, generate

    outcomes = generate(
        [GenerationRequest(id="42", prompt="a lighthouse at dusk", seed=7)],
        output_dir="var/media/clips",
        on_progress=lambda request_id, step, total: ...,
        should_cancel=lambda request_id: False,
    )

See docs/inference.md.
"""

from inference.pipelines import cache_info, select_device, unload_all
from inference.presets import Preset, presets_from_env, tiny_preset
from inference.runner import generate, render
from inference.tiny import build_tiny
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
    "build_tiny",
    "cache_info",
    "generate",
    "presets_from_env",
    "render",
    "select_device",
    "tiny_preset",
    "unload_all",
]
