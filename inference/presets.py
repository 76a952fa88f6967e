"""Presets: a model folder plus the sizes, frame counts and speed options it allows.

Presets come from the environment (the caller may also pass its own):

- the ``tiny`` preset, always present, at ``INFERENCE_TINY_PATH``
  (default ``$VAR_DIR/models/tiny-wan``), built on first use; it offers text
  and image to video (its image-to-video model at ``INFERENCE_TINY_I2V_PATH``,
  default ``$VAR_DIR/models/tiny-wan-i2v``) and two styles artists may pick
  (tiny adapters at ``$VAR_DIR/models/tiny-wan-<style>-lora``);
- a preset for a real checkpoint when ``INFERENCE_MODEL_PATH`` names a diffusers
  folder (``INFERENCE_MODEL_PRESET`` names it, default ``studio``), with the
  defaults of its family and the speed options ``INFERENCE_DTYPE``,
  ``INFERENCE_CPU_OFFLOAD``, ``INFERENCE_VAE_TILING``, ``INFERENCE_COMPILE``,
  ``INFERENCE_STEP_CACHE``;
- the ``turbo`` preset, always present: the tiny model with a tiny LoRA adapter
  built from code (``INFERENCE_TINY_ADAPTER_PATH``, default
  ``$VAR_DIR/models/tiny-wan-style-lora``), few steps and guidance off, so the
  adapter and few-step path runs everywhere the tests do;
- any number of presets from the JSON list in ``INFERENCE_PRESETS_FILE``
  (``adapters`` and ``styles`` there are lists of ``{"name", "path", "weight"}``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

from inference.folder import family_of
from inference.types import GenerationRequest, InferenceError, UnsupportedRequestError

FAMILIES = ("wan", "ltx")
DTYPES = ("auto", "float32", "bfloat16", "float16")
STEP_CACHES = ("off", "first-block")
MODES = ("text", "image")
IMAGE_FITS = ("crop", "pad")  # crop: fill the frame, cutting the overflow; pad: the whole image, black bars


@dataclass(frozen=True)
class Adapter:
    """A LoRA adapter (a diffusers LoRA folder or .safetensors file) and the weight it is applied with."""

    name: str
    path: Path
    weight: float = 1.0


@dataclass(frozen=True)
class Preset:
    name: str
    path: Path
    family: str = "wan"
    model_id: str = ""
    dtype: str = "auto"  # auto: bfloat16 on a GPU, float32 on the CPU
    default_steps: int = 30
    max_steps: int = 100
    default_guidance: float = 5.0
    sizes: tuple[tuple[int, int], ...] = ((832, 480),)
    frame_counts: tuple[int, ...] = (81,)
    fps: tuple[int, ...] = (16,)
    max_sequence_length: int = 512
    max_batch: int = 4
    cpu_offload: bool = False
    vae_tiling: bool = False
    compile: bool = False
    step_cache: str = "off"  # first-block: diffusers' First Block Cache, skips steps that change little
    step_cache_threshold: float = 0.05
    # LoRA adapters loaded once per warm pipeline; fused into the weights (no cost per step) unless
    # fuse_adapters is off. A few-step distilled adapter usually wants scheduler_shift too.
    adapters: tuple[Adapter, ...] = ()
    fuse_adapters: bool = True
    scheduler_shift: float | None = None
    # Optional adapters an artist may pick per clip (their cohort says which): loaded once per warm
    # pipeline beside the fixed ones and switched on for the clips that ask, never fused.
    styles: tuple[Adapter, ...] = ()
    # text: prompt to video; image: a start image and a prompt. Image to video runs the family's
    # image-to-video pipeline on image_path (Wan2.1's I2V checkpoints are separate folders), or on
    # path itself when unset (LTX-Video, and Wan2.2 TI2V, do both with one checkpoint).
    modes: tuple[str, ...] = ("text",)
    image_path: Path | None = None
    build_tiny_if_missing: bool = False

    def __post_init__(self):
        if self.family not in FAMILIES:
            raise InferenceError(f"Preset {self.name!r}: family must be one of {', '.join(FAMILIES)}.")
        if self.dtype not in DTYPES:
            raise InferenceError(f"Preset {self.name!r}: dtype must be one of {', '.join(DTYPES)}.")
        if self.step_cache not in STEP_CACHES:
            raise InferenceError(f"Preset {self.name!r}: step_cache must be one of {', '.join(STEP_CACHES)}.")
        if not self.modes or set(self.modes) - set(MODES):
            raise InferenceError(f"Preset {self.name!r}: modes must be some of {', '.join(MODES)}.")
        names = [adapter.name for adapter in (*self.adapters, *self.styles)]
        if len(names) != len(set(names)):
            raise InferenceError(f"Preset {self.name!r}: adapter and style names must differ.")

    def image_model_path(self) -> Path:
        return self.image_path or self.path

    def style_named(self, name: str) -> Adapter | None:
        return next((style for style in self.styles if style.name == name), None)

    @property
    def longest_clip_s(self) -> float:
        return max(self.frame_counts) / min(self.fps)

    def check(self, request: GenerationRequest) -> None:
        """Raise UnsupportedRequestError naming the first argument this preset does not allow."""
        if not request.prompt or not request.prompt.strip():
            raise UnsupportedRequestError("prompt", "must not be empty")
        if (request.width, request.height) not in self.sizes:
            allowed = ", ".join(f"{w}x{h}" for w, h in self.sizes)
            raise UnsupportedRequestError(
                "size", f"{request.width}x{request.height} is not offered by preset {self.name!r}; choose {allowed}"
            )
        if request.num_frames not in self.frame_counts:
            allowed = ", ".join(map(str, self.frame_counts))
            raise UnsupportedRequestError(
                "num_frames", f"{request.num_frames} is not offered by preset {self.name!r}; choose {allowed}"
            )
        if request.mode not in self.modes:
            raise UnsupportedRequestError(
                "start_image", f"preset {self.name!r} makes clips from {' and '.join(self.modes)} only"
            )
        if request.start_image and request.image_fit not in IMAGE_FITS:
            raise UnsupportedRequestError("image_fit", f"{request.image_fit!r} is not one of {', '.join(IMAGE_FITS)}")
        if request.style and self.style_named(request.style) is None:
            offered = ", ".join(style.name for style in self.styles) or "none"
            raise UnsupportedRequestError(
                "style", f"{request.style!r} is not a style of preset {self.name!r}; it offers {offered}"
            )
        if request.fps not in self.fps:
            allowed = ", ".join(map(str, self.fps))
            raise UnsupportedRequestError(
                "fps", f"{request.fps} is not offered by preset {self.name!r}; choose {allowed}"
            )
        steps = self.steps_for(request)
        if not 1 <= steps <= self.max_steps:
            raise UnsupportedRequestError("steps", f"{steps} is outside 1 to {self.max_steps}")
        guidance = self.guidance_for(request)
        if not 0.0 <= guidance <= 20.0:
            raise UnsupportedRequestError("guidance", f"{guidance} is outside 0 to 20")

    def steps_for(self, request: GenerationRequest) -> int:
        return request.steps if request.steps is not None else self.default_steps

    def guidance_for(self, request: GenerationRequest) -> float:
        return request.guidance if request.guidance is not None else self.default_guidance


FAMILY_DEFAULTS = {
    # Wan 2.1 T2V 1.3B: 480p, 16 fps, frame counts of the form 4k+1.
    "wan": dict(
        sizes=((832, 480), (480, 832), (624, 624)),
        frame_counts=(33, 49, 81),
        fps=(16,),
        default_steps=50,
        default_guidance=5.0,
        max_sequence_length=512,
        max_batch=1,
    ),
    # LTX-Video: multiples of 32, 24 fps, frame counts of the form 8k+1.
    "ltx": dict(
        sizes=((704, 480), (480, 704), (768, 512)),
        frame_counts=(49, 97, 121),
        fps=(24,),
        default_steps=50,
        default_guidance=3.0,
        max_sequence_length=128,
        max_batch=1,
    ),
}


def _var_dir(environ) -> Path:
    return Path(environ.get("VAR_DIR") or Path(__file__).resolve().parent.parent / "var")


TINY_STYLES = {"ink": 1.0, "grain": 0.7}  # the tiny preset's styles and weights, built from code


def tiny_preset(path: Path | str, family: str = "wan", *, image_path: Path | str | None = None) -> Preset:
    """The tiny, randomly initialised model: real pipeline code, noise for frames, seconds on a CPU.

    It offers image to video too: the Wan layout with a tiny Wan2.1-style I2V model at ``image_path``
    (default: beside ``path``), the LTX layout with the same folder. The Wan layout also has the tiny
    styles, adapters built from code beside ``path``."""
    path = Path(path)
    if family == "wan":
        image_path = Path(image_path) if image_path else path.with_name(f"{path.name}-i2v")
        styles = tuple(
            Adapter(name=name, path=path.with_name(f"{path.name}-{name}-lora"), weight=weight)
            for name, weight in TINY_STYLES.items()
        )
    else:
        image_path, styles = None, ()
    return Preset(
        name="tiny" if family == "wan" else f"tiny-{family}",
        path=Path(path),
        family=family,
        model_id=f"vernissage/tiny-{family} (random weights)",
        dtype="float32",
        default_steps=4,
        max_steps=50,
        default_guidance=5.0,
        sizes=((64, 64), (128, 128), (256, 256), (256, 144), (144, 256))
        if family == "wan"
        else ((64, 64), (128, 128), (256, 256)),
        frame_counts=(9, 17, 25, 33),
        fps=(8, 12, 16, 24),
        max_sequence_length=32,
        max_batch=4,
        modes=("text", "image"),
        image_path=image_path,
        styles=styles,
        build_tiny_if_missing=True,
    )


def turbo_preset(model_path: Path | str, adapter_path: Path | str) -> Preset:
    """The tiny model with a tiny style adapter, four steps and guidance off: the turbo path, testable."""
    return replace(
        tiny_preset(model_path),
        name="turbo",
        model_id="vernissage/tiny-wan + tiny-style LoRA (random weights)",
        default_steps=4,
        max_steps=8,
        default_guidance=0.0,
        adapters=(Adapter(name="tiny-style", path=Path(adapter_path), weight=0.8),),
        scheduler_shift=5.0,
        modes=("text",),
        image_path=None,
        styles=(),
    )


def _flag(environ, name: str) -> bool:
    value = environ.get(name, "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise InferenceError(f"{name}={value!r} is not a boolean (use true or false).")


def presets_from_env(environ=None) -> dict[str, Preset]:
    """Every preset the environment describes, by name."""
    environ = os.environ if environ is None else environ
    tiny_path = environ.get("INFERENCE_TINY_PATH") or _var_dir(environ) / "models" / "tiny-wan"
    adapter_path = environ.get("INFERENCE_TINY_ADAPTER_PATH") or _var_dir(environ) / "models" / "tiny-wan-style-lora"
    tiny = tiny_preset(tiny_path, image_path=environ.get("INFERENCE_TINY_I2V_PATH") or None)
    presets = {"tiny": tiny, "turbo": turbo_preset(tiny_path, adapter_path)}

    model_path = environ.get("INFERENCE_MODEL_PATH")
    if model_path:
        family = environ.get("INFERENCE_MODEL_FAMILY") or family_of(Path(model_path))
        name = environ.get("INFERENCE_MODEL_PRESET", "studio")
        presets[name] = Preset(
            name=name,
            path=Path(model_path),
            family=family,
            model_id=environ.get("INFERENCE_MODEL_ID") or Path(model_path).name,
            dtype=environ.get("INFERENCE_DTYPE", "auto"),
            cpu_offload=_flag(environ, "INFERENCE_CPU_OFFLOAD"),
            vae_tiling=_flag(environ, "INFERENCE_VAE_TILING"),
            compile=_flag(environ, "INFERENCE_COMPILE"),
            step_cache=environ.get("INFERENCE_STEP_CACHE", "off"),
            **FAMILY_DEFAULTS[family],
        )

    presets_file = environ.get("INFERENCE_PRESETS_FILE")
    if presets_file:
        for preset in load_presets_file(Path(presets_file)):
            presets[preset.name] = preset
    return presets


def _entries_with_lines(text: str) -> list[tuple[int, object]]:
    """The entries of a JSON list, each with the line it starts on (for errors a person can find)."""
    decoder = json.JSONDecoder()
    position = len(text) - len(text.lstrip())
    if not text[position : position + 1] == "[":
        raise ValueError("the file must hold a JSON list of presets")
    position += 1
    entries = []
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if text[position : position + 1] == "]":
            return entries
        line = text.count("\n", 0, position) + 1
        entry, position = decoder.raw_decode(text, position)  # a JSONDecodeError names its own line
        entries.append((line, entry))


def load_presets_file(path: Path) -> list[Preset]:
    """Presets from a JSON list of objects with Preset's field names; an error names the file and the line
    of the entry at fault."""
    try:
        entries = _entries_with_lines(path.read_text())
    except (OSError, ValueError) as exc:
        raise InferenceError(f"INFERENCE_PRESETS_FILE {path}: cannot read a JSON list ({exc}).") from exc
    presets = []
    for line, entry in entries:
        try:
            presets.append(_preset_from_entry(entry))
        except (InferenceError, KeyError, TypeError, ValueError) as exc:
            why = f"needs {exc}" if isinstance(exc, KeyError) else str(exc)
            raise InferenceError(f"INFERENCE_PRESETS_FILE {path}, line {line}: {why}") from exc
    return presets


def _preset_from_entry(entry) -> Preset:
    if not isinstance(entry, dict):
        raise InferenceError("each preset is a JSON object")
    unknown = set(entry) - {f.name for f in fields(Preset)}
    if unknown:
        raise InferenceError(f"unknown preset fields {sorted(unknown)}.")
    family = entry.get("family") or family_of(Path(entry["path"]))
    if family not in FAMILY_DEFAULTS:
        raise InferenceError(f"family must be one of {', '.join(FAMILY_DEFAULTS)}, not {family!r}.")
    base = Preset(name=entry["name"], path=Path(entry["path"]), family=family, **FAMILY_DEFAULTS[family])
    values = {k: v for k, v in entry.items() if k not in ("name", "path", "family")}
    for key in ("sizes",):
        if key in values:
            values[key] = tuple(tuple(size) for size in values[key])
    for key in ("frame_counts", "fps", "modes"):
        if key in values:
            values[key] = tuple(values[key])
    if values.get("image_path"):
        values["image_path"] = Path(values["image_path"])
    for key in ("adapters", "styles"):
        if key in values:
            try:
                values[key] = tuple(
                    Adapter(name=a["name"], path=Path(a["path"]), weight=float(a.get("weight", 1.0)))
                    for a in values[key]
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise InferenceError(f"{key} must be a list of {{name, path, weight}} ({exc}).") from exc
    return replace(base, **values)
