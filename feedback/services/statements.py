"""Payout statements: a period closed from the ledger, then marked paid."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record, notify
from core.errors import ApplicationError
from core.periods import period_bounds
from feedback import selectors
from feedback.models import PayoutStatement


def _ended(period: str) -> bool:
    _, end = period_bounds(period)
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
