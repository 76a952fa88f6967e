from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from privacy.models import DataExport, ErasureRequest


def exports_of(*, user: User, limit: int = 20) -> QuerySet[DataExport]:
    """The person's exports, newest first (those built for them by staff too)."""
    return DataExport.objects.filter(user=user).select_related("requested_by")[:limit]


def export_of(*, user: User, public_id) -> DataExport | None:
    """One export, if it is ``user``'s own or one they built for an artist; None hides the others."""
    found = DataExport.objects.filter(public_id=public_id).select_related("user").first()
    if found is None or user.pk not in (found.user_id, found.requested_by_id):
        return None
    return found


def pending_erasure(*, user: User) -> ErasureRequest | None:
    return ErasureRequest.objects.filter(user=user, state=ErasureRequest.State.PENDING).first()


def staff_exports(*, limit: int = 100) -> list[DataExport]:
    """The newest exports, with who they are for and who built them (the staff exports page)."""
    return list(DataExport.objects.select_related("user", "requested_by")[:limit])
