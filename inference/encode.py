"""Frames to files: H.264 MP4 through the ffmpeg binary imageio-ffmpeg ships, and a poster image."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from PIL import Image

from inference.types import InferenceError

ENCODE_CHUNK_FRAMES = 16


def encode_mp4(
    frames: np.ndarray,
    *,
    fps: int,
    path: Path,
    metadata: dict | None = None,
    crf: int = 18,
    stop: Callable[[int, int], bool] | None = None,
) -> bool:
    """Write ``frames`` (uint8, frames x height x width x RGB) as an H.264 MP4.

    yuv420p for players everywhere, faststart so playback begins before the
    download ends, exactly ``fps`` frames per second, and ``metadata`` as JSON in
    the container's comment tag. Written to a temporary name and renamed, so a
    reader never sees half a file.

    Frames go to ffmpeg in chunks; ``stop(frames written, frames)`` is asked before each chunk
    and after the last, and when it says yes the encoder is stopped, nothing is left on disk,
    and False is returned. True when the file is written.
    """
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"frames must be uint8 of shape (frames, height, width, 3), not {frames.dtype} {frames.shape}")
    count, height, width, _ = frames.shape
    if width % 2 or height % 2:
        raise ValueError(f"yuv420p needs even dimensions, not {width}x{height}")
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-framerate", str(fps), "-i", "-",
        "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf), "-pix_fmt", "yuv420p",
        "-r", str(fps), "-movflags", "+faststart",
        "-metadata", f"comment={json.dumps(metadata or {}, sort_keys=True)}",
        "-f", "mp4", str(partial),
    ]  # fmt: skip
    stop = stop or (lambda done, total: False)
    with tempfile.TemporaryFile() as errors:
        encoder = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors)
        stopped = False
        try:
            for start in range(0, count, ENCODE_CHUNK_FRAMES):
                if stop(start, count):
                    stopped = True
                    break
                encoder.stdin.write(np.ascontiguousarray(frames[start : start + ENCODE_CHUNK_FRAMES]).tobytes())
        except BrokenPipeError:
            pass  # ffmpeg exited early; its return code and stderr say why
        finally:
            if stopped:
                encoder.kill()
            with contextlib.suppress(BrokenPipeError):
                encoder.stdin.close()
            returncode = encoder.wait()
        stopped = stopped or stop(count, count)
        if stopped:
            partial.unlink(missing_ok=True)
            return False
        if returncode != 0:
            partial.unlink(missing_ok=True)
            errors.seek(0)
            message = errors.read().decode(errors="replace")[-500:]
            raise InferenceError(f"ffmpeg could not encode {count} frames: {message}")
    os.replace(partial, path)
    return True


def write_poster(frame: np.ndarray, path: Path) -> None:
    """A JPEG still for the player and the gallery, written atomically."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    Image.fromarray(frame).save(partial, format="JPEG", quality=90)
    os.replace(partial, path)


def read_mp4(path: Path) -> tuple[np.ndarray, dict]:
    """Decode an MP4 back to uint8 frames, with its fps, size, duration and comment metadata."""
    reader = imageio_ffmpeg.read_frames(str(path), pix_fmt="rgb24")
    meta = next(reader)
    width, height = meta["size"]
    frames = np.stack([np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3) for raw in reader])
    tags = subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-i",
            str(path),
            "-f",
            "ffmetadata",
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    comment = next((line[len("comment=") :] for line in tags.splitlines() if line.startswith("comment=")), "{}")
    comment = re.sub(r"\\(.)", r"\1", comment)  # ffmetadata escapes = ; # \ and newlines with a backslash
    return frames, {
        "fps": meta["fps"],
        "size": (width, height),
        "duration": meta["duration"],
        "comment": json.loads(comment),
    }
