"""Rate cards: what each kind of contribution earns in a cohort, published before the work."""

from __future__ import annotations

import moneyed
from django.db import transaction

from accounts.models import Cohort, User
from accounts.services import audit_record
from core.errors import ApplicationError
from feedback.models import MAX_AMOUNT, MAX_CREDITS, Contribution, RateCard, RateCardLine


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
