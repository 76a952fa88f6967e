"""Logging helpers named in settings.LOGGING."""

import contextvars
import json
import logging
import re
import time
import uuid


class ClientErrorsWithoutTraceback(logging.Filter):
    """A 4xx answer is the client's business: one line in the log, not a traceback (Django attaches the
    PermissionDenied or Http404 it handled). A 5xx keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True


# --- Structured logs: LOG_FORMAT=json -------------------------------------------------------------
# One JSON object per line, with the request's id (X-Request-ID, taken from a proxy or made here) or the
# Celery task's id, so an operator's log pipeline can follow one request or job through every line.

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
task_id: contextvars.ContextVar[str] = contextvars.ContextVar("task_id", default="")
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class RequestIdMiddleware:
    """Names each request: the proxy's X-Request-ID when it is a plain token, else a new one; echoed back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        token = request_id.set(given if _SANE_ID.match(given) else uuid.uuid4().hex)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id.get()
            return response
        finally:
            request_id.reset(token)


class ContextIds(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id, record.task_id = request_id.get(), task_id.get()
        return True


class JsonLines(logging.Formatter):
    converter = time.gmtime  # the times are UTC ("Z")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in ("request_id", "task_id"):
            if getattr(record, name, ""):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
