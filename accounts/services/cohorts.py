"""Creating and changing cohorts."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts.models import (
    Cohort,
    User,
)
from accounts.services.audit import audit_record
from accounts.signals import send_generation_may_resume
from core.errors import ApplicationError

COHORT_FIELDS = Cohort.EDITABLE_FIELDS


# The database's cohort constraints, by the field a person would fix.
_COHORT_CONSTRAINT_FIELDS = {
    "cohort_leak_addresses_positive": ("leak_max_addresses", "at least 1"),
    "cohort_ends_after_start": ("ends_on", "must not be before starts_on"),
    "cohort_status_valid": ("status", "not a status"),
}


def _cohort_refusal(cohort: Cohort, exc: IntegrityError) -> ApplicationError:
    """What a refused cohort save means to a person: a taken slug (409), or the field a constraint names."""
    if Cohort.objects.filter(slug=cohort.slug).exclude(pk=cohort.pk).exists():
        return ApplicationError(
            "conflict", "A cohort with this slug exists already.", fields={"slug": "taken"}, status=409
        )
    for constraint, (field, message) in _COHORT_CONSTRAINT_FIELDS.items():
        if constraint in str(exc):
            return ApplicationError("invalid", f"Check {field}: {message}.", fields={field: message})
    raise exc


@transaction.atomic
def cohort_create(*, actor: User, ip: str | None = None, **fields) -> Cohort:
    cohort = Cohort(**{k: v for k, v in fields.items() if k in COHORT_FIELDS})
    try:
        with transaction.atomic():
            cohort.save()
    except IntegrityError as exc:
        raise _cohort_refusal(cohort, exc) from exc
    audit_record(
        action="cohort.created", actor=actor, target=cohort, cohort=cohort, ip=ip, data={"status": cohort.status}
    )
    return cohort


@transaction.atomic
def cohort_update(*, actor: User, cohort: Cohort, ip: str | None = None, **fields) -> Cohort:
    cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
    changes = {}
    for name, value in fields.items():
        if name in COHORT_FIELDS and getattr(cohort, name) != value:
            changes[name] = [str(getattr(cohort, name)), str(value)]
            setattr(cohort, name, value)
    if changes:
        try:
            with transaction.atomic():
                cohort.save()
        except IntegrityError as exc:
            raise _cohort_refusal(cohort, exc) from exc
        action = "cohort.status_changed" if set(changes) == {"status"} else "cohort.updated"
        audit_record(action=action, actor=actor, target=cohort, cohort=cohort, data=changes, ip=ip)
        if "status" in changes and cohort.status == Cohort.Status.ACTIVE:
            send_generation_may_resume(Cohort)
    return cohort
