"""Triage, and the contribution ledger it drives.

After every triage action the report's awards are settled against what its state earns at the rate
card in force when it was filed: an award is appended once (its key), a reversal appends corrections,
and repeating an action appends nothing. Raises by staff are extra entries, never edits.
"""

from __future__ import annotations

from copy import copy

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record, notify
from core.errors import ApplicationError
from feedback.models import (
    MAX_AMOUNT,
    MAX_CREDITS,
    SEVERITIES,
    Contribution,
    ContributionEntry,
    RateCardLine,
    Report,
)
from feedback.money import format_minor
from feedback.permissions import may_triage
from generations.ledger import InsufficientCredits
from generations.services import credits_adjust_by_staff

State = Report.State
OUTCOMES = ("confirmed", "duplicate", "needs_info", "wont_fix", "in_progress", "resolved")


def refuse_own_report(*, actor: User, report: Report, what: str) -> None:
    """Separation of duties: nobody decides what their own report earns (the database backs triage,
    awards and dispute answers with constraints of its own)."""
    if actor.pk == report.reporter_id:
        raise ApplicationError("own_report", f"You filed this report: another staff member {what}.", status=403)


def earned_contribution(report: Report) -> str | None:
    """What the report's current state earns its reporter, or None."""
    if report.kind == Report.Kind.BUG:
        if report.state in (State.CONFIRMED, State.IN_PROGRESS, State.RESOLVED):
            return f"bug_{report.severity}"
        if report.state == State.DUPLICATE and report.duplicate_of and report.duplicate_of.state in (
            State.CONFIRMED, State.IN_PROGRESS, State.RESOLVED,
        ):  # fmt: skip
            return Contribution.DUPLICATE
        return None
    if report.kind == Report.Kind.FEEDBACK and report.state in (State.CONFIRMED, State.IN_PROGRESS, State.RESOLVED):
        return Contribution.FEEDBACK
    if report.kind == Report.Kind.IDEA and report.state == State.RESOLVED:
        return Contribution.IDEA
    return None


def award_previews(report: Report) -> dict[str, str]:
    """What the report would earn at each outcome and severity, from its rate card, in words: keyed
    "outcome|severity" for the triage form to show before Save (the same lines settle_report pays)."""
    lines = {line.contribution: line for line in RateCardLine.objects.filter(rate_card_id=report.rate_card_id)}
    previews = {}
    for outcome in OUTCOMES:
        for severity in SEVERITIES if report.kind == Report.Kind.BUG else (report.severity,):
            future = copy(report)
            future.state, future.severity = outcome, severity
            if outcome == State.DUPLICATE:  # earns the acknowledgement once the original is confirmed
                future.duplicate_of = Report(state=State.CONFIRMED)
            contribution = earned_contribution(future)
            line = lines.get(contribution) if contribution else None
            words = "Earns nothing at this outcome."
            if line and (line.amount_minor or line.credits):
                paid = [f"{format_minor(line.amount_minor, report.rate_card.currency)} {report.rate_card.currency}"]
                paid = (paid if line.amount_minor else []) + ([f"{line.credits} credits"] if line.credits else [])
                words = f"Earns {' and '.join(paid)}: {Contribution(contribution).label.lower()}"
                words += f", rate card v{report.rate_card.version}"
                words += " (if the original is confirmed)." if outcome == State.DUPLICATE else "."
            elif report.rate_card_id is None:
                words = "Earns nothing: filed by staff, or before any rate card."
            previews[f"{outcome}|{severity}"] = words
    return previews


def _line(report: Report, contribution: str) -> RateCardLine | None:
    if report.rate_card_id is None:
        return None
    return RateCardLine.objects.filter(rate_card_id=report.rate_card_id, contribution=contribution).first()


def _append(report: Report, *, actor, kind, amount, credits, key, reason, corrects=None) -> ContributionEntry | None:
    if ContributionEntry.objects.filter(key=key).exists():
        return None
    entry = ContributionEntry.objects.create(
        artist=report.reporter, cohort=report.cohort, kind=kind, report=report, amount_minor=amount,
        currency=report.rate_card.currency if report.rate_card_id and amount else "", credits=credits,
        corrects=corrects, reason=reason, key=key, created_by=actor,
    )  # fmt: skip
    if credits:
        _grant_credits(report, actor=actor, credits=credits, key=f"contribution:{entry.pk}")
    return entry


def _grant_credits(report: Report, *, actor, credits: int, key: str) -> None:
    """Credits go through the generations ledger, once per entry; a take-back stops at what is left."""
    note = f"Contribution: {report.title[:80]}"
    try:
        credits_adjust_by_staff(
            actor=actor, user=report.reporter, cohort=report.cohort, amount=credits, note=note, key=key
        )
    except InsufficientCredits as exc:  # spent already: take back what remains
        available = exc.extra["balance"]
        if available:
            credits_adjust_by_staff(
                actor=actor, user=report.reporter, cohort=report.cohort, amount=-available, note=note, key=key
            )


def settle_report(*, report: Report, actor: User | None) -> list[ContributionEntry]:
    """Bring the report's base award in line with what its state earns (call under the report's lock)."""
    entries = ContributionEntry.objects.filter(report=report).order_by("id")  # oldest first
    base = [entry for entry in entries if entry.key.startswith(f"report:{report.pk}:award:")]
    net_amount = sum(entry.amount_minor for entry in base)
    net_credits = sum(entry.credits for entry in base)
    awarded_kind = next((entry.kind for entry in reversed(base) if entry.corrects_id is None), None)
    target = earned_contribution(report)
    appended = []
    rounds = sum(1 for entry in base if entry.corrects_id is not None)
    if (net_amount or net_credits) and (target is None or target != awarded_kind):
        original = next(entry for entry in reversed(base) if entry.corrects_id is None)
        appended.append(
            _append(
                report,
                actor=actor,
                kind=original.kind,
                amount=-net_amount,
                credits=-net_credits,
                key=f"report:{report.pk}:award:correction:{rounds}",
                corrects=original,
                reason=f"Outcome changed to {report.get_state_display().lower()}.",
            )
        )
        rounds += 1
        net_amount = net_credits = 0
        # Raises go with the award they raised.
        raised = entries.filter(key__startswith=f"report:{report.pk}:raise:").aggregate(
            amount=Sum("amount_minor"), credits=Sum("credits")
        )
        if raised["amount"] or raised["credits"]:
            appended.append(
                _append(
                    report,
                    actor=actor,
                    kind=original.kind,
                    amount=-(raised["amount"] or 0),
                    credits=-(raised["credits"] or 0),
                    key=f"report:{report.pk}:raise:correction:{rounds}",
                    corrects=original,
                    reason="The award it raised was taken back.",
                )
            )
    # An erased reporter's award is held (docs/privacy.md): nobody is left to pay, and no new money is owed
    # to a pseudonym. Corrections above still run, so an earlier award taken back stays balanced.
    if target and not (net_amount or net_credits) and not report.reporter.is_erased:
        line = _line(report, target)
        if line and (line.amount_minor or line.credits):
            appended.append(
                _append(
                    report,
                    actor=actor,
                    kind=target,
                    amount=line.amount_minor,
                    credits=line.credits,
                    key=f"report:{report.pk}:award:{target}:{rounds}",
                    reason=f"{Contribution(target).label}, rate card v{report.rate_card.version}.",
                )
            )
    return [entry for entry in appended if entry is not None]


@transaction.atomic
def report_triage(
    *,
    actor: User,
    report: Report,
    outcome: str,
    reason: str = "",
    duplicate_of: Report | int | None = None,
    staff_note: str | None = None,
    severity: str | None = None,
) -> Report:
    """Set the report's state (confirmed, duplicate of another, needs information, won't fix with a reason,
    in progress, resolved) and settle its award; the reporter is told, the staff note never.
    ``duplicate_of`` is the original report or its number as the page or the API received it. A new
    ``severity`` (a bug's award follows it) needs a reason, which the reporter reads."""
    report = (
        Report.objects.select_for_update(of=("self",))
        .select_related("cohort", "reporter", "rate_card")
        .get(pk=report.pk)
    )
    if not may_triage(user=actor, cohort_id=report.cohort_id):
        raise ApplicationError("not_found", "No such report.", status=404)
    refuse_own_report(actor=actor, report=report, what="triages it")
    if report.duplicates.filter(reporter=actor).exists():  # settling would pay the actor's duplicate
        raise ApplicationError(
            "own_report", "You filed a duplicate of this report: another staff member triages it.", status=403
        )
    if outcome not in OUTCOMES:
        raise ApplicationError("invalid", "Unknown outcome.", fields={"outcome": ", ".join(OUTCOMES)})
    reason = (reason or "").strip()
    if outcome == State.WONT_FIX and not reason:
        raise ApplicationError("invalid", "Say why it will not be fixed.", fields={"reason": "required"})
    severity_before = report.severity
    if severity and severity != report.severity:
        if severity not in SEVERITIES:
            raise ApplicationError("invalid", "Unknown severity.", fields={"severity": ", ".join(SEVERITIES)})
        if not reason:
            raise ApplicationError(
                "invalid", "Say why the severity changed: the reporter reads it.", fields={"reason": "required"}
            )
        report.severity = severity
    if outcome == State.DUPLICATE:
        original_id = getattr(duplicate_of, "pk", duplicate_of)
        # Looked up here, in the report's cohort, whoever calls: its state now, not the caller's copy.
        original = Report.objects.filter(pk=original_id, cohort_id=report.cohort_id).exclude(pk=report.pk).first()
        if original is None:
            raise ApplicationError(
                "invalid", "Name the original report, in the same cohort.",
                fields={"duplicate_of": "unknown" if original_id else "required"},
            )  # fmt: skip
        report.duplicate_of = original
    else:
        report.duplicate_of = None
    report.state, report.outcome_reason = outcome, reason[:2000]
    if staff_note is not None:
        report.staff_note = staff_note
    report.triaged_by, report.triaged_at = actor, timezone.now()
    report.save()
    awarded = settle_report(report=report, actor=actor)
    # A confirmed bug also pays its earlier-filed duplicates their acknowledgement (and takes it back).
    for duplicate in (
        Report.objects.select_for_update(of=("self",))
        .filter(duplicate_of=report)
        .select_related("reporter", "cohort", "rate_card", "duplicate_of")
    ):
        settle_report(report=duplicate, actor=actor)
    audit_record(
        action=f"report.{outcome}", actor=actor, target=report, subject_user=report.reporter, cohort=report.cohort,
        data={"reason": reason[:200], "duplicate_of": report.duplicate_of_id,
              **({"severity": [severity_before, report.severity]} if report.severity != severity_before else {})},
    )  # fmt: skip
    body = f"Now: {report.get_state_display()}." + (f" {reason}" if reason else "")
    if report.severity != severity_before:
        body += f" Severity: {severity_before or 'none'} → {report.severity}."
    if awarded:
        body += " " + "; ".join(_award_words(entry) for entry in awarded) + "."
    notify(user=report.reporter, kind="report_triaged", title=f"“{report.title}”: {report.get_state_display()}",
           body=body, email=True)  # fmt: skip
    return report


def _award_words(entry: ContributionEntry) -> str:
    parts = []
    if entry.amount_minor:
        parts.append(f"{format_minor(entry.amount_minor, entry.currency, signed=True)} {entry.currency}")
    if entry.credits:
        parts.append(f"{entry.credits:+d} credits")
    return f"{' and '.join(parts)} ({entry.get_kind_display().lower()})"


@transaction.atomic
def award_raise(*, actor: User, report: Report, amount_minor: int, credits: int, reason: str) -> ContributionEntry:
    """Raise what a report earned, with a reason the reporter sees; awards are never lowered this way."""
    report = (
        Report.objects.select_for_update(of=("self",))
        .select_related("cohort", "reporter", "rate_card")
        .get(pk=report.pk)
    )
    if not may_triage(user=actor, cohort_id=report.cohort_id):
        raise ApplicationError("not_found", "No such report.", status=404)
    refuse_own_report(actor=actor, report=report, what="decides its award")
    if report.reporter.is_erased:
        raise ApplicationError(
            "erased", "The reporter's account was erased: awards to it are held (see /privacy/).", status=409
        )
    reason = (reason or "").strip()
    if not (0 <= amount_minor <= MAX_AMOUNT and 0 <= credits <= MAX_CREDITS) or not (amount_minor or credits):
        raise ApplicationError(
            "invalid", "Awards are only raised: give a positive amount or credits.", fields={"amount": "positive"}
        )
    if not reason:
        raise ApplicationError("invalid", "Say why the award is raised.", fields={"reason": "required"})
    base = ContributionEntry.objects.filter(report=report, key__startswith=f"report:{report.pk}:award:")
    if not base.exists() or earned_contribution(report) is None:
        raise ApplicationError(
            "not_awarded", "Only a report that earned something can have its award raised.", status=409
        )
    count = ContributionEntry.objects.filter(report=report, key__startswith=f"report:{report.pk}:raise:").count()
    entry = _append(
        report, actor=actor, kind=earned_contribution(report), amount=amount_minor, credits=credits,
        key=f"report:{report.pk}:raise:{count}", reason=reason[:500],
    )  # fmt: skip
    audit_record(
        action="contribution.raised", actor=actor, target=report, subject_user=report.reporter, cohort=report.cohort,
        data={"amount_minor": amount_minor, "credits": credits, "reason": reason[:200]},
    )  # fmt: skip
    notify(user=report.reporter, kind="award_raised", title=f"Your award for “{report.title}” was raised",
           body=f"{_award_words(entry)}: {reason}", email=True)  # fmt: skip
    return entry
