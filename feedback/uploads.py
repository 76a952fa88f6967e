"""Attachment checks by content, never by name or header: PNG, JPEG and WebP must decode with Pillow
and are re-encoded without their metadata; MP4 and WebM must be what puremagic says and decode with
ffmpeg. Anything else is refused with a sentence that names the problem."""

from __future__ import annotations

import io
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import puremagic
from PIL import Image, UnidentifiedImageError

MAX_BYTES = 20 * 1024 * 1024
MAX_PER_REPORT = 5
MAX_PIXELS = 40_000_000
IMAGE_FORMATS = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg"), "WEBP": ("image/webp", "webp")}
VIDEO_TYPES = {".mp4": ("video/mp4", "mp4"), ".webm": ("video/webm", "webm")}
ALLOWED = "PNG, JPEG, WebP, MP4 or WebM"


class UploadRefused(ValueError):
    """The file cannot be attached; the message says why, in words the uploader can act on."""


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


def check_image_size(width: int, height: int) -> None:
    """Refuse an image whose header claims more than MAX_PIXELS, before any pixel is decoded (a small
    file can claim 30000x30000 and cost gigabytes to decode). For every image the product accepts."""
    if width * height > MAX_PIXELS:
        raise UploadRefused(
            f"The image is {width}x{height} pixels; images are at most {MAX_PIXELS // 1_000_000} megapixels "
            "(for example 7680x5000). Scale it down and attach it again."
        )


def _image(data: bytes) -> CheckedFile | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # ours is the lower limit below
            probe = Image.open(io.BytesIO(data))  # reads the header only
        with probe:
            kind = probe.format
            check_image_size(*probe.size)
            probe.verify()
    except UploadRefused:
        raise
    except Image.DecompressionBombError:  # Pillow's own limit, far above ours, found at open
        raise UploadRefused(
            f"The image claims more pixels than an image may have; images are at most {MAX_PIXELS // 1_000_000} "
            "megapixels."
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None
    if kind not in IMAGE_FORMATS:
        raise UploadRefused(f"This is a {kind} image; attach {ALLOWED}.")
    if not data.startswith(_SIGNATURES[kind]):  # a polyglot: an image after something else
        raise UploadRefused("The file does not start like the image it contains; attach a plain image.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image.info = {}  # no EXIF, XMP, ICC or text chunks are carried over
            out = io.BytesIO()
            image.save(out, format=kind)  # a fresh file: only the pixels, nothing appended
    except (OSError, ValueError) as exc:
        raise UploadRefused(f"The image is damaged ({exc}).") from None
    content_type, extension = IMAGE_FORMATS[kind]
    return CheckedFile(out.getvalue(), content_type, extension)


_SIGNATURES = {"PNG": b"\x89PNG\r\n\x1a\n", "JPEG": b"\xff\xd8\xff", "WEBP": b"RIFF"}


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
