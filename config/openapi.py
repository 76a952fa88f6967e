"""Parts of the API that are not DRF views, described for the schema: the signed media links that
generation answers carry, and the public gallery's files (both plain Django views)."""

from __future__ import annotations

MEDIA_ANSWERS = {
    "200": {
        "description": "The whole file (Range gives 206 with part of it).",
        "content": {
            "video/mp4": {"schema": {"type": "string", "format": "binary"}},
            "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
        },
    },
    "206": {"description": "The range asked for (Content-Range says which)."},
    "304": {"description": "Not modified since the ETag or Last-Modified sent."},
    "404": {"description": "No such file, or the link is invalid or has expired."},
    "416": {"description": "The range asked for lies outside the file."},
}
RANGE = {
    "in": "header", "name": "Range", "required": False,
    "schema": {"type": "string", "pattern": "^bytes=[0-9]*-[0-9]*$"},
    "description": "Part of the file, as players seek.",
}  # fmt: skip


def describe_media(result, generator, request, public):
    """Add the media paths: ``video_url`` and ``poster_url`` of a generation are /media/s/{token}/ links
    (no credentials: the token is signed and expires), and a publication's files are public."""
    result.setdefault("paths", {})
    result["paths"]["/media/s/{token}/"] = {
        "get": {
            "operationId": "media_signed_retrieve", "tags": ["media"], "security": [{}],
            "summary": "A clip's video or poster through the signed link an API answer carries",
            "parameters": [
                {"in": "path", "name": "token", "required": True, "schema": {"type": "string"},
                 "description": "The last part of `video_url` or `poster_url`."},
                RANGE,
            ],
            "responses": MEDIA_ANSWERS,
        }
    }  # fmt: skip
    result["paths"]["/gallery/{public_id}/{kind}/"] = {
        "get": {
            "operationId": "gallery_media_retrieve", "tags": ["media"], "security": [{}],
            "summary": "A published clip's public, signed copy or its poster",
            "parameters": [
                {"in": "path", "name": "public_id", "required": True, "schema": {"type": "string", "format": "uuid"}},
                {"in": "path", "name": "kind", "required": True,
                 "schema": {"type": "string", "enum": ["video", "poster"]}},
                RANGE,
            ],
            "responses": MEDIA_ANSWERS,
        }
    }  # fmt: skip
    return result
