"""The reviewer's side: claiming with a lease, deciding with reasons, the deadline check and the digest.

Lock contract: a request's state changes only under its row lock (select_for_update), so two reviewers
deciding at once see each other: the second finds it decided and gets 409. The database's constraints
(reviews.models) are the second line.
"""

from __future__ import annotations

from datetime import timedelta

from celery import current_app
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Notification, User
from accounts.services import audit_record, notify, notify_admins
from core.errors import ApplicationError
from core.locking import skip_locked
from reviews import selectors
from reviews.models import Appeal, Decision, PublicationRequest, ReasonCode
from reviews.permissions import may_review, requests_reviewable_by, reviewers
from reviews.services.publications import artist_tell, publication_create, publication_restore

CLAIM_LEASE = timedelta(minutes=15)
# How long a decision made on the review desk can be undone before it takes effect.
UNDO_WINDOW = timedelta(seconds=10)
RELEASE_TASK = "reviews.release_decisions"
DIGEST_EVERY = timedelta(days=1)
State = PublicationRequest.State


# What the queue shows about a claimed request, read with the claim itself (the row lock is on the request only).
QUEUE_ITEM_RELATED = ("cohort", "generation", "artist")


def _free(now) -> Q:
    """Unclaimed, or claimed by someone whose lease ran out (an abandoned claim returns to the queue)."""
    return Q(state=State.PENDING) | Q(state=State.IN_REVIEW, lease_expires_at__lte=now)


def _claimable_by(reviewer: User):
    return requests_reviewable_by(reviewer)


def _lock_reviewer(reviewer: User) -> None:
    """Claims by one reviewer happen one at a time (their user row's lock), so twenty parallel "claim next"
    calls cannot each take a different request; the database's one_claim_per_reviewer backs it."""
    User.objects.select_for_update().filter(pk=reviewer.pk).first()


def _claim(request: PublicationRequest, reviewer: User, now) -> PublicationRequest:
    """Hold ``request`` with a fresh lease, handing back any other request the reviewer held (call under
    _lock_reviewer and the request's row lock)."""
    PublicationRequest.objects.filter(claimed_by=reviewer, state=State.IN_REVIEW).exclude(pk=request.pk).update(
        state=State.PENDING, claimed_by=None, lease_expires_at=None
    )
    request.state, request.claimed_by, request.lease_expires_at = State.IN_REVIEW, reviewer, now + CLAIM_LEASE
    request.save(update_fields=["state", "claimed_by", "lease_expires_at"])
    return request


@transaction.atomic
def review_claim_next(*, reviewer: User) -> PublicationRequest | None:
    """The most urgent request the reviewer may review and nobody holds, claimed with a lease; their own
    live claim first (its lease renewed) if they hold one. None when nothing is left."""
    _lock_reviewer(reviewer)
    now = timezone.now()
    held = PublicationRequest.objects.filter(claimed_by=reviewer, state=State.IN_REVIEW, lease_expires_at__gt=now)
    mine = skip_locked(held.select_related(*QUEUE_ITEM_RELATED)).order_by("deadline_at", "id").first()
    if mine is not None:
        return _claim(mine, reviewer, now)
    free = _claimable_by(reviewer).filter(_free(now)).select_related(*QUEUE_ITEM_RELATED)
    candidate = skip_locked(free).order_by("deadline_at", "id").first()
    return _claim(candidate, reviewer, now) if candidate is not None else None


@transaction.atomic
def review_claim(*, reviewer: User, request: PublicationRequest) -> PublicationRequest:
    """Claim this request (or renew the reviewer's own claim on it), handing back any other the reviewer
    held; 409 when someone else holds it."""
    _lock_reviewer(reviewer)
    now = timezone.now()
    found = skip_locked(_claimable_by(reviewer).filter(pk=request.pk)).first()
    if found is None:
        if not _claimable_by(reviewer).filter(pk=request.pk).exists():
            raise ApplicationError("not_found", "No such request in your review queue.", status=404)
        raise ApplicationError("claimed", "Another reviewer is working on this request.", status=409)
    if found.state not in PublicationRequest.OPEN:
        raise ApplicationError("already_decided", "Someone decided this request already.", status=409)
    if found.state == State.IN_REVIEW and found.claimed_by_id != reviewer.pk and found.lease_expires_at > now:
        raise ApplicationError("claimed", "Another reviewer is working on this request.", status=409)
    return _claim(found, reviewer, now)


def review_claim_renew(*, reviewer: User, request: PublicationRequest) -> bool:
    """Extend the reviewer's live claim while they work; False when it lapsed or is someone else's."""
    now = timezone.now()
    return bool(
        PublicationRequest.objects.filter(
            pk=request.pk, state=State.IN_REVIEW, claimed_by=reviewer, lease_expires_at__gt=now
        ).update(lease_expires_at=now + CLAIM_LEASE)
    )


def review_claim_release(*, reviewer: User, request: PublicationRequest) -> bool:
    """Hand a claim back to the queue before its lease ends."""
    return bool(
        PublicationRequest.objects.filter(pk=request.pk, state=State.IN_REVIEW, claimed_by=reviewer).update(
            state=State.PENDING, claimed_by=None, lease_expires_at=None
        )
    )


STATE_AFTER = {
    Decision.Outcome.APPROVE: State.APPROVED,
    Decision.Outcome.REJECT: State.REJECTED,
    Decision.Outcome.REQUEST_CHANGES: State.CHANGES_REQUESTED,
}


def _outcome_checked(request: PublicationRequest, outcome: str) -> str:
    allowed = Decision.OUTCOMES_AT[request.stage]
    if outcome in allowed:
        return outcome
    if request.stage == PublicationRequest.Stage.TAKE_DOWN_APPEAL:
        text = "On the appeal of a take-down, approve (the clip goes back to the gallery) or reject (it stays down)."
    else:
        text = "Choose approve, reject or request_changes."
    raise ApplicationError("invalid", text, fields={"outcome": ", ".join(allowed)})


@transaction.atomic
def review_decide(
    *,
    reviewer: User,
    request: PublicationRequest,
    outcome: str,
    reason_code: str | None = None,
    note: str = "",
    hold: timedelta | None = None,
) -> Decision:
    """Decide a request the reviewer holds: approve (which publishes it), reject or request changes (each
    with a reason code). Exactly one decision counts: a request already decided is a 409. At an appeal
    stage the decision is final; on a take-down's appeal, approve restores the clip and reject upholds.

    With ``hold`` (the review desk's undo window) the decision is recorded and the request leaves the
    queue at once, but nothing is published and nobody is told until the window passes
    (review_decisions_release); until then review_decision_undo takes it back."""  # fmt: skip
    request = (
        PublicationRequest.objects.select_for_update(of=("self",))
        .select_related("cohort__review_policy", "artist", "generation")
        .get(pk=request.pk)
    )
    if not may_review(reviewer=reviewer, cohort_id=request.cohort_id) or request.artist_id == reviewer.pk:
        raise ApplicationError("not_found", "No such request in your review queue.", status=404)
    if request.state not in PublicationRequest.OPEN:
        raise ApplicationError("already_decided", "Someone decided this request already.", status=409)
    if request.claimed_by_id != reviewer.pk or request.lease_expires_at <= timezone.now():
        raise ApplicationError("not_claimed", "Claim the request before deciding it.", status=409)
    outcome = _outcome_checked(request, outcome)
    note = (note or "").strip()
    if len(note) > 2000:
        raise ApplicationError("invalid", "Notes are at most 2,000 characters.", fields={"note": "at most 2,000"})
    reason = None
    if outcome != Decision.Outcome.APPROVE:
        reason = ReasonCode.objects.filter(code=reason_code or "", active=True).first()
        if reason is None:
            raise ApplicationError(
                "invalid", "Choose a reason from the published list.", fields={"reason_code": "required"}
            )
    if outcome != Decision.Outcome.APPROVE and not note:
        raise ApplicationError(
            "invalid", "Say what in the clip led to this decision: the artist reads it as the facts (DSA Art. 17).",
            fields={"note": "required to reject or request changes"},
        )  # fmt: skip
    now = timezone.now()
    try:
        with transaction.atomic():
            decision = Decision.objects.create(
                request=request, stage=request.stage, reviewer=reviewer, outcome=outcome, reason_code=reason,
                note=note, decided_at=now, held_until=now + hold if hold else None,
            )  # fmt: skip
            # The appeal's row holds its stage to one decision (the unique constraint holds the review stages).
            undecided = Appeal.objects.filter(request=request, decision__isnull=True)
            if request.stage in Decision.FINAL_STAGES and not undecided.update(decision=decision, decided_by=reviewer):
                raise IntegrityError("the appeal is decided already")
    except IntegrityError as exc:  # the lock makes this rare; the constraints still decide
        raise ApplicationError("already_decided", "Someone decided this request already.", status=409) from exc
    if request.stage == PublicationRequest.Stage.TAKE_DOWN_APPEAL:
        request.state = State.APPROVED if request.publication.decision_id else State.SELF_PUBLISHED  # as before
    else:
        request.state = STATE_AFTER[outcome]
    request.claimed_by, request.lease_expires_at, request.closed_at = None, None, now
    request.save(update_fields=["state", "claimed_by", "lease_expires_at", "closed_at"])
    decision.request = request
    if hold:
        # Staff's record now; the artist's (review.<outcome>, about them) only when it takes effect, so
        # their security events show no outcome before its statement, and an undone one never.
        audit_record(
            action="review.held", actor=reviewer, target=request, cohort=request.cohort,
            data={**_decision_data(decision), "artist": request.artist_id, "until": decision.held_until.isoformat()},
        )  # fmt: skip
        transaction.on_commit(lambda: _send_release_task(hold), robust=True)
    else:
        _take_effect(decision)
    return decision


def _decision_data(decision: Decision) -> dict:
    reason_code = decision.reason_code.code if decision.reason_code_id else None
    return {"outcome": decision.outcome, "reason_code": reason_code, "stage": decision.stage}


def _take_effect(decision: Decision) -> None:
    """Publish (or restore) what the decision approved and tell the artist why (call under the request's lock)."""
    request = decision.request
    audit_record(
        action=f"review.{decision.outcome}", actor=decision.reviewer, target=request, subject_user=request.artist,
        cohort=request.cohort, data=_decision_data(decision),
    )  # fmt: skip
    if decision.outcome == Decision.Outcome.APPROVE:
        if request.stage == PublicationRequest.Stage.TAKE_DOWN_APPEAL:
            publication_restore(publication=request.publication)
        else:
            publication_create(request=request, decision=decision)
    artist_tell(decision, kind="review_decided")


def _send_release_task(hold: timedelta) -> None:
    # A second after the window; a lost message is caught by the beat's sweep of the same task.
    current_app.send_task(RELEASE_TASK, countdown=hold.total_seconds() + 1)


def review_decisions_release(*, now=None) -> int:
    """Let held decisions whose undo window passed take effect, each once. Returns how many did."""
    now = now or timezone.now()
    released = 0
    due = Decision.objects.filter(held_until__lte=now).order_by("held_until", "pk")
    for decision_id, request_id in list(due.values_list("pk", "request_id")[:200]):
        with transaction.atomic():
            # The request's lock first, as review_decision_undo takes it: one of the two wins, in order.
            if skip_locked(PublicationRequest.objects.filter(pk=request_id)).first() is None:
                continue  # being undone or released elsewhere; the next sweep looks again
            # Conditional, so that where rows cannot be locked (SQLite) the decision still takes effect once.
            if not Decision.objects.filter(pk=decision_id, held_until__isnull=False).update(held_until=None):
                continue  # undone, or released by another worker
            related = (
                "request__cohort__review_policy", "request__artist", "request__generation", "reviewer", "reason_code"
            )  # fmt: skip
            _take_effect(Decision.objects.select_related(*related).get(pk=decision_id))
            released += 1
    return released


@transaction.atomic
def review_decision_undo(*, reviewer: User, decision: Decision) -> PublicationRequest:
    """Take back the reviewer's own decision inside its undo window: the decision is deleted (it never took
    effect), the request returns to the reviewer's claim with a fresh lease, and whatever they held since
    goes back to the queue."""
    _lock_reviewer(reviewer)
    request = PublicationRequest.objects.select_for_update().get(pk=decision.request_id)
    decision = Decision.objects.select_for_update().filter(pk=decision.pk, reviewer=reviewer).first()
    now = timezone.now()
    if decision is None or decision.held_until is None or decision.held_until <= now:
        raise ApplicationError(
            "undo_window_passed", "The time to undo has passed: the decision stands (the artist may appeal it).",
            status=409,
        )  # fmt: skip
    Appeal.objects.filter(decision=decision).update(decision=None, decided_by=None)
    if not Decision.objects.filter(pk=decision.pk, held_until__gt=now).delete()[0]:  # released meanwhile
        raise ApplicationError("undo_window_passed", "The time to undo has passed: the decision stands.", status=409)
    try:
        with transaction.atomic():
            _claim(request, reviewer, now)
            request.closed_at = None
            request.save(update_fields=["closed_at"])
    except IntegrityError as exc:  # the artist asked again in the meantime: the new request is in the queue
        raise ApplicationError(
            "undo_refused", "The artist has asked again since; that request is in the queue.", status=409
        ) from exc
    audit_record(  # staff only: a decision that never took effect is never shown to the artist
        action="review.undone", actor=reviewer, target=request, cohort=request.cohort,
        data={"outcome": decision.outcome, "stage": request.stage, "artist": request.artist_id},
    )  # fmt: skip
    return request


def review_flag_overdue(*, now=None) -> int:
    """Flag open requests past their deadline (once each) and tell the admins; where the cohort allows it,
    tell the artist they may publish it themselves. Returns how many were flagged."""
    now = now or timezone.now()
    with transaction.atomic():
        overdue = list(
            skip_locked(
                PublicationRequest.objects.filter(
                    state__in=PublicationRequest.OPEN, deadline_at__lte=now, overdue_at__isnull=True
                )
            ).select_related("cohort__review_policy", "artist")
        )
        if not overdue:
            return 0
        PublicationRequest.objects.filter(pk__in=[request.pk for request in overdue]).update(overdue_at=now)
        for request in overdue:
            self_publishable = selectors.review_policy_of(request.cohort).publish_after_deadline
            if self_publishable and request.stage == PublicationRequest.Stage.REVIEW:
                notify(
                    user=request.artist,
                    kind="review_overdue",
                    title=f"{request.title}: the review deadline passed",
                    body=(
                        "Staff did not decide in time. You may publish it yourself now; "
                        "it will say it was not reviewed."
                    ),
                    email=True,
                )
        per_cohort: dict[str, int] = {}
        for request in overdue:
            per_cohort[request.cohort.name] = per_cohort.get(request.cohort.name, 0) + 1
        notify_admins(
            kind="review_overdue",
            title=f"{len(overdue)} publication request(s) passed the review deadline",
            body="; ".join(f"{name}: {count}" for name, count in sorted(per_cohort.items())),
        )
    return len(overdue)


def review_send_digests(*, now=None) -> int:
    """Tell each reviewer how many new requests wait in their cohorts, at most once a day. Returns how many
    digests were sent."""
    now = now or timezone.now()
    sent = 0
    for reviewer in reviewers():
        last = (
            Notification.objects.filter(user=reviewer, kind="review_digest")
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        if last and now - last < DIGEST_EVERY:
            continue
        since = last or now - DIGEST_EVERY
        waiting = (
            _claimable_by(reviewer).filter(_free(now), created_at__gt=since).values_list("cohort__name").order_by()
        )
        counts: dict[str, int] = {}
        for (name,) in waiting:
            counts[name] = counts.get(name, 0) + 1
        if not counts:
            continue
        with transaction.atomic():
            notify(
                user=reviewer,
                kind="review_digest",
                title=f"{sum(counts.values())} new publication request(s) to review",
                body="; ".join(f"{name}: {count}" for name, count in sorted(counts.items())),
                email=True,
            )
        sent += 1
    return sent
