"""A cohort's review policy: the deadline, what happens past it, and how long appeals stay open."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Cohort, User
from accounts.permissions import is_admin
from accounts.services import audit_record
from core.errors import ApplicationError
from reviews.models import ReviewPolicy


@transaction.atomic
def review_policy_save(*, actor: User, cohort: Cohort, ip: str | None = None, **values) -> ReviewPolicy:
    """Set the cohort's review policy (created on first use); program admins only, audited with what changed.

    A new deadline applies to requests made from now on; a shorter appeal window also closes appeals
    that would have been open under the old one (it is read when the artist appeals)."""
    if not is_admin(actor):
        raise ApplicationError("permission_denied", "Only program admins may change the review policy.", status=403)
    policy, _ = ReviewPolicy.objects.select_for_update().get_or_create(cohort=cohort)
    unknown = set(values) - set(ReviewPolicy.EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError("invalid", "Unknown settings.", fields=dict.fromkeys(sorted(unknown), "unknown"))
    changed = {name: [getattr(policy, name), value] for name, value in values.items() if getattr(policy, name) != value}
    for name, value in values.items():
        setattr(policy, name, value)
    try:
        policy.full_clean(exclude=["cohort"])
    except ValidationError as exc:
        fields = {name: " ".join(messages) for name, messages in exc.message_dict.items()}
        raise ApplicationError("invalid", "Check the review policy.", fields=fields) from None
    policy.save()
    if changed:
        audit_record(action="review.policy_changed", actor=actor, target=cohort, cohort=cohort, data=changed, ip=ip)
    return policy
