"""The one application error type. Services raise it; the API and the pages render it."""

from __future__ import annotations


class ApplicationError(Exception):
    """A refusal a person can act on: a stable ``code``, a ``message``, and the ``fields`` at fault.

    ``status`` is the HTTP status the API answers with (400 unless said otherwise).
    """

    def __init__(
        self, code: str, message: str, *, fields: dict | None = None, status: int = 400, extra: dict | None = None
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.status = status
        self.extra = extra or {}
