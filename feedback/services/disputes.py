"""Disputes: an artist contests a report's outcome or award once; another staff member answers, finally."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record, notify, notify_admins
from core.errors import ApplicationError
from feedback.models import Dispute, Report
from feedback.permissions import may_triage
from feedback.services.triage import OUTCOMES, award_raise, refuse_own_report, report_triage
from reviews.selectors import review_policy_of

DISPUTE_WINDOW = timedelta(days=30)


@transaction.atomic
def dispute_create(*, artist: User, report: Report, message: str) -> Dispute:
    """Dispute a triage outcome or award once, within 30 days of the decision."""
    report = Report.objects.select_for_update().select_related("cohort").get(pk=report.pk)
    if report.reporter_id != artist.pk:
        raise ApplicationError("permission_denied", "Only the reporter disputes.", status=403)
    if report.triaged_by_id is None:
        raise ApplicationError("not_decided", "Nothing was decided on this report yet.", status=409)
    if timezone.now() > report.triaged_at + DISPUTE_WINDOW:
        raise ApplicationError("dispute_window_closed", "Disputes are open for 30 days after the decision.", status=409)
    message = (message or "").strip()
    if not message or len(message) > 2000:
        raise ApplicationError("invalid", "Say in 1 to 2,000 characters what is wrong.", fields={"message": "1-2,000"})
    try:
        with transaction.atomic():
            dispute = Dispute.objects.create(
                report=report, artist=artist, message=message, decided_by_id=report.triaged_by_id,
                answer_due_at=timezone.now() + timedelta(hours=review_policy_of(report.cohort).deadline_hours),
            )  # fmt: skip
    except IntegrityError as exc:
        raise ApplicationError("already_disputed", "A report can be disputed once.", status=409) from exc
    audit_record(action="report.disputed", actor=artist, target=report, subject_user=artist, cohort=report.cohort)
    return dispute


def disputes_flag_overdue(*, now=None) -> int:
    """Flag disputes still unanswered at their due time (once each) and tell the admins."""
    now = now or timezone.now()
    with transaction.atomic():
        overdue = list(
            Dispute.objects.select_for_update(skip_locked=True)
            .filter(answered_by__isnull=True, answer_due_at__lte=now, overdue_at__isnull=True)
            .select_related("report")
        )
        if not overdue:
            return 0
        Dispute.objects.filter(pk__in=[dispute.pk for dispute in overdue]).update(overdue_at=now)
        notify_admins(
            kind="dispute_overdue",
            title=f"{len(overdue)} dispute(s) passed their answer deadline",
            body="; ".join(f"#{dispute.report_id} {dispute.report.title}" for dispute in overdue)[:2000],
        )
    return len(overdue)


@transaction.atomic
def dispute_answer(
    *, actor: User, dispute: Dispute, answer: str, new_outcome: str = "", raise_minor: int = 0, raise_credits: int = 0
) -> Dispute:
    """Answer a dispute (someone other than who decided), with reasons; final. A changed outcome is
    triaged again; a raise appends to the ledger."""
    dispute = Dispute.objects.select_for_update().select_related("report__cohort").get(pk=dispute.pk)
    report = dispute.report
    if not may_triage(user=actor, cohort_id=report.cohort_id):
        raise ApplicationError("not_found", "No such dispute.", status=404)
    if actor.pk == dispute.decided_by_id:
        raise ApplicationError("same_person", "Someone other than the person who decided answers.", status=403)
    refuse_own_report(actor=actor, report=report, what="answers the dispute")
    if dispute.answered_by_id:
        raise ApplicationError("already_answered", "This dispute is answered; the answer is final.", status=409)
    answer = (answer or "").strip()
    if not answer:
        raise ApplicationError("invalid", "Give your reasons.", fields={"answer": "required"})
    if new_outcome and new_outcome not in OUTCOMES:
        raise ApplicationError("invalid", "Unknown outcome.", fields={"new_outcome": ", ".join(OUTCOMES)})
    changed = bool(new_outcome and new_outcome != report.state) or bool(raise_minor or raise_credits)
    if new_outcome and new_outcome != report.state:
        report_triage(actor=actor, report=report, outcome=new_outcome, reason=answer, duplicate_of=report.duplicate_of)
    if raise_minor or raise_credits:
        award_raise(actor=actor, report=report, amount_minor=raise_minor, credits=raise_credits, reason=answer)
    dispute.answered_by, dispute.answer, dispute.answered_at = actor, answer[:2000], timezone.now()
    dispute.outcome = Dispute.Outcome.CHANGED if changed else Dispute.Outcome.UPHELD
    dispute.save(update_fields=["answered_by", "answer", "answered_at", "outcome"])
    title = f"Your dispute on “{report.title}”: {dispute.get_outcome_display().lower()}"
    notify(user=dispute.artist, kind="dispute_answered", title=title, body=answer, email=True)
    return dispute
