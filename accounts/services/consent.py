"""Terms and consent, with their history kept."""

from __future__ import annotations

from django.db import transaction

from accounts.models import (
    Cohort,
    ConsentRecord,
    TermsAcceptance,
    TermsVersion,
    User,
)
from accounts.selectors import consents_current
from accounts.services.audit import audit_record
from accounts.validators import NOT_AN_EMAIL, looks_like_email
from core.errors import ApplicationError

CONSENT_VERSION = 1  # bump when the wording of the consent choices changes


@transaction.atomic
def terms_publish(*, actor: User, cohort: Cohort, body: str, ip: str | None = None) -> TermsVersion:
    if not body.strip():
        raise ApplicationError("invalid", "The terms need a text.", fields={"body": "required"})
    Cohort.objects.select_for_update().get(pk=cohort.pk)
    latest = cohort.terms_versions.order_by("-version").values_list("version", flat=True).first() or 0
    terms = TermsVersion.objects.create(cohort=cohort, version=latest + 1, body=body)
    audit_record(
        action="terms.published", actor=actor, target=terms, cohort=cohort, data={"version": terms.version}, ip=ip
    )
    return terms


@transaction.atomic
def terms_accept(*, user: User, terms: TermsVersion, ip: str | None = None) -> TermsAcceptance:
    acceptance, created = TermsAcceptance.objects.get_or_create(user=user, terms=terms, defaults={"ip": ip})
    if created:
        audit_record(
            action="terms.accepted",
            actor=user,
            target=terms,
            subject_user=user,
            cohort=terms.cohort,
            data={"version": terms.version},
            ip=ip,
        )
    return acceptance


@transaction.atomic
def consents_set(*, user: User, choices: dict, ip: str | None = None) -> list[ConsentRecord]:
    """Record each choice that differs from the one in force; history is kept, never overwritten."""
    current = consents_current(user=user)
    recorded = []
    for kind, value in choices.items():
        if kind not in ConsentRecord.Kind.values:
            raise ApplicationError("invalid", f"Unknown consent {kind!r}.", fields={kind: "unknown"})
        if kind == ConsentRecord.Kind.CREDIT_NAME and looks_like_email(value):
            raise ApplicationError("invalid", NOT_AN_EMAIL, fields={kind: "not an email address"})
        if current.get(kind) == value:
            continue
        recorded.append(
            ConsentRecord.objects.create(user=user, kind=kind, value=value, consent_version=CONSENT_VERSION)
        )
        audit_record(
            action="consent.changed", actor=user, subject_user=user, data={"kind": kind, "value": value}, ip=ip
        )
    return recorded
