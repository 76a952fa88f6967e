"""Credits: opening an artist's account, the period's refill, and staff grants and adjustments.

The ledger (generations.ledger) moves the credits; these are the decisions around it.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Cohort, User
from accounts.services import audit_record
from core.errors import ApplicationError
from generations import ledger, selectors
from generations.models import CreditAccount


def credit_account_open(*, user: User, cohort: Cohort) -> CreditAccount:
    """Open the artist's credit account in the cohort with its first period's credits (a write: it runs
    when a membership becomes active and at the first submission, never on a page's GET). An account
    that is open already is returned, topped up when its period has ended."""
    account = CreditAccount.objects.filter(user=user, cohort=cohort).first()
    if account is None:
        try:
            with transaction.atomic():
                account = CreditAccount.objects.create(user=user, cohort=cohort)
        except IntegrityError:
            account = CreditAccount.objects.get(user=user, cohort=cohort)
    return credits_refill(account=account)


@transaction.atomic
def credits_adjust_by_staff(
    *, actor: User | None, user: User, cohort: Cohort, amount: int, note: str, key: str | None = None
) -> CreditAccount:
    """Add (or take away) credits with a note the artist sees in their ledger; audited. Once per ``key``:
    the same key again changes nothing (and records nothing). Nobody adjusts their own credits; an
    adjustment moves credits and says why."""
    if actor is not None and actor.pk == user.pk:
        raise ApplicationError(
            "own_account", "These are your own credits: another staff member grants them.", status=403
        )
    if amount == 0:
        raise ApplicationError("invalid", "Grant a number of credits other than zero.", fields={"amount": "zero"})
    note = note.strip()
    if not note:
        raise ApplicationError("invalid", "Say why, in a note the artist will read.", fields={"note": "required"})
    account = credit_account_open(user=user, cohort=cohort)
    key = key or f"adjust:{account.pk}:{note}:{amount}"
    before = account.entries.filter(key=key).exists()
    account = ledger.credits_adjust(account=account, amount=amount, key=key, note=note)
    if not before:
        audit_record(
            action="credits.adjusted", actor=actor, target=account, subject_user=user, cohort=cohort,
            data={"amount": amount, "note": note, "key": key},
        )  # fmt: skip
    return account


def credits_grant_by_staff(
    *, actor: User, cohort: Cohort, user: User, amount: int, note: str, key: str, ip: str | None = None
) -> CreditAccount:
    """A staff grant (or, negative, a take-back) to an active artist of ``cohort``; once per ``key``."""
    check_active_artist(cohort=cohort, user=user)
    return credits_adjust_by_staff(actor=actor, user=user, cohort=cohort, amount=amount, note=note, key=key)


def credits_refill(*, account: CreditAccount) -> CreditAccount:
    """When a period has ended, start the next and top the account up to its allowance.

    Once per period: the period's end is checked under the account's row lock,
    and the grant's key names the period.
    """
    now = timezone.now()
    if account.period_ends_at > now:
        return account
    with transaction.atomic():
        locked = CreditAccount.objects.select_for_update().get(pk=account.pk)
        if locked.period_ends_at > now:
            return locked
        limits = selectors.limits_for(user=locked.user, cohort=locked.cohort)
        locked.period_started_at, locked.period_ends_at = now, now + timedelta(days=limits.period_days)
        locked.save(update_fields=["period_started_at", "period_ends_at"])
        top_up = max(0, limits.credits_per_period - locked.available)
        if top_up:
            locked = ledger.credits_grant(
                account=locked,
                amount=top_up,
                key=f"refill:{locked.pk}:{now.isoformat()}",
                note=f"allowance for the period ending {locked.period_ends_at:%Y-%m-%d}",
            )
        return locked


def check_active_artist(*, cohort: Cohort, user: User) -> None:
    if not selectors.artist_cohorts(user=user).filter(pk=cohort.pk).exists():
        raise ApplicationError(
            "invalid", f"{user.email} is not an active artist of {cohort.name}.", fields={"artist": "not a member"}
        )
