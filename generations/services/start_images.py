"""Start images: an artist's upload, checked by content and stored re-encoded, for image-to-video clips."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from core.errors import ApplicationError
from core.images import UploadRefused, read_image
from core.stored_files import save_with_file
from generations import selectors
from generations.models import StartImage

MAX_BYTES = 10 * 1024 * 1024
PER_DAY = 200  # uploads per artist per day: plenty for work, a bound on what one account can store
ALLOWED = "PNG, JPEG or WebP"


def _refuse(message: str, status: int = 400, code: str = "invalid") -> ApplicationError:
    return ApplicationError(code, message, fields={"file": message}, status=status)


def start_image_upload(*, artist: User, data: bytes) -> StartImage:
    """Store ``data`` as the artist's start image once it is a PNG, JPEG or WebP of at most 10 MB and
    40 megapixels; re-encoded without metadata. Refusals name what to fix; nothing is stored then."""
    if not selectors.artist_cohorts(user=artist).exists():
        raise ApplicationError("membership_inactive", "You are not an active artist in any cohort.", status=403)
    if not data:
        raise _refuse("The file is empty; choose a PNG, JPEG or WebP image.")
    if len(data) > MAX_BYTES:
        raise _refuse(
            f"The image is {len(data) / 1024 / 1024:.1f} MB; start images are at most {MAX_BYTES // 1024 // 1024} MB. "
            "Save it smaller (a 1280-pixel JPEG is plenty) and upload it again."
        )
    since = timezone.now() - timedelta(days=1)
    if StartImage.objects.filter(artist=artist, created_at__gte=since).count() >= PER_DAY:
        raise _refuse(f"You uploaded {PER_DAY} images in the last day; try again tomorrow.", 429, "too_many_uploads")
    try:
        image = read_image(data, allowed=ALLOWED)
    except UploadRefused as exc:
        raise _refuse(str(exc)) from None
    if image is None:
        raise _refuse(f"This is not an image the studio takes; upload a {ALLOWED} file.")
    start = StartImage(
        artist=artist, content_type=image.content_type, sha256=hashlib.sha256(image.content).hexdigest(),
        width=image.width, height=image.height, size_bytes=len(image.content),
    )  # fmt: skip
    save_with_file(start, "file", f"{start.public_id}.{image.extension}", image.content)
    return start
