"""Row locks for work queues: many workers or reviewers take rows at once, none waits on another."""

from django.db import connection
from django.db.models import QuerySet


def skip_locked(queryset: QuerySet) -> QuerySet:
    """The rows no one else holds, locked for this transaction (``SELECT ... FOR UPDATE SKIP LOCKED OF``
    the queryset's own table, so joined rows stay free). SQLite has one writer at a time and no row
    locks: there the queryset is returned as it is, and a conditional update decides."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset
