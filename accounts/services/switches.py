"""The global kill switch for generation."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import (
    ProgramSwitches,
    User,
)
from accounts.selectors import pause_would_change
from accounts.services.audit import audit_record
from accounts.signals import send_generation_may_resume
from core.errors import ApplicationError


@transaction.atomic
def generation_pause_set(
    *, actor: User | None, paused: bool, reason: str = "", ip: str | None = None
) -> ProgramSwitches:
    """The global kill switch for generation; takes effect on the next request and the next claim.
    A pause needs a reason: artists see it. Setting what is already set writes and audits nothing."""
    reason = reason.strip()
    limit = ProgramSwitches._meta.get_field("generation_paused_reason").max_length
    if len(reason) > limit:
        raise ApplicationError("invalid", f"Reasons are at most {limit} characters.", fields={"reason": "too long"})
    if paused and not reason:
        raise ApplicationError(
            "invalid", "Say why generation is paused; artists see the reason.", fields={"reason": "required"}
        )
    switches, _ = ProgramSwitches.objects.select_for_update().get_or_create(pk=1)
    if not pause_would_change(switches, paused=paused, reason=reason):
        return switches
    switches.generation_paused = paused
    switches.generation_paused_reason = reason if paused else ""
    switches.changed_by = actor
    switches.changed_at = timezone.now()
    switches.save()
    audit_record(
        action="generation.paused" if paused else "generation.resumed", actor=actor, data={"reason": reason}, ip=ip
    )
    if not paused:
        send_generation_may_resume(ProgramSwitches)
    return switches
