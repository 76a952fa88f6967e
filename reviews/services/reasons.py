"""The published list of reasons: admins add, reword and retire codes (never delete: decisions cite them)."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from accounts.services import audit_record
from reviews.models import ReasonCode


@transaction.atomic
def reason_code_save(*, actor: User, form) -> ReasonCode:
    """Save a validated ReasonCodeForm, audited with what changed."""
    created = form.instance.pk is None
    reason = form.save()
    audit_record(
        action="reason_code.created" if created else "reason_code.changed",
        actor=actor,
        target=reason,
        data={"fields": sorted(form.changed_data)},
    )
    return reason
