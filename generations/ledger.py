"""The credits ledger: append-only entries, cached balances, each operation at most once.

    available  = grants + adjustments - reserves + releases
    reserved   = reserves - charges - releases

Every function takes the account row's lock (select_for_update) for its own
transaction; callers inside a larger transaction hold it until they commit.
"""

from __future__ import annotations

from django.db import transaction

from core.errors import ApplicationError
from generations.models import CreditAccount, LedgerEntry

Kind = LedgerEntry.Kind

# How each kind moves the two balances: (available, reserved) per unit of amount.
EFFECT = {
    Kind.GRANT: (1, 0),
    Kind.ADJUSTMENT: (1, 0),
    Kind.RESERVE: (-1, 1),
    Kind.CHARGE: (0, -1),
    Kind.RELEASE: (1, -1),
}


class InsufficientCredits(ApplicationError):
    def __init__(self, *, available: int, cost: int):
        super().__init__(
            "insufficient_credits",
            f"This costs {cost} credits and you have {available} available.",
            extra={"balance": available, "cost": cost},
        )


@transaction.atomic
def ledger_apply(
    *, account: CreditAccount, kind: str, amount: int, key: str, generation=None, note: str = ""
) -> tuple[CreditAccount, bool]:
    """Apply one operation; returns the account and whether anything changed.

    Repeating a key changes nothing. Raises InsufficientCredits rather than let
    the available balance go negative (the database refuses it as well).
    """
    locked = CreditAccount.objects.select_for_update().get(pk=account.pk)
    if LedgerEntry.objects.filter(key=key).exists():
        return locked, False
    return _append(locked, kind=kind, amount=amount, key=key, generation=generation, note=note), True


def _append(locked: CreditAccount, *, kind: str, amount: int, key: str, generation, note: str) -> CreditAccount:
    """Add one entry and move the cached balances; the caller holds ``locked``'s row lock in its transaction."""
    if kind != Kind.ADJUSTMENT and amount <= 0:
        raise ValueError(f"{kind} amounts are positive, not {amount}")
    d_available, d_reserved = EFFECT[Kind(kind)]
    new_available = locked.available + d_available * amount
    new_reserved = locked.reserved + d_reserved * amount
    if new_available < 0:
        raise InsufficientCredits(available=locked.available, cost=amount if kind == Kind.RESERVE else -amount)
    if new_reserved < 0:
        raise ValueError(f"{kind} of {amount} exceeds the {locked.reserved} credits reserved")
    LedgerEntry.objects.create(account=locked, kind=kind, amount=amount, key=key, generation=generation, note=note)
    locked.available, locked.reserved = new_available, new_reserved
    locked.save(update_fields=["available", "reserved"])
    return locked


def credits_grant(*, account: CreditAccount, amount: int, key: str, note: str = "") -> CreditAccount:
    return ledger_apply(account=account, kind=Kind.GRANT, amount=amount, key=key, note=note)[0]


def credits_adjust(*, account: CreditAccount, amount: int, key: str, note: str) -> CreditAccount:
    return ledger_apply(account=account, kind=Kind.ADJUSTMENT, amount=amount, key=key, note=note)[0]


def credits_reserve(*, generation) -> CreditAccount:
    return ledger_apply(
        account=generation.account, kind=Kind.RESERVE, amount=generation.cost,
        key=f"reserve:generation:{generation.pk}", generation=generation,
    )[0]  # fmt: skip


def credits_reserve_locked(*, account: CreditAccount, generation) -> CreditAccount:
    """credits_reserve for a generation inserted in the caller's transaction, which already holds
    ``account``'s row lock: no second lock, no savepoint, and no look-up of a key that names a
    generation nobody else can see yet (its unique index still guards it)."""
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("credits_reserve_locked needs the caller's transaction")
    return _append(
        account, kind=Kind.RESERVE, amount=generation.cost,
        key=f"reserve:generation:{generation.pk}", generation=generation, note="",
    )  # fmt: skip


def credits_charge(*, generation) -> bool:
    """Turn the generation's reservation into spent credits (once; never after a release:
    charge and release share one key, so whichever comes first settles it). A free clip (a relaxed one
    at no cost) reserved nothing and settles nothing."""
    if not generation.cost:
        return False
    return ledger_apply(
        account=generation.account, kind=Kind.CHARGE, amount=generation.cost,
        key=f"settle:generation:{generation.pk}", generation=generation,
    )[1]  # fmt: skip


def credits_release(*, generation) -> bool:
    """Give the generation's reservation back (once; never after a charge); a free clip has none."""
    if not generation.cost:
        return False
    return ledger_apply(
        account=generation.account, kind=Kind.RELEASE, amount=generation.cost,
        key=f"settle:generation:{generation.pk}", generation=generation,
    )[1]  # fmt: skip
