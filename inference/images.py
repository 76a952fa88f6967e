"""Start images for image to video: opened, turned upright and fitted to the clip's size."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageOps

from inference.types import UnsupportedRequestError


def fit_start_image(path: Path | str, width: int, height: int, fit: str = "crop") -> Image.Image:
    """The image at ``path`` as RGB at exactly ``width`` x ``height``: ``crop`` scales it to cover the
    frame and cuts the overflow evenly from both sides; ``pad`` scales it to fit inside and fills the
    rest with black. Either way the image keeps its proportions."""
    try:
        with Image.open(path) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGB")
    except (OSError, ValueError) as exc:
        raise UnsupportedRequestError("start_image", f"cannot be read as an image ({exc})") from exc
    if fit == "pad":
        return ImageOps.pad(image, (width, height), method=Image.Resampling.LANCZOS, color=(0, 0, 0))
    return ImageOps.fit(image, (width, height), method=Image.Resampling.LANCZOS)
