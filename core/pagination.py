"""Cursor pagination that refuses a tampered cursor with a 400 naming it, never a 404 or a 500."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from rest_framework import pagination, serializers
from rest_framework.exceptions import NotFound

from core.errors import ApplicationError

_BASE64 = re.compile(r"[A-Za-z0-9+/=_-]{1,400}")


def invalid_cursor() -> ApplicationError:
    return ApplicationError(
        "invalid", "This page link is not valid; start again from the first page.", fields={"cursor": "invalid"}
    )


class CursorPagination(pagination.CursorPagination):
    def paginate_queryset(self, queryset, request, view=None):
        self.model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        raw = request.query_params.get(self.cursor_query_param)
        if raw is not None and not _BASE64.fullmatch(raw):
            raise invalid_cursor()
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise invalid_cursor() from None
        if cursor is not None and cursor.position is not None:
            # The position is compared with the first ordering field in SQL: check it is one of its values.
            field = self.model._meta.get_field(self.ordering[0].lstrip("-"))
            try:
                field.to_python(cursor.position)
            except (ValidationError, ValueError, TypeError):
                raise invalid_cursor() from None
        return cursor


def page_of(item_serializer: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """The shape of one page of ``item_serializer`` (``next``, ``previous``, ``results``), for the schema."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item_serializer(many=True),
        },
    )


def page_response(request, view, queryset, serializer_class, *, ordering: tuple[str, ...], page_size: int = 50):
    """One page of ``queryset`` in the API's one list shape (``next``, ``previous``, ``results``), following
    ``ordering`` (unique at its end); ``page_size`` up to 200 may be asked for with ``?page_size=``."""
    paginator = CursorPagination()
    paginator.ordering, paginator.page_size = ordering, page_size
    paginator.page_size_query_param, paginator.max_page_size = "page_size", 200
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)
