"""From what an artist asks for (duration, resolution, aspect ratio) to what the model renders, and its price."""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass

from django.conf import settings

from accounts.models import Cohort
from core.errors import ApplicationError
from generations.models import QuotaPolicy
from inference import Preset, presets_from_env
from inference.presets import Adapter

ASPECTS = {"1:1": (1, 1), "16:9": (16, 9), "9:16": (9, 16)}


def _preset_environment() -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("INFERENCE_") or k == "VAR_DIR"))


@functools.lru_cache(maxsize=4)
def _presets_for(environment: tuple[tuple[str, str], ...]) -> dict[str, Preset]:
    return presets_from_env(dict(environment))


def presets() -> dict[str, Preset]:
    """Every preset, by name: read from the environment (and INFERENCE_PRESETS_FILE) once per process, not
    on every call. The environment is the key (tests set it after start-up; a deployment never changes
    it), so an edited presets file is read again only on presets_reload(), or when the process restarts."""
    return dict(_presets_for(_preset_environment()))


def presets_reload() -> dict[str, Preset]:
    """Read the presets again, as every process does once at start-up (generations.checks: `manage.py check`
    says what is wrong with an edited file before the processes are restarted to use it)."""
    _presets_for.cache_clear()
    return presets()


def adapters_of(preset_name: str, style: str = "") -> list[dict]:
    """The LoRA adapters a clip renders with (name and weight): its preset's own and the style it picked,
    as the API and the provenance show them."""
    preset = presets().get(preset_name)
    if preset is None:
        return []
    adapters = [*preset.adapters, *([preset.style_named(style)] if style and preset.style_named(style) else [])]
    return [{"name": adapter.name, "weight": adapter.weight} for adapter in adapters]


def cohort_styles(*, cohort: Cohort, preset: Preset) -> list[Adapter]:
    """The preset's styles that the cohort's policy lets its artists pick (none without a policy)."""
    allowed = QuotaPolicy.objects.filter(cohort=cohort).values_list("allowed_styles", flat=True).first() or []
    return [style for style in preset.styles if style.name in allowed]


@dataclass(frozen=True)
class RenderPlan:
    preset: Preset
    width: int
    height: int
    num_frames: int
    fps: int
    steps: int
    guidance: float

    @property
    def duration_s(self) -> float:
        return self.num_frames / self.fps


def aspect_of(width: int, height: int) -> str | None:
    for name, (w, h) in ASPECTS.items():
        if abs(width / height - w / h) < 0.02:
            return name
    return None


def resolutions_for(preset: Preset) -> list[tuple[int, str, int, int]]:
    """(short side, aspect, width, height) for each size the preset offers."""
    return sorted((min(w, h), aspect, w, h) for w, h in preset.sizes if (aspect := aspect_of(w, h)) is not None)


def plan(
    *,
    preset_name: str,
    duration_s: float,
    resolution: int,
    aspect_ratio: str,
    fps: int | None,
    steps: int | None = None,
) -> RenderPlan:
    """Map a request onto the preset's exact sizes and frame counts, or say which values are allowed."""
    available = presets()
    preset = available.get(preset_name)
    if preset is None:
        raise ApplicationError(
            "invalid", "Unknown preset.", fields={"preset": f"choose {', '.join(sorted(available))}"}
        )
    sizes = resolutions_for(preset)
    match = next(((w, h) for short, aspect, w, h in sizes if short == resolution and aspect == aspect_ratio), None)
    if match is None:
        allowed = ", ".join(f"{short}p {aspect}" for short, aspect, _, _ in sizes)
        field = "aspect_ratio" if any(short == resolution for short, *_ in sizes) else "resolution"
        raise ApplicationError(
            "invalid", f"Preset {preset.name} offers {allowed}.", fields={field: f"choose {allowed}"}
        )
    if not math.isfinite(duration_s):  # NaN would otherwise match the first frame count silently
        raise ApplicationError("invalid", "Give the duration in seconds.", fields={"duration_s": "a number"})
    fps = fps or preset.fps[0]
    if fps not in preset.fps:
        allowed = ", ".join(map(str, preset.fps))
        raise ApplicationError("invalid", f"Frame rates offered: {allowed}.", fields={"fps": f"choose {allowed}"})
    durations = {round(frames / fps, 2): frames for frames in preset.frame_counts}
    frames = durations.get(round(duration_s, 2))
    if frames is None:
        # The nearest frame count within half a second counts; anything further is a mistake worth naming.
        nearest = min(preset.frame_counts, key=lambda count: abs(count / fps - duration_s))
        if abs(nearest / fps - duration_s) > 0.5:
            allowed = ", ".join(f"{d:g}" for d in sorted(durations))
            raise ApplicationError(
                "invalid", f"At {fps} fps the durations offered are {allowed} seconds.",
                fields={"duration_s": f"choose {allowed}"},
            )  # fmt: skip
        frames = nearest
    steps = steps or preset.default_steps
    if not 1 <= steps <= preset.max_steps:
        raise ApplicationError("invalid", "Too many or too few steps.", fields={"steps": f"1 to {preset.max_steps}"})
    return RenderPlan(preset, match[0], match[1], frames, fps, steps, preset.default_guidance)


def price(render: RenderPlan) -> int:
    """Credits for a clip: a base fee plus compute, which grows with duration, pixels and steps.

    cost = GENERATION_BASE_CREDITS + ceil(seconds x megapixels x steps x GENERATION_CREDITS_PER_MP_SECOND_STEP)
    """
    megapixels = render.width * render.height / 1_000_000
    compute = render.duration_s * megapixels * render.steps * settings.GENERATION_CREDITS_PER_MP_SECOND_STEP
    return settings.GENERATION_BASE_CREDITS + math.ceil(compute)
