"""Who sees and triages which reports: reporters their own; members of a shared board their cohort's;
reviewers the cohorts they review, admins all (staff powers need a second factor at the edges)."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import Cohort, Membership, User
from feedback.models import Report
from reviews.permissions import review_powers, reviewable_cohorts


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



def visible_report_ids(*, user: User, report_ids: list[int]) -> set[int]:
    """Which of these reports ``user`` may see as a member (a private board's titles stay private)."""
    return set(reports_visible_to(user=user).filter(pk__in=report_ids).values_list("pk", flat=True))


def reports_for(request) -> QuerySet[Report]:
    """The reports this request may see: reports_visible_to, with staff's powers only when they use them now."""
    return reports_visible_to(user=request.user, as_staff=review_powers(request))


def access_report(
    request, report_id: int, *, shaped: Callable[[QuerySet], QuerySet] = lambda reports: reports
) -> Report:
    """The report if this request may see it: its reporter, a member of its shared board, or staff of its
    cohort using their powers now (reviews.permissions.review_powers: a second factor, or a token with
    reviews:write); a 404 otherwise, never a hint that it exists. Pages and the API alike; ``shaped``
    adds what the caller reads (feedback.selectors.report_detail)."""
    report = shaped(reports_for(request)).filter(pk=report_id).first()
    if report is None:
        raise Http404("No such report.")
    return report
