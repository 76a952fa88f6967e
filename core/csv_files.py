"""CSV downloads as spreadsheets open them: UTF-8 always said, and a byte-order mark on request."""

from __future__ import annotations

from django.http import HttpResponse

BYTE_ORDER_MARK = "\ufeff"


def wants_excel(request) -> bool:
    """A page's "for Excel" link adds ?excel=1."""
    return request.GET.get("excel") in ("1", "true")


def csv_response(text: str, *, filename: str, excel: bool = False) -> HttpResponse:
    """``text`` as a CSV download. For ``excel`` it starts with a UTF-8 byte-order mark, without which
    Excel on Windows reads UTF-8 as its local code page ("ZoÃ«" for "Zoë"); other tools do not need it."""
    response = HttpResponse((BYTE_ORDER_MARK if excel else "") + text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
