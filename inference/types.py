"""The small public vocabulary of the inference package: requests, results, errors."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class GenerationRequest:
    """One clip to render.

    ``id`` is the caller's name for the request (a database id, say); it names
    the output files and is passed back to the progress and cancel callbacks.
    Unset ``steps`` and ``guidance`` take the preset's defaults. ``start_image`` (a
    PNG, JPEG or WebP file) makes it an image-to-video request: the image is fitted
    to the clip's size by ``image_fit`` (``crop`` fills the frame, ``pad`` keeps the
    whole image with black bars). ``style`` names one of the preset's optional
    adapters (Preset.styles) to render with.
    """

    id: str
    prompt: str
    negative_prompt: str = ""
    width: int = 128
    height: int = 128
    num_frames: int = 17
    fps: int = 8
    steps: int | None = None
    guidance: float | None = None
    seed: int = 0
    preset: str = "tiny"
    start_image: str | None = None
    image_fit: str = "crop"
    style: str | None = None

    @property
    def mode(self) -> str:
        return "image" if self.start_image else "text"

    def start_image_sha256(self) -> str | None:
        if not self.start_image:
            return None
        return hashlib.sha256(Path(self.start_image).read_bytes()).hexdigest()

    def parameter_hash(self) -> str:
        """A stable hash of everything that decides the frames (not the id; the image by its content).
        Fields added since the first release count only when set, so older clips keep their hash."""
        params = {k: v for k, v in asdict(self).items() if k not in ("id", "start_image", "image_fit", "style")}
        if self.start_image:
            params.update(start_image=self.start_image_sha256(), image_fit=self.image_fit)
        if self.style:
            params["style"] = self.style
        return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Timings:
    """Seconds spent per phase. ``load_s`` is zero when the pipeline was already warm."""

    load_s: float = 0.0
    denoise_s: float = 0.0
    decode_s: float = 0.0
    encode_s: float = 0.0

    @property
    def total_s(self) -> float:
        return self.load_s + self.denoise_s + self.decode_s + self.encode_s


@dataclass(frozen=True)
class GenerationResult:
    """A finished clip: an H.264 MP4 and a poster image on disk."""

    request_id: str
    video_path: Path
    poster_path: Path
    num_frames: int
    fps: int
    width: int
    height: int
    timings: Timings
    metadata: dict = field(default_factory=dict)
    batch_size: int = 1

    @property
    def duration_s(self) -> float:
        return self.num_frames / self.fps


@dataclass(frozen=True)
class Cancelled:
    """The outcome of a request whose should-cancel callback said yes."""

    request_id: str
    at_step: int


Outcome = GenerationResult | Cancelled


class InferenceError(Exception):
    """Base of every error this package raises on purpose."""


class ModelFolderError(InferenceError):
    """The model folder is missing or is not a supported diffusers pipeline."""


class UnsupportedRequestError(InferenceError):
    """A request asks for something its preset does not allow; ``field`` names the argument."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class GpuOutOfMemoryError(InferenceError):
    """The accelerator ran out of memory. Retrying smaller (fewer frames, a lower size,
    a batch of one, or a preset with CPU offload) may succeed; retrying as is will not."""
