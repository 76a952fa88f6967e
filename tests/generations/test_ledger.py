"""The credits ledger keeps its invariants under any sequence of operations, repeats included."""

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from core.errors import ApplicationError
from generations import ledger
from generations.models import CreditAccount, Generation, LedgerEntry
from tests.support.factories import CohortFactory, UserFactory


def _generation(account: CreditAccount, cost: int) -> Generation:
    return Generation.objects.create(
        artist=account.user, cohort=account.cohort, account=account, prompt="p", preset="tiny", width=64, height=64,
        num_frames=9, fps=8, steps=4, guidance=5.0, seed=0, cost=cost,
    )  # fmt: skip


class LedgerMachine(RuleBasedStateMachine):
    """Model: what the balances must be, from the operations that took effect."""

    @initialize()
    def open_account(self):
        self.account = CreditAccount.objects.create(user=UserFactory(), cohort=CohortFactory())
        self.available = self.reserved = 0
        self.keys_used: list[str] = []
        self.open_reservations: list[Generation] = []
        self.settled: list[Generation] = []

    def _apply(self, kind, amount, key, **kwargs):
        try:
            _, changed = ledger.ledger_apply(account=self.account, kind=kind, amount=amount, key=key, **kwargs)
        except ApplicationError as exc:
            assert exc.code == "insufficient_credits"
            assert self.available + (-amount if kind == "reserve" else amount) < 0
            return False
        assert changed == (key not in self.keys_used)
        if changed:
            self.keys_used.append(key)
        return changed

    @rule(amount=st.integers(1, 50))
    def grant(self, amount):
        if self._apply("grant", amount, f"{self.account.pk}-grant-{len(self.keys_used)}-{amount}"):
            self.available += amount

    @rule(amount=st.integers(-30, 30).filter(bool))
    def adjust(self, amount):
        if self._apply("adjustment", amount, f"{self.account.pk}-adjust-{len(self.keys_used)}-{amount}"):
            self.available += amount

    @rule(cost=st.integers(1, 20))
    def reserve(self, cost):
        generation = _generation(self.account, cost)
        try:
            ledger.credits_reserve(generation=generation)
        except ApplicationError:
            assert self.available < cost
            return
        self.available -= cost
        self.reserved += cost
        self.open_reservations.append(generation)

    @rule(data=st.data(), charge=st.booleans())
    def settle(self, data, charge):
        if not self.open_reservations:
            return
        generation = data.draw(st.sampled_from(self.open_reservations))
        changed = (ledger.credits_charge if charge else ledger.credits_release)(generation=generation)
        assert changed
        self.open_reservations.remove(generation)
        self.settled.append(generation)
        self.reserved -= generation.cost
        if not charge:
            self.available += generation.cost

    @rule(data=st.data(), charge=st.booleans())
    def settle_again(self, data, charge):
        """A repeated or late settlement (a duplicate message, a retry) changes nothing."""
        if not self.settled:
            return
        generation = data.draw(st.sampled_from(self.settled))
        assert not (ledger.credits_charge if charge else ledger.credits_release)(generation=generation)

    @rule(data=st.data())
    def repeat_a_key(self, data):
        if not self.keys_used:
            return
        key = data.draw(st.sampled_from(self.keys_used))
        entry = LedgerEntry.objects.get(key=key)
        _, changed = ledger.ledger_apply(account=self.account, kind=entry.kind, amount=entry.amount, key=key)
        assert not changed

    @invariant()
    def balances_match_the_model_and_the_entries(self):
        if not hasattr(self, "account"):
            return
        account = CreditAccount.objects.get(pk=self.account.pk)
        assert (account.available, account.reserved) == (self.available, self.reserved)
        assert account.available >= 0 and account.reserved >= 0
        totals = {kind: 0 for kind in LedgerEntry.Kind.values}
        for kind, amount in LedgerEntry.objects.filter(account=account).values_list("kind", "amount"):
            totals[kind] += amount
        assert account.available == totals["grant"] + totals["adjustment"] - totals["reserve"] + totals["release"]
        assert account.reserved == totals["reserve"] - totals["charge"] - totals["release"]


@pytest.mark.django_db
@pytest.mark.slow
def test_ledger_state_machine():
    LedgerMachine.TestCase.settings = settings(
        max_examples=200, stateful_step_count=50, deadline=None, suppress_health_check=list(HealthCheck)
    )
    LedgerMachine.TestCase().runTest()


@pytest.mark.django_db
def test_the_database_refuses_a_negative_balance():
    from django.db import IntegrityError, transaction

    account = CreditAccount.objects.create(user=UserFactory(), cohort=CohortFactory())
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditAccount.objects.filter(pk=account.pk).update(available=-1)


@pytest.mark.django_db
def test_a_reservation_is_settled_once_whatever_the_order():
    from django.db import IntegrityError, transaction

    account = CreditAccount.objects.create(user=UserFactory(), cohort=CohortFactory(), available=10)
    generation = _generation(account, 4)
    ledger.credits_reserve(generation=generation)
    assert ledger.credits_charge(generation=generation)
    assert not ledger.credits_release(generation=generation)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(account=account, kind="release", amount=4, key="sneaky", generation=generation)
    account.refresh_from_db()
    assert (account.available, account.reserved) == (6, 0)
