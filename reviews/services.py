"""Every write of review before publish: requesting publication, claiming, deciding, withdrawing.

Lock contract: a request's state changes only under its row lock (select_for_update), so two reviewers
deciding at once see each other: the second finds it decided and gets 409. The database's constraints
(reviews.models) are the second line.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.selectors import consents_current
from accounts.services import audit_record, notify
from core.errors import ApplicationError
from generations.models import Generation
from generations.permissions import check_artist_of
from reviews.models import Decision, Publication, PublicationRequest, ReasonCode
from reviews.permissions import may_review, reviewable_cohorts

CLAIM_LEASE = timedelta(minutes=15)
State = PublicationRequest.State


@transaction.atomic
def publication_request_create(
    *,
    artist: User,
    generation: Generation,
    title: str,
    caption: str = "",
    credit_line: str | None = None,
    show_prompt: bool = False,
) -> PublicationRequest:
    """Ask for the artist's own succeeded clip to be published; one open request per clip."""
    check_artist_of(actor=artist, generation=generation)
    if generation.status != Generation.Status.SUCCEEDED or generation.deleted_at:
        raise ApplicationError(
            "not_publishable", "Only a clip that rendered (and is not deleted) can be published.", status=409
        )
    title, caption = title.strip(), caption.strip()
    if not 1 <= len(title) <= 120:
        raise ApplicationError("invalid", "Give the clip a title of 1 to 120 characters.", fields={"title": "1-120"})
    if len(caption) > 2000:
        raise ApplicationError("invalid", "Captions are at most 2,000 characters.", fields={"caption": "too long"})
    credit_line = (credit_line or "").strip() or consents_current(user=artist).get("credit_name") or str(artist)
    request = PublicationRequest(
        generation=generation, artist=artist, cohort_id=generation.cohort_id, title=title, caption=caption,
        credit_line=credit_line[:120], show_prompt=show_prompt,
        deadline_at=timezone.now() + timedelta(hours=generation.cohort.review_deadline_hours),
    )  # fmt: skip
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError as exc:
        raise ApplicationError(
            "conflict", "This clip already waits for review; withdraw that request first.", status=409
        ) from exc
    audit_record(
        action="publication.requested", actor=artist, target=request, subject_user=artist, cohort=request.cohort
    )
    return request


@transaction.atomic
def publication_request_withdraw(*, actor: User, request: PublicationRequest) -> PublicationRequest:
    """The artist takes back a request that is still open (a later one may follow)."""
    request = PublicationRequest.objects.select_for_update().get(pk=request.pk)
    if actor.pk != request.artist_id:
        raise ApplicationError("permission_denied", "Only the artist may withdraw their request.", status=403)
    if request.state not in PublicationRequest.OPEN:
        raise ApplicationError("not_open", f"This request is {request.get_state_display().lower()}.", status=409)
    request.state, request.claimed_by, request.lease_expires_at = State.WITHDRAWN, None, None
    request.closed_at = timezone.now()
    request.save(update_fields=["state", "claimed_by", "lease_expires_at", "closed_at"])
    audit_record(action="publication.withdrawn", actor=actor, target=request, subject_user=actor, cohort=request.cohort)
    return request


def _lockable(queryset):
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


@transaction.atomic
def review_claim_next(*, reviewer: User) -> PublicationRequest | None:
    """The most urgent request the reviewer may review and nobody holds (a lapsed claim counts as free),
    claimed with a lease; their own live claim first if they hold one. None when the queue is empty."""
    now = timezone.now()
    held = PublicationRequest.objects.filter(claimed_by=reviewer, state=State.IN_REVIEW, lease_expires_at__gt=now)
    mine = held.order_by("deadline_at", "id").first()
    if mine is not None:
        return mine
    free = Q(state=State.PENDING) | Q(state=State.IN_REVIEW, lease_expires_at__lte=now)
    candidate = (
        _lockable(PublicationRequest.objects.filter(free, cohort__in=reviewable_cohorts(reviewer=reviewer)))
        .exclude(artist=reviewer)  # nobody reviews their own request
        .order_by("deadline_at", "id")
        .first()
    )
    if candidate is None:
        return None
    candidate.state, candidate.claimed_by, candidate.lease_expires_at = State.IN_REVIEW, reviewer, now + CLAIM_LEASE
    candidate.save(update_fields=["state", "claimed_by", "lease_expires_at"])
    return candidate


def review_claim_renew(*, reviewer: User, request: PublicationRequest) -> bool:
    """Extend the reviewer's live claim while they work; False when it lapsed or is someone else's."""
    now = timezone.now()
    return bool(
        PublicationRequest.objects.filter(
            pk=request.pk, state=State.IN_REVIEW, claimed_by=reviewer, lease_expires_at__gt=now
        ).update(lease_expires_at=now + CLAIM_LEASE)
    )


@transaction.atomic
def review_decide(
    *, reviewer: User, request: PublicationRequest, outcome: str, reason_code: str | None = None, note: str = ""
) -> Decision:
    """Decide a request the reviewer holds: approve (which publishes it), reject or request changes (each
    with a reason code). Exactly one decision counts: a request already decided is a 409."""
    request = PublicationRequest.objects.select_for_update().select_related("cohort", "artist").get(pk=request.pk)
    if not may_review(reviewer=reviewer, cohort_id=request.cohort_id):
        raise ApplicationError("not_found", "No such request in your review queue.", status=404)
    if request.state not in PublicationRequest.OPEN:
        raise ApplicationError("already_decided", "Someone decided this request already.", status=409)
    if request.claimed_by_id != reviewer.pk or request.lease_expires_at <= timezone.now():
        raise ApplicationError("not_claimed", "Claim the request before deciding it.", status=409)
    if outcome not in Decision.Outcome.values:
        raise ApplicationError("invalid", "Unknown outcome.", fields={"outcome": ", ".join(Decision.Outcome.values)})
    reason = None
    if outcome != Decision.Outcome.APPROVE:
        reason = ReasonCode.objects.filter(code=reason_code or "", active=True).first()
        if reason is None:
            raise ApplicationError(
                "invalid", "Choose a reason from the published list.", fields={"reason_code": "required"}
            )
    try:
        with transaction.atomic():
            decision = Decision.objects.create(
                request=request, reviewer=reviewer, outcome=outcome, reason_code=reason, note=note.strip()[:2000]
            )
    except IntegrityError as exc:  # the lock makes this rare; the constraint still decides
        raise ApplicationError("already_decided", "Someone decided this request already.", status=409) from exc
    request.state = {
        Decision.Outcome.APPROVE: State.APPROVED,
        Decision.Outcome.REJECT: State.REJECTED,
        Decision.Outcome.REQUEST_CHANGES: State.CHANGES_REQUESTED,
    }[outcome]
    request.claimed_by, request.lease_expires_at, request.closed_at = None, None, timezone.now()
    request.save(update_fields=["state", "claimed_by", "lease_expires_at", "closed_at"])
    if outcome == Decision.Outcome.APPROVE:
        Publication.objects.create(request=request, decision=decision, decision_outcome=decision.outcome)
    audit_record(
        action=f"review.{outcome}", actor=reviewer, target=request, subject_user=request.artist,
        cohort=request.cohort, data={"reason_code": reason.code if reason else None},
    )  # fmt: skip
    notify(
        user=request.artist,
        kind="review_decided",
        title=f"{request.title}: {decision.get_outcome_display().lower()}",
        body=f"{reason.label}: {reason.description} {note}".strip() if reason else note,
        email=True,
    )
    return decision
