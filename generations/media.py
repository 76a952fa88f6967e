"""Serving private clips: permission-checked or signed, with HTTP Range so players can seek, and the
validators of RFC 9110 (ETag, Last-Modified) so a client or a cache asks again cheaply."""

from __future__ import annotations

import re

from django.conf import settings
from django.core import signing
from django.core.files.storage import Storage
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from generations.models import Generation

SALT = "vernissage.media"
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CONTENT_TYPES = {"video": "video/mp4", "poster": "image/jpeg"}
KINDS = (*CONTENT_TYPES, "image")  # image: the start image an image-to-video clip was made from


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
    if data.get("k") not in KINDS:
        raise Http404
    return int(data["g"]), data["k"], data.get("v")


def serve(request, generation: Generation, kind: str):
    if kind == "image":
        start = generation.start_image
        if start is None or generation.deleted_at:
            raise Http404("This clip was not made from an image.")
        extension = start.file.name.rsplit(".", 1)[-1]
        return serve_file(
            request, start.file, start.content_type, filename=f"vernissage-start-{start.sha256[:12]}.{extension}",
            sha256=start.sha256,
        )  # fmt: skip
    field = generation.video if kind == "video" else generation.poster
    if not field or generation.deleted_at:
        raise Http404("This clip has no file (yet).")
    extension = "mp4" if kind == "video" else "jpg"
    return serve_file(
        request, field, CONTENT_TYPES[kind], filename=f"vernissage-{generation.seed}.{extension}",
        sha256=generation.video_sha256 if kind == "video" else "",
    )  # fmt: skip


def validators(field, *, sha256: str = "") -> tuple[str, float | None]:
    """The file's ETag and modification time. The ETag is strong (the content's SHA-256) where the hash
    is stored, so a resumed download may use it in If-Range; otherwise it is weak (size and time),
    good for revalidation only."""
    storage, name = field.storage, field.name
    modified = _modified_time(storage, name)
    if sha256:
        return f'"{sha256}"', modified
    return f'W/"{storage.size(name)}-{int(modified or 0)}"', modified


def _modified_time(storage, name: str) -> float | None:
    """When the file last changed, where the storage backend can tell: Django's base Storage leaves
    get_modified_time to the backend, and not every backend keeps the time."""
    if type(storage).get_modified_time is Storage.get_modified_time:
        return None
    try:
        return storage.get_modified_time(name).timestamp()
    except OSError:  # gone, or unreadable, since it was opened
        return None


def _range_still_applies(request, etag: str, modified: float | None) -> bool:
    """If-Range (RFC 9110, 13.1.5): the range is served only when the validator sent matches the file
    exactly (a strong ETag, or the Last-Modified date); otherwise the whole, current file is sent."""
    if_range = request.headers.get("If-Range")
    if if_range is None:
        return True
    if if_range.startswith(("W/", '"')):
        return not etag.startswith("W/") and if_range == etag
    return modified is not None and if_range == http_date(modified)


def serve_file(request, field, content_type: str, *, public: bool = False, filename: str = "", sha256: str = ""):
    """A stored file with HTTP Range, ETag and Last-Modified (304 to a conditional GET); private
    (per-browser cache) unless ``public``; HEAD answers the headers alone. ``filename`` names the
    download (the stored name says nothing of the clip)."""
    finish = _public if public else _private
    storage, name = field.storage, field.name
    etag, modified = validators(field, sha256=sha256)
    not_modified = get_conditional_response(request, etag=etag, last_modified=int(modified) if modified else None)
    if not_modified is not None:  # 304 (or 412 for a failed If-Match)
        return finish(_with_validators(not_modified, etag, modified))
    size = storage.size(name)
    header = request.headers.get("Range", "")
    match = _RANGE.match(header.strip()) if header else None
    if not match or (not match.group(1) and not match.group(2)) or not _range_still_applies(request, etag, modified):
        if request.method == "HEAD":
            response = HttpResponse(content_type=content_type)
        else:
            response = FileResponse(storage.open(name, "rb"), content_type=content_type, filename=filename)
        response["Accept-Ranges"] = "bytes"
        response["Content-Length"] = str(size)
        return finish(_with_validators(response, etag, modified))
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

    body = chunks() if request.method != "HEAD" else iter(())
    response = StreamingHttpResponse(body, status=206, content_type=content_type)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    return finish(_with_validators(response, etag, modified))


def sends_first_byte(request, response) -> bool:
    """Whether ``response`` (from serve_file) carries the file's start: a whole GET, or a range from
    byte 0. A download resumed over several requests counts once by this."""
    if request.method != "GET":
        return False
    return response.status_code == 200 or (
        response.status_code == 206 and response["Content-Range"].startswith("bytes 0-")
    )


def _with_validators(response, etag: str, modified: float | None):
    response["ETag"] = etag
    if modified is not None:
        response["Last-Modified"] = http_date(modified)
    return response


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
    # Short: a withdrawn or taken-down clip must leave shared caches soon. The same for everyone, so a
    # shared cache may keep it (core.http.SharedCacheMiddleware drops the session's "Vary: Cookie").
    response["Cache-Control"] = "public, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    response.shared_cacheable = True
    return response
