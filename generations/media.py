"""Serving private clips: permission-checked or signed, with HTTP Range so players can seek."""

from __future__ import annotations

import re

from django.conf import settings
from django.core import signing
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.urls import reverse

from generations.models import Generation

SALT = "vernissage.media"
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CONTENT_TYPES = {"video": "video/mp4", "poster": "image/jpeg"}


def signed_url(generation: Generation, kind: str, *, viewer_id: int | None = None) -> str:
    """A URL that works without a session until MEDIA_URL_MAX_AGE_SECONDS pass; it cannot be forged or altered.
    It names the person it was made for, so a staff member's use of it is recorded for the artist."""
    token = signing.dumps({"g": generation.pk, "k": kind, "v": viewer_id}, salt=SALT, compress=True)
    return reverse("media_signed", kwargs={"token": token})


def read_signed(token: str) -> tuple[int, str, int | None]:
    """The generation's id, the kind of file and the id of the person the URL was made for."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.MEDIA_URL_MAX_AGE_SECONDS)
    except signing.BadSignature:  # SignatureExpired is a BadSignature too
        raise Http404("This link is invalid or has expired.") from None
    if data.get("k") not in CONTENT_TYPES:
        raise Http404
    return int(data["g"]), data["k"], data.get("v")


def serve(request, generation: Generation, kind: str):
    field = generation.video if kind == "video" else generation.poster
    if not field or generation.deleted_at:
        raise Http404("This clip has no file (yet).")
    extension = "mp4" if kind == "video" else "jpg"
    return serve_file(request, field, CONTENT_TYPES[kind], filename=f"vernissage-{generation.seed}.{extension}")


def serve_file(request, field, content_type: str, *, public: bool = False, filename: str = ""):
    """A stored file with HTTP Range; private (per-browser cache) unless ``public``. ``filename`` names the
    download (the stored name is a hash)."""
    finish = _public if public else _private
    storage, name = field.storage, field.name
    size = storage.size(name)
    header = request.headers.get("Range", "")
    match = _RANGE.match(header.strip()) if header else None
    if not match or (not match.group(1) and not match.group(2)):
        response = FileResponse(storage.open(name, "rb"), content_type=content_type, filename=filename)
        response["Accept-Ranges"] = "bytes"
        response["Content-Length"] = str(size)
        return finish(response)
    first, last = (_position(group) for group in match.groups())
    if first is not None:
        start, end = first, min(last, size - 1) if last is not None else size - 1
    else:  # a suffix range: the last N bytes
        start, end = max(0, size - last), size - 1
    if start >= size or start > end:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    length = end - start + 1

    def chunks(chunk_size=1 << 16):
        with storage.open(name, "rb") as fh:
            fh.seek(start)
            remaining = length
            while remaining > 0:
                data = fh.read(min(chunk_size, remaining))
                if not data:
                    break
                remaining -= len(data)
                yield data

    response = StreamingHttpResponse(chunks(), status=206, content_type=content_type)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    return finish(response)


def _position(digits: str) -> int | None:
    """A byte position from a Range header. Any position past 18 digits is past the end of every file; it
    is not converted (Python refuses to convert a 5,000-digit number, and there is no need to)."""
    if not digits:
        return None
    return int(digits) if len(digits) <= 18 else 10**18


def _private(response):
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _public(response):
    # Short: a withdrawn or taken-down clip must leave shared caches soon.
    response["Cache-Control"] = "public, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response
