"""Triage drives the contribution ledger: each outcome once, repeats add nothing, reversals append,
duplicates earn the acknowledgement, the rate is the one in force at filing, awards only go up, and
statements and the CSV always equal the ledger."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import ApplicationError
from feedback import exports, services
from feedback.models import ContributionEntry, Report
from feedback.services.triage import earned_contribution
from generations.models import CreditAccount
from tests.support.board import RATES, bug
from tests.support.clients import api_client_for
from tests.support.factories import MembershipFactory


def ledger(report) -> list[tuple[str, int, int]]:
    return list(report.entries.order_by("id").values_list("kind", "amount_minor", "credits"))


def test_confirming_awards_once_and_a_reversal_appends_a_correction(board):
    report = bug(board)
    services.report_triage(actor=board.reviewer, report=report, outcome="confirmed")
    services.report_triage(actor=board.reviewer, report=report, outcome="confirmed")  # a repeat
    services.report_triage(actor=board.reviewer, report=report, outcome="in_progress")  # still earned
    assert ledger(report) == [("bug_high", 6000, 20)]
    account = CreditAccount.objects.get(user=board.artist, cohort=board.cohort)
    assert account.entries.filter(key__startswith="contribution:").count() == 1  # credits granted once
    services.report_triage(actor=board.reviewer, report=report, outcome="wont_fix", reason="Works as designed.")
    assert ledger(report) == [("bug_high", 6000, 20), ("bug_high", -6000, -20)]
    services.report_triage(actor=board.reviewer, report=report, outcome="wont_fix", reason="Still.")
    services.report_triage(actor=board.reviewer, report=report, outcome="confirmed")
    assert ledger(report)[-1] == ("bug_high", 6000, 20) and len(ledger(report)) == 3
    told = board.artist.notifications.filter(kind="report_triaged").first()
    assert told is not None


def test_the_ledger_is_append_only_in_the_database(board):
    report = bug(board)
    services.report_triage(actor=board.reviewer, report=report, outcome="confirmed")
    entry = report.entries.get()
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017  (a trigger's error, by database)
        ContributionEntry.objects.filter(pk=entry.pk).update(amount_minor=1)
    if connection.vendor == "postgresql":
        with pytest.raises(Exception), transaction.atomic():  # noqa: B017
            ContributionEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        ContributionEntry.objects.create(
            artist=board.artist, cohort=board.cohort, kind="bug_low", amount_minor=-5, currency="EUR", key="x"
        )  # negative without naming what it corrects


def test_duplicates_earn_the_acknowledgement_once_the_original_is_confirmed(board):
    first = bug(board, title="Cancel is ignored at the end")
    later = bug(board, reporter=MembershipFactory(cohort=board.cohort).user, title="Cancel ignored")
    services.report_triage(actor=board.reviewer, report=later, outcome="duplicate", duplicate_of=first)
    assert ledger(later) == []  # the original is not confirmed yet
    services.report_triage(actor=board.reviewer, report=first, outcome="confirmed")
    assert ledger(first) == [("bug_high", 6000, 20)] and ledger(later) == [("duplicate", 500, 0)]
    with pytest.raises(ApplicationError) as itself:
        services.report_triage(actor=board.reviewer, report=first, outcome="duplicate", duplicate_of=first)
    assert itself.value.fields == {"duplicate_of": "unknown"}


def test_the_original_of_a_duplicate_is_looked_up_by_the_service_in_the_reports_cohort(board):
    """The page and the API pass the number they were given; the service finds it, in this cohort only."""
    from tests.support.factories import CohortFactory

    first = bug(board, title="Cancel is ignored at the end")
    later = bug(board, reporter=MembershipFactory(cohort=board.cohort).user, title="Cancel ignored")
    elsewhere = CohortFactory()
    outsider = bug(board, reporter=MembershipFactory(cohort=elsewhere).user, title="Elsewhere")
    Report.objects.filter(pk=outsider.pk).update(cohort=elsewhere)
    for original_id, problem in ((outsider.pk, "unknown"), (10**9, "unknown"), (None, "required")):
        with pytest.raises(ApplicationError) as refused:
            services.report_triage(actor=board.reviewer, report=later, outcome="duplicate", duplicate_of=original_id)
        assert refused.value.fields == {"duplicate_of": problem}
    services.report_triage(actor=board.reviewer, report=later, outcome="duplicate", duplicate_of=first.pk)
    later.refresh_from_db()
    assert (later.state, later.duplicate_of_id) == ("duplicate", first.pk)


def test_the_rate_is_the_one_in_force_at_filing_and_awards_only_go_up(board):
    report = bug(board, severity="low")
    services.rate_card_publish(
        actor=board.admin, cohort=board.cohort, currency="EUR", lines={**RATES, "bug_low": (1, 0)}
    )
    services.report_triage(actor=board.reviewer, report=report, outcome="confirmed")
    assert ledger(report) == [("bug_low", 1000, 0)]  # version 1's rate, not the lower version 2
    assert Report.objects.get(pk=report.pk).rate_card.version == 1
    for amount, credits, reason in ((-100, 0, "less"), (0, 0, "nothing"), (100, 0, "")):
        with pytest.raises(ApplicationError):
            services.award_raise(actor=board.admin, report=report, amount_minor=amount, credits=credits, reason=reason)
    services.award_raise(actor=board.admin, report=report, amount_minor=500, credits=0, reason="A thorough report.")
    assert sum(amount for _, amount, _ in ledger(report)) == 1500
    assert board.artist.notifications.filter(kind="award_raised").exists()


def test_statements_close_ended_periods_only_and_are_paid_with_a_reference(board):
    report = bug(board)
    services.report_triage(actor=board.reviewer, report=report, outcome="confirmed")
    this_month = f"{timezone.now():%Y-%m}"
    with pytest.raises(ApplicationError) as still_open:
        services.statements_close(actor=board.admin, period=this_month)
    assert still_open.value.code == "period_open"
    entry = report.entries.get()
    last_month = (timezone.now().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    ContributionEntry.objects.create(
        artist=board.artist, cohort=board.cohort, kind="feedback", amount_minor=700, currency="EUR", key="past",
        created_at=timezone.now().replace(day=1) - timedelta(days=2),
    )  # fmt: skip
    (statement,) = services.statements_close(actor=board.admin, period=last_month)
    assert statement.totals == {"EUR": 700} and services.statements_close(actor=board.admin, period=last_month) == []
    with pytest.raises(ApplicationError):
        services.statement_mark_paid(actor=board.admin, statement=statement, reference="", paid_on=None)
    services.statement_mark_paid(
        actor=board.admin, statement=statement, reference="SEPA-1", paid_on=timezone.now().date()
    )
    assert board.artist.notifications.filter(kind="statement_paid").exists()
    assert entry.amount_minor == 6000


OUTCOME_STEPS = st.lists(
    st.tuples(st.integers(min_value=0, max_value=3), st.sampled_from(["confirmed", "wont_fix", "needs_info",
                                                                      "resolved", "duplicate", "in_progress"])),
    min_size=1, max_size=12,
)  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=OUTCOME_STEPS)
def test_the_csv_always_equals_the_ledger(board, steps):
    reports = [bug(board, severity=severity, title=f"Bug {index}") for index, severity in
               enumerate(("low", "medium", "high", "critical"))]  # fmt: skip
    for index, outcome in steps:
        original = reports[(index + 1) % 4] if outcome == "duplicate" else None
        services.report_triage(
            actor=board.reviewer, report=reports[index], outcome=outcome, reason="why", duplicate_of=original
        )
    period = f"{timezone.now():%Y-%m}"
    rows = list(csv.DictReader(io.StringIO(exports.payouts_csv(period=period))))
    entries = ContributionEntry.objects.all()  # every entry of every example so far, all in this period
    assert sum(int(row["amount_minor"]) for row in rows) == sum(entries.values_list("amount_minor", flat=True))
    assert sum(int(row["credits"]) for row in rows) == sum(entries.values_list("credits", flat=True))
    for report in reports:  # and each report holds exactly what its state earns at its rate card
        report.refresh_from_db()
        earned = earned_contribution(report)
        assert sum(report.entries.values_list("amount_minor", flat=True)) == (RATES[earned][0] if earned else 0)


def test_a_contribution_without_a_report_lists_as_the_schema_says(board):
    """A promotion fee (or any entry not earned by a report) has no report: the schema says null may come."""
    ContributionEntry.objects.create(
        artist=board.artist, cohort=board.cohort, kind="promotion", amount_minor=20000, currency="EUR", key="promo-1"
    )
    listed = api_client_for(board.artist).get("/api/v1/contributions/")  # held to the schema by tests/support
    assert listed.status_code == 200 and listed.json()["results"][0]["report"] is None
