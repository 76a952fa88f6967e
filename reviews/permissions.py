"""Who reviews what: reviewers the cohorts they are assigned to (an active reviewer membership), admins all.

Only a request made in a session that passed a second factor (or a token with reviews:write whose owner
has two-factor set up) may use these powers; the edges check that with accounts.permissions.
"""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Cohort, Membership, User


def reviewable_cohorts(*, reviewer: User) -> QuerySet[Cohort]:
    if reviewer.is_program_admin and not reviewer.is_suspended:
        return Cohort.objects.all()
    if not reviewer.is_program_staff or reviewer.is_suspended:
        return Cohort.objects.none()
    return Cohort.objects.filter(pk__in=Membership.objects.active_reviewers().filter(user=reviewer).values("cohort"))


def may_review(*, reviewer: User, cohort_id: int) -> bool:
    return reviewable_cohorts(reviewer=reviewer).filter(pk=cohort_id).exists()
