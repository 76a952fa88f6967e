"""Who sees and triages which reports: reporters their own; members of a shared board their cohort's;
reviewers the cohorts they review, admins all (staff powers need a second factor at the edges)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import Cohort, Membership, User
from feedback.models import Report
from reviews.permissions import reviewable_cohorts


def triage_cohorts(*, user: User) -> QuerySet[Cohort]:
    return reviewable_cohorts(reviewer=user)


def may_triage(*, user: User, cohort_id: int) -> bool:
    return triage_cohorts(user=user).filter(pk=cohort_id).exists()


def reports_visible_to(*, user: User, as_staff: bool = False) -> QuerySet[Report]:
    """Own reports, reports of shared boards the person is an active member of, and (as staff) those of
    the cohorts they triage."""
    shared = Membership.objects.active().filter(user=user, cohort__feedback_policy__board_shared=True)
    visible = Q(reporter=user) | Q(cohort__in=shared.values("cohort"))
    if as_staff:
        visible |= Q(cohort__in=triage_cohorts(user=user))
    return Report.objects.filter(visible)
