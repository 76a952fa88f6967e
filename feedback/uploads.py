"""Attachment checks by content, never by name or header: PNG, JPEG and WebP must decode with Pillow
and are re-encoded without their metadata (core.images); MP4 and WebM must be what puremagic says
and decode with ffmpeg. Anything else is refused with a sentence that names the problem."""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import puremagic

from core.images import MAX_PIXELS, UploadRefused, read_image

MAX_BYTES = 20 * 1024 * 1024
MAX_PER_REPORT = 5
VIDEO_TYPES = {".mp4": ("video/mp4", "mp4"), ".webm": ("video/webm", "webm")}
ALLOWED = "PNG, JPEG, WebP, MP4 or WebM"
__all__ = ["MAX_BYTES", "MAX_PER_REPORT", "MAX_PIXELS", "CheckedFile", "UploadRefused", "check_upload"]


@dataclass(frozen=True)
class CheckedFile:
    content: bytes  # what is stored: re-encoded for images, as uploaded for video
    content_type: str
    extension: str


def check_upload(data: bytes) -> CheckedFile:
    if not data:
        raise UploadRefused("The file is empty.")
    if len(data) > MAX_BYTES:
        raise UploadRefused(f"The file is {len(data) / 1024 / 1024:.1f} MB; attachments are at most 20 MB.")
    image = _image(data)
    if image is not None:
        return image
    return _video(data)


def _image(data: bytes) -> CheckedFile | None:
    image = read_image(data, allowed=ALLOWED)
    return CheckedFile(image.content, image.content_type, image.extension) if image else None


def _video(data: bytes) -> CheckedFile:
    try:
        extension = puremagic.from_string(data)
    except puremagic.PureError:
        raise UploadRefused(f"This is not a file type attachments take; attach {ALLOWED}.") from None
    if extension in (".m4v", ".mov", ".m4a", ".3gp"):
        extension = ".mp4" if data[4:8] == b"ftyp" else extension
    if extension not in VIDEO_TYPES or not _decodes(data):
        if extension in VIDEO_TYPES:
            raise UploadRefused("The video is damaged or cut short; it does not play.")
        raise UploadRefused(f"This is not a file type attachments take; attach {ALLOWED}.")
    content_type, suffix = VIDEO_TYPES[extension]
    return CheckedFile(data, content_type, suffix)


def _decodes(data: bytes) -> bool:
    """Whether ffmpeg decodes the whole video without an error."""
    with tempfile.TemporaryDirectory(prefix="vernissage-upload-") as scratch:
        path = Path(scratch) / "upload"
        path.write_bytes(data)
        result = subprocess.run(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-xerror", "-i", str(path), "-f", "null", "-"],
            capture_output=True,
            timeout=60,
        )
    return result.returncode == 0 and not result.stderr.strip()
