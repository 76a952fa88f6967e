"""Images people upload, checked by content, never by name or header: PNG, JPEG and WebP must decode
with Pillow and are re-encoded without their metadata, so what is stored is only the pixels."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

MAX_PIXELS = 40_000_000
IMAGE_FORMATS = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg"), "WEBP": ("image/webp", "webp")}
_SIGNATURES = {"PNG": b"\x89PNG\r\n\x1a\n", "JPEG": b"\xff\xd8\xff", "WEBP": b"RIFF"}


class UploadRefused(ValueError):
    """The file cannot be taken; the message says why, in words the uploader can act on."""


@dataclass(frozen=True)
class CheckedImage:
    content: bytes  # re-encoded: no EXIF, XMP, ICC or text chunks, nothing appended
    content_type: str
    extension: str
    width: int
    height: int


def check_image_size(width: int, height: int) -> None:
    """Refuse an image whose header claims more than MAX_PIXELS, before any pixel is decoded (a small
    file can claim 30000x30000 and cost gigabytes to decode). For every image the product accepts."""
    if width * height > MAX_PIXELS:
        raise UploadRefused(
            f"The image is {width}x{height} pixels; images are at most {MAX_PIXELS // 1_000_000} megapixels "
            "(for example 7680x5000). Scale it down and attach it again."
        )


def read_image(data: bytes, *, allowed: str = "PNG, JPEG or WebP") -> CheckedImage | None:
    """The image in ``data``, re-encoded; None when ``data`` is not an image at all; UploadRefused
    when it is one the product does not take (another format, too many pixels, damaged, a polyglot).
    ``allowed`` names what the caller takes, for the refusal's sentence."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # ours is the lower limit
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
        raise UploadRefused(f"This is a {kind} image; attach {allowed}.")
    if not data.startswith(_SIGNATURES[kind]):  # a polyglot: an image after something else
        raise UploadRefused("The file does not start like the image it contains; attach a plain image.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image.info = {}
            out = io.BytesIO()
            image.save(out, format=kind)  # a fresh file: only the pixels
            width, height = image.size
    except (OSError, ValueError) as exc:
        raise UploadRefused(f"The image is damaged ({exc}).") from None
    content_type, extension = IMAGE_FORMATS[kind]
    return CheckedImage(out.getvalue(), content_type, extension, width, height)
