"""The artist's side: asking for publication, withdrawing, appealing a rejection or a take-down, publishing past
the deadline."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record, notify_admins
from accounts.validators import NOT_AN_EMAIL, looks_like_email
from core.errors import ApplicationError
from generations.models import Generation
from generations.permissions import check_artist_of
from reviews import selectors
from reviews.models import Appeal, Decision, Publication, PublicationRequest
from reviews.services.publications import publication_create

State = PublicationRequest.State
Stage = PublicationRequest.Stage
APPEAL_MESSAGE_MAX = 2000

# While a decision is inside the reviewer's undo window the artist is told no outcome (selectors.with_statements).
JUST_DECIDED = "A reviewer has just decided this request: the decision and its reasons reach you in a few seconds."


def _refused(code: str, text: str, status: int = 409, **fields) -> ApplicationError:
    return ApplicationError(code, text, status=status, fields=fields or None)


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
        raise _refused("not_publishable", "Only a clip that rendered (and is not deleted) can be published.")
    title, caption = title.strip(), caption.strip()
    if not 1 <= len(title) <= 120:
        raise _refused("invalid", "Give the clip a title of 1 to 120 characters.", 400, title="1-120 characters")
    if len(caption) > 2000:
        raise _refused("invalid", "Captions are at most 2,000 characters.", 400, caption="at most 2,000 characters")
    credit_line = (credit_line or "").strip() or selectors.credit_line_default(artist=artist)
    if len(credit_line) > 120:
        raise _refused("invalid", "Credit lines are at most 120 characters.", 400, credit_line="at most 120")
    if not credit_line:
        raise _refused("invalid", "Say how the gallery credits you.", 400, credit_line="required")
    if looks_like_email(credit_line):  # the gallery is public: an address there is a leak, not a credit
        raise _refused("invalid", NOT_AN_EMAIL, 400, credit_line="not an email address")
    live = Publication.objects.filter(
        request__generation=generation, withdrawn_at__isnull=True, taken_down_at__isnull=True
    )
    if live.exists():
        raise _refused("already_published", "This clip is published already.")
    if Decision.objects.filter(request__generation=generation, held_until__isnull=False).exists():
        raise _refused("conflict", JUST_DECIDED)  # inside the reviewer's undo window: no outcome shown yet
    request = PublicationRequest(
        generation=generation, artist=artist, cohort_id=generation.cohort_id, title=title, caption=caption,
        credit_line=credit_line[:120], show_prompt=show_prompt,
        deadline_at=timezone.now() + timedelta(hours=selectors.review_policy_of(generation.cohort).deadline_hours),
    )  # fmt: skip
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError as exc:
        raise _refused("conflict", "This clip already waits for review; withdraw that request first.") from exc
    audit_record(
        action="publication.requested", actor=artist, target=request, subject_user=artist, cohort=request.cohort
    )
    return request


def _own_request_locked(*, actor: User, request: PublicationRequest) -> PublicationRequest:
    request = PublicationRequest.objects.select_for_update().select_related("cohort").get(pk=request.pk)
    if actor.pk != request.artist_id:
        raise _refused("permission_denied", "Only the artist may do this with their request.", 403)
    return request


@transaction.atomic
def publication_request_withdraw(*, actor: User, request: PublicationRequest) -> PublicationRequest:
    """The artist takes back a request that is still open (a later one may follow)."""
    request = _own_request_locked(actor=actor, request=request)
    if request.decisions.filter(held_until__isnull=False).exists():  # no outcome shown before its statement
        raise _refused("not_open", JUST_DECIDED)
    if request.state not in PublicationRequest.OPEN:
        raise _refused("not_open", f"This request is {request.get_state_display().lower()}.")
    request.state, request.claimed_by, request.lease_expires_at = State.WITHDRAWN, None, None
    request.closed_at = timezone.now()
    request.save(update_fields=["state", "claimed_by", "lease_expires_at", "closed_at"])
    audit_record(action="publication.withdrawn", actor=actor, target=request, subject_user=actor, cohort=request.cohort)
    return request


def _appealable(request: PublicationRequest) -> Decision | None:
    """The decision the artist may appeal now (selectors.appealable_decision), read fresh under the lock."""
    decisions = (
        request.decisions.in_effect().select_related("request__cohort__review_policy").order_by("decided_at", "pk")
    )
    return selectors.appealable_decision(
        request,
        decisions=list(decisions),
        appealed=set(Appeal.objects.filter(request=request).values_list("appealed_decision_id", flat=True)),
        publication=Publication.objects.filter(request=request).first(),
    )


@transaction.atomic
def appeal_create(*, artist: User, request: PublicationRequest, message: str) -> Appeal:
    """Appeal a rejection or a take-down, once, inside the cohort's window: the request goes back into the
    queue for a reviewer other than the one who decided, whose decision is final."""
    request = _own_request_locked(actor=artist, request=request)
    message = (message or "").strip()
    if not message or len(message) > APPEAL_MESSAGE_MAX:
        raise _refused(
            "invalid", "Say in 1 to 2,000 characters why the decision should change.", 400, message="1-2,000"
        )
    decision = _appealable(request)
    if decision is None:
        raise _refused("not_appealable", "Only a rejection or a take-down can be appealed, once.")
    if timezone.now() > selectors.appeal_open_until(decision):
        raise _refused("appeal_window_closed", "The time to appeal this decision has passed.")
    now = timezone.now()
    stage = Stage.APPEAL if decision.stage == Decision.Stage.REVIEW else Stage.TAKE_DOWN_APPEAL
    request.state, request.stage, request.excluded_reviewer_id = State.PENDING, stage, decision.reviewer_id
    request.deadline_at, request.overdue_at, request.closed_at = (
        now + timedelta(hours=selectors.review_policy_of(request.cohort).deadline_hours), None, None,
    )  # fmt: skip
    try:
        with transaction.atomic():
            request.save(
                update_fields=["state", "stage", "excluded_reviewer", "deadline_at", "overdue_at", "closed_at"]
            )
            appeal = Appeal.objects.create(
                request=request, appealed_decision=decision, original_reviewer_id=decision.reviewer_id, message=message
            )
    except IntegrityError as exc:  # a newer request for the same clip is open
        raise _refused(
            "conflict", "Another request for this clip waits for review; withdraw it to appeal this one."
        ) from exc
    audit_record(
        action="review.appealed", actor=artist, target=request, subject_user=artist, cohort=request.cohort,
        data={"stage": stage, "decision": decision.pk},
    )  # fmt: skip
    return appeal


@transaction.atomic
def publication_self_publish(*, artist: User, request: PublicationRequest) -> Publication:
    """Where the cohort allows it, the artist publishes a request staff did not decide before the deadline;
    the publication says plainly that it was not reviewed."""
    request = _own_request_locked(actor=artist, request=request)
    if not selectors.review_policy_of(request.cohort).publish_after_deadline:
        raise _refused("not_allowed", "This cohort does not let artists publish without a review.", 403)
    if request.state not in PublicationRequest.OPEN or request.stage != Stage.REVIEW:
        raise _refused("not_open", f"This request is {request.get_state_display().lower()}.")
    if request.deadline_at > timezone.now():
        raise _refused("deadline_not_passed", "The review deadline has not passed yet.")
    request.state, request.claimed_by, request.lease_expires_at = State.SELF_PUBLISHED, None, None
    request.closed_at = timezone.now()
    request.save(update_fields=["state", "claimed_by", "lease_expires_at", "closed_at"])
    publication = publication_create(request=request, decision=None)
    audit_record(
        action="publication.self_published", actor=artist, target=request, subject_user=artist, cohort=request.cohort
    )
    notify_admins(
        kind="review_overdue",
        title=f"Published without review: {request.title}",
        body=f"The review deadline in {request.cohort} passed and the artist published the clip themselves.",
        email=False,
    )
    return publication
