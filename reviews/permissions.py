"""Who reviews what: reviewers the cohorts they are assigned to (an active reviewer membership), admins all.

Only a request made in a session that passed a second factor (or a token with reviews:write whose owner
has two-factor set up) may use these powers; the edges check that with accounts.permissions.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from accounts.models import ApiToken, Cohort, Membership, User
from accounts.permissions import has_totp, is_staff, session_passed_mfa
from reviews.models import PublicationRequest


def reviewable_cohorts(*, reviewer: User) -> QuerySet[Cohort]:
    if reviewer.is_program_admin and not reviewer.is_suspended:
        return Cohort.objects.all()
    if not reviewer.is_program_staff or reviewer.is_suspended:
        return Cohort.objects.none()
    return Cohort.objects.filter(pk__in=Membership.objects.active_reviewers().filter(user=reviewer).values("cohort"))


def may_review(*, reviewer: User, cohort_id: int) -> bool:
    return reviewable_cohorts(reviewer=reviewer).filter(pk=cohort_id).exists()


def requests_reviewable_by(reviewer: User) -> QuerySet[PublicationRequest]:
    """Every publication request ``reviewer`` may review: in a cohort they review (all for an admin), never
    their own, and never one whose appeal must go to someone else. The one statement of this rule: the
    queue, the desk, the claim and the decision all start from it."""
    return (
        PublicationRequest.objects.filter(cohort__in=reviewable_cohorts(reviewer=reviewer))
        .exclude(artist=reviewer)  # nobody reviews their own request
        .exclude(excluded_reviewer=reviewer)  # an appeal goes to someone else
    )


def access_review_item(*, reviewer: User, request_id: int, shaped=lambda requests: requests) -> PublicationRequest:
    """The request in ``reviewer``'s review queue; a 404 otherwise, never a hint that it exists. ``shaped``
    adds what the caller reads (reviews.selectors.queue_item)."""
    item = shaped(requests_reviewable_by(reviewer)).filter(pk=request_id).first()
    if item is None:
        raise Http404("No such request in your review queue.")
    return item


def reviewers() -> QuerySet[User]:
    """Everyone who reviews: admins, and reviewers with an active reviewer membership."""
    return (
        User.objects.filter(is_active=True, suspended_at__isnull=True)
        .filter(
            Q(role=User.Role.ADMIN)
            | Q(role=User.Role.REVIEWER, pk__in=Membership.objects.active_reviewers().values("user"))
        )
        .order_by("pk")
    )


def review_powers(request) -> bool:
    """May this request use its user's reviewer powers now: staff, not suspended, and a second factor
    passed in this session, or a token with reviews:write (or staff:all) whose owner has two-factor set up."""
    if not is_staff(request.user):
        return False
    token = getattr(request, "auth", None)
    if isinstance(token, ApiToken):
        scopes = set(token.scopes)
        return bool(scopes & {ApiToken.Scope.REVIEWS_WRITE, ApiToken.Scope.STAFF}) and has_totp(request.user)
    return session_passed_mfa(request)


class CanReview(BasePermission):
    """The API's gate for the review queue and staff actions on publications."""

    who = (
        "reviewers of the request's cohort and program admins, in a session that passed two-factor sign-in, "
        "or with a token with the scope `reviews:write` (or `staff:all`) whose owner has two-factor set up."
    )

    def has_permission(self, request, view):
        if not is_staff(request.user):
            raise PermissionDenied("Only reviewers and program admins may do this.", code="permission_denied")
        token = getattr(request, "auth", None)
        if isinstance(token, ApiToken) and not {ApiToken.Scope.REVIEWS_WRITE, ApiToken.Scope.STAFF} & set(token.scopes):
            raise PermissionDenied(
                f"This token lacks the scope {ApiToken.Scope.REVIEWS_WRITE}.", code="insufficient_scope"
            )
        if not review_powers(request):
            raise PermissionDenied("Set up two-factor sign-in (and use it) before reviewing.", code="mfa_required")
        return True
