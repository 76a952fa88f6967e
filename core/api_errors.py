"""One error shape for the whole API:

    {"error": {"code": "invalid", "message": "...", "fields": {"name": "required"}}}

Codes are stable (docs/api.md lists them); messages are for people and may change.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.dispatch import Signal
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ApplicationError
from core.parsers import PayloadTooLarge
from core.upload_limits import UploadTooLarge

logger = logging.getLogger(__name__)

_CODES = {
    exceptions.ParseError: "malformed_request",
    exceptions.AuthenticationFailed: "not_authenticated",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limited",
}


def error_body(code: str, message: str, fields: dict | None = None, **extra) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}, **extra}}


def _flatten(detail) -> dict:
    """DRF's nested ValidationError detail as {"field": "first message", "nested.field": "..."}."""
    if isinstance(detail, dict):
        flat = {}
        for key, value in detail.items():
            for sub_key, message in _flatten(value).items():
                flat[f"{key}.{sub_key}" if sub_key else str(key)] = message
        return flat
    if isinstance(detail, list):
        if detail and isinstance(detail[0], dict | list):
            flat = {}
            for index, item in enumerate(detail):
                for sub_key, message in _flatten(item).items():
                    flat[f"{index}.{sub_key}" if sub_key else str(index)] = message
            return flat
        return {"": str(detail[0]) if detail else "invalid"}
    return {"": str(detail)}


# Sent with the request when the API answers 429: such a request did no work, and counters that
# counted it (accounts.leaks) take it back.
request_refused_as_too_many = Signal()


def exception_handler(exc, context):
    response = _error_response(exc, context)
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS:
        request_refused_as_too_many.send(sender=exception_handler, request=context["request"])
    return response


def _error_response(exc, context):
    if isinstance(exc, UploadTooLarge):
        exc = PayloadTooLarge(str(exc))
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        exc = exceptions.ParseError("Too many form fields or files in one request.")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("No such object, or not one you may see.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.fields, **exc.extra), status=exc.status)
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        general = fields.pop("non_field_errors", None) or fields.pop("", None)
        message = general or "Some fields need fixing: " + ", ".join(sorted(fields))
        return Response(error_body("invalid", message, fields), status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled API error", exc_info=exc)
        return Response(
            error_body("server_error", "Something went wrong on our side; nothing was changed. Try again shortly."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    # A code given where the exception was raised (token_expired, say) wins over the generic one.
    code = getattr(exc.detail, "code", None) if isinstance(exc.detail, exceptions.ErrorDetail) else None
    if code is None or code == exc.default_code:
        code = _CODES.get(type(exc), exc.default_code)
    response.data = error_body(code, str(exc.detail))
    return response


def api_not_found(request, exception=None):
    return JsonResponse(error_body("not_found", "There is no API endpoint at this address."), status=404)


def api_server_error(request):
    return JsonResponse(
        error_body("server_error", "Something went wrong on our side; nothing was changed. Try again shortly."),
        status=500,
    )
