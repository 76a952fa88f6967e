"""Request body parsers for the API: DRF's, with limits that turn hostile bodies into 4xx answers.

DRF reads a JSON or form body from the request stream without Django's size check, and Python's json
module answers a deeply nested document with RecursionError (a 500). These read at most
DATA_UPLOAD_MAX_MEMORY_SIZE bytes (413 past it) and refuse nesting as a malformed request.
"""

from __future__ import annotations

from django.conf import settings
from django.http import QueryDict
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.utils import json


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def read_limited(stream) -> bytes:
    if stream is None:
        return b""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise PayloadTooLarge(f"The request body is larger than {limit:,} bytes.")
    return body


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        body = read_limited(stream)
        try:
            return json.loads(body.decode(encoding))  # DRF's json: NaN and Infinity are refused
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        return QueryDict(read_limited(stream), encoding=encoding)  # QueryDict limits the number of fields
