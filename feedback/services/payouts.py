"""Rate cards, promotion requests, payout statements and their CSV, and disputes."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import moneyed
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Cohort, User
from accounts.services import audit_record, notify, notify_admins
from core.errors import ApplicationError
from feedback import selectors
from feedback.models import (
    MAX_AMOUNT,
    MAX_CREDITS,
    Contribution,
    ContributionEntry,
    Dispute,
    PayoutStatement,
    PromotionRequest,
    RateCard,
    RateCardLine,
    Report,
)
from feedback.permissions import may_triage
from feedback.services.triage import OUTCOMES, award_raise, refuse_own_report, report_triage
from generations.services import credits_adjust_by_staff
from reviews.models import Publication
from reviews.selectors import review_policy_of

DISPUTE_WINDOW = timedelta(days=30)


def format_minor(amount: int, currency: str) -> str:
    """12345 EUR -> "123.45" (the currency's own number of decimals)."""
    digits = moneyed.get_currency(currency).sub_unit if currency else 100
    places = len(str(digits)) - 1
    return f"{amount / digits:.{places}f}" if places else str(amount)


@transaction.atomic
def rate_card_publish(
    *, actor: User, cohort: Cohort, currency: str, lines: dict[str, tuple[int, int]], note: str = ""
) -> RateCard:
    """Publish the next version of a cohort's rate card: {contribution: (amount_minor, credits)}."""
    currency = (currency or "").upper()
    try:
        moneyed.get_currency(currency)
    except moneyed.CurrencyDoesNotExist:
        raise ApplicationError(
            "invalid", "Use an ISO 4217 currency code such as EUR.", fields={"currency": "ISO 4217"}
        ) from None
    unknown = set(lines) - set(Contribution.values)
    if unknown or any(
        not (0 <= amount <= MAX_AMOUNT and 0 <= credits <= MAX_CREDITS) for amount, credits in lines.values()
    ):
        raise ApplicationError(
            "invalid", "Amounts are zero or more, for known contributions.", fields={"lines": "invalid"}
        )
    last = RateCard.objects.select_for_update().filter(cohort=cohort).order_by("-version").first()
    card = RateCard.objects.create(
        cohort=cohort, version=(last.version + 1) if last else 1, currency=currency, published_by=actor, note=note[:500]
    )
    RateCardLine.objects.bulk_create(
        RateCardLine(rate_card=card, contribution=kind, amount_minor=amount, credits=credits)
        for kind, (amount, credits) in lines.items()
    )
    audit_record(action="rate_card.published", actor=actor, target=card, cohort=cohort, data={"version": card.version})
    return card


# --- Promotion requests ---------------------------------------------------------------------------


@transaction.atomic
def promotion_request_create(*, actor: User, publication: Publication, use: str) -> PromotionRequest:
    """Ask the artist whether the program may use their published clip, for the rate card's fee."""
    publication = Publication.objects.select_related("request__cohort", "request__artist").get(pk=publication.pk)
    cohort = publication.request.cohort
    if not may_triage(user=actor, cohort_id=cohort.pk):
        raise ApplicationError("not_found", "No such publication.", status=404)
    if publication.request.artist_id == actor.pk:
        raise ApplicationError("own_clip", "This is your own clip: another staff member asks for it.", status=403)
    if may_triage(user=publication.request.artist, cohort_id=cohort.pk):
        raise ApplicationError(
            "staff_clip", "Staff earn no contributions in cohorts they staff (docs/feedback.md).", status=409
        )
    if not publication.is_public:
        raise ApplicationError("not_published", "Only a clip in the gallery can be used.", status=409)
    use = (use or "").strip()
    if not use:
        raise ApplicationError("invalid", "Say where and how the clip would be used.", fields={"use": "required"})
    card = selectors.rate_card_in_force(cohort=cohort)
    line = card.lines.filter(contribution=Contribution.PROMOTION).first() if card else None
    if line is None:
        raise ApplicationError("no_rate", "The cohort's rate card has no fee for promotional use yet.", status=409)
    promotion = PromotionRequest.objects.create(
        publication=publication, artist=publication.request.artist, cohort=cohort, use=use[:500], rate_card=card,
        amount_minor=line.amount_minor, currency=card.currency, credits=line.credits, requested_by=actor,
    )  # fmt: skip
    fee = f"{format_minor(promotion.amount_minor, promotion.currency)} {promotion.currency}"
    if promotion.credits:
        fee += f" and {promotion.credits} credits"
    notify(
        user=promotion.artist,
        kind="promotion_requested",
        title=f"May the program use “{publication.request.title}”?",
        body=f"For: {promotion.use}. Fee: {fee}. Accept or decline on your earnings page.",
        email=True,
    )
    return promotion


@transaction.atomic
def promotion_request_answer(*, artist: User, promotion: PromotionRequest, accept: bool) -> PromotionRequest:
    promotion = PromotionRequest.objects.select_for_update().select_related("cohort").get(pk=promotion.pk)
    if promotion.artist_id != artist.pk:
        raise ApplicationError("permission_denied", "Only the artist answers.", status=403)
    if promotion.state != PromotionRequest.State.PENDING:
        raise ApplicationError("already_answered", "You answered this request already.", status=409)
    promotion.state = PromotionRequest.State.ACCEPTED if accept else PromotionRequest.State.DECLINED
    promotion.decided_at = timezone.now()
    promotion.save(update_fields=["state", "decided_at"])
    if accept:
        entry = ContributionEntry.objects.create(
            artist=artist, cohort=promotion.cohort, kind=Contribution.PROMOTION, promotion=promotion,
            amount_minor=promotion.amount_minor, currency=promotion.currency if promotion.amount_minor else "",
            credits=promotion.credits, key=f"promotion:{promotion.pk}",
            reason=f"Promotional use: {promotion.use}"[:500],
        )  # fmt: skip
        if promotion.credits:
            credits_adjust_by_staff(
                actor=None, user=artist, cohort=promotion.cohort, amount=promotion.credits,
                note="Promotional use of a clip", key=f"contribution:{entry.pk}",
            )  # fmt: skip
    audit_record(action=f"promotion.{promotion.state}", actor=artist, target=promotion, subject_user=artist,
                 cohort=promotion.cohort)  # fmt: skip
    return promotion


# --- Statements -----------------------------------------------------------------------------------


def _ended(period: str) -> bool:
    _, end = selectors.period_bounds(period)
    return end <= timezone.now()


@transaction.atomic
def statements_close(*, actor: User, period: str) -> list[PayoutStatement]:
    """Close an ended period: one statement per artist who earned anything in it, totals from the ledger."""
    if not _ended(period):
        raise ApplicationError("period_open", "Close a period only after it has ended.", status=409)
    closed = []
    for artist_id, row in selectors.period_totals(period=period).items():
        try:
            with transaction.atomic():
                closed.append(
                    PayoutStatement.objects.create(
                        artist_id=artist_id,
                        period=period,
                        totals=dict(row["money"]),
                        credits=row["credits"],
                        entry_count=row["entries"],
                        closed_by=actor,
                    )
                )
        except IntegrityError:
            continue  # closed before: statements never change
    audit_record(action="payouts.closed", actor=actor, data={"period": period, "statements": len(closed)})
    return closed


@transaction.atomic
def statement_mark_paid(*, actor: User, statement: PayoutStatement, reference: str, paid_on) -> PayoutStatement:
    statement = PayoutStatement.objects.select_for_update().get(pk=statement.pk)
    if statement.artist_id == actor.pk:
        raise ApplicationError("own_statement", "This is your own statement: another admin marks it paid.", status=403)
    reference = (reference or "").strip()
    if not reference or paid_on is None:
        raise ApplicationError(
            "invalid", "Give the payment's reference and date.", fields={"reference": "required", "paid_on": "required"}
        )
    if statement.state == PayoutStatement.State.PAID:
        raise ApplicationError("already_paid", "This statement is marked paid already.", status=409)
    statement.state, statement.paid_reference, statement.paid_on, statement.paid_by = (
        "paid",
        reference[:200],
        paid_on,
        actor,
    )
    statement.save(update_fields=["state", "paid_reference", "paid_on", "paid_by"])
    audit_record(action="payouts.paid", actor=actor, target=statement, subject_user=statement.artist,
                 data={"period": statement.period, "reference": reference[:200]})  # fmt: skip
    notify(user=statement.artist, kind="statement_paid", title=f"Your {statement.period} statement is paid",
           body=f"Reference {statement.paid_reference}, paid on {statement.paid_on}.", email=True)  # fmt: skip
    return statement


def _cell(text: str) -> str:
    """A text cell a spreadsheet will not run: a leading =, +, -, @ (or tab, CR) is quoted away."""
    return f"'{text}" if text and text[0] in "=+-@\t\r" else text


def payouts_csv(*, period: str, artist: User | None = None) -> str:
    """Every artist's earnings in the period, one row per currency (credits on their own row), straight
    from the ledger; a closed statement's state and payment are added."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["period", "artist_email", "artist_name", "currency", "amount", "amount_minor", "credits",
                     "entries", "statement", "paid_reference", "paid_on"])  # fmt: skip
    totals = selectors.period_totals(period=period, artist=artist)
    people = {user.pk: user for user in User.objects.filter(pk__in=totals)}
    statements = {s.artist_id: s for s in PayoutStatement.objects.filter(period=period, artist_id__in=totals)}
    for artist_id in sorted(totals, key=lambda pk: people[pk].email):
        row, person, statement = totals[artist_id], people[artist_id], statements.get(artist_id)
        status = statement.state if statement else "open"
        paid = (_cell(statement.paid_reference), statement.paid_on or "") if statement else ("", "")
        lines = [(currency, amount, 0) for currency, amount in sorted(row["money"].items())]
        if row["credits"] or not lines:
            lines.append(("", 0, row["credits"]))
        for currency, amount, credits in lines:
            writer.writerow([period, _cell(person.email), _cell(person.display_name), currency,
                             format_minor(amount, currency) if currency else "", amount, credits, row["entries"],
                             status, *paid])  # fmt: skip
    return out.getvalue()


# --- Disputes -------------------------------------------------------------------------------------


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
