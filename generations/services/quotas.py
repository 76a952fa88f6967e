"""Quotas: a cohort's policy and the per-artist overrides staff set (never their own)."""

from __future__ import annotations

from django.db import transaction

from accounts.models import Cohort, User
from accounts.services import audit_record
from core.errors import ApplicationError
from generations.models import QuotaOverride, QuotaPolicy
from generations.services.credits import check_active_artist


@transaction.atomic
def quota_policy_save(*, actor: User, cohort: Cohort, ip: str | None = None, **values) -> QuotaPolicy:
    """Set the cohort's quota policy (creating it on first use); audited with what changed."""
    policy, _ = QuotaPolicy.objects.select_for_update().get_or_create(cohort=cohort)
    changed = {name: [getattr(policy, name), value] for name, value in values.items() if getattr(policy, name) != value}
    for name in QuotaPolicy.POLICY_FIELDS:
        setattr(policy, name, values.get(name, getattr(policy, name)))
    policy.full_clean()
    policy.save()
    if changed:
        audit_record(action="quota.policy_changed", actor=actor, target=cohort, cohort=cohort, data=changed, ip=ip)
    return policy


def _refuse_own_quota(*, actor: User, user: User) -> None:
    if actor.pk == user.pk:
        raise ApplicationError(
            "own_account", "These are your own limits: another staff member sets them.", status=403,
            fields={"artist": "yourself"},
        )  # fmt: skip


@transaction.atomic
def quota_override_set(*, actor: User, cohort: Cohort, user: User, ip: str | None = None, **values) -> QuotaOverride:
    """One artist's exceptions to the cohort's policy (None keeps the cohort's value), never one's own
    (the database holds that too); audited."""
    _refuse_own_quota(actor=actor, user=user)
    check_active_artist(cohort=cohort, user=user)
    override, _ = QuotaOverride.objects.select_for_update().get_or_create(user=user, cohort=cohort)
    for name in QuotaOverride.LIMIT_FIELDS:
        setattr(override, name, values.get(name))
    override.set_by = actor
    override.save()
    audit_record(
        action="quota.override_set", actor=actor, target=cohort, subject_user=user, cohort=cohort, ip=ip,
        data={name: values.get(name) for name in QuotaOverride.LIMIT_FIELDS},
    )  # fmt: skip
    return override


@transaction.atomic
def quota_override_remove(*, actor: User, override: QuotaOverride, ip: str | None = None) -> None:
    _refuse_own_quota(actor=actor, user=override.user)
    audit_record(
        action="quota.override_removed", actor=actor, target=override.cohort, subject_user=override.user,
        cohort=override.cohort, ip=ip,
    )  # fmt: skip
    override.delete()
