"""Money is shown in each currency's own minor unit (ISO 4217: JPY 0 decimals, EUR 2, BHD 3), everywhere:
the award notice, the earnings page and its chart, the API, the statements CSV."""

import pytest
from django.test import Client

from feedback import services
from feedback.money import format_minor
from tests.support.board import RATES, bug
from tests.support.clients import api_client_for, sign_in


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [(6000, "JPY", "6000"), (6000, "EUR", "60.00"), (6000, "BHD", "6.000"), (-5, "EUR", "-0.05"), (7, "KWD", "0.007"),
     (123456789012345678, "EUR", "1234567890123456.78")],
)  # fmt: skip
def test_format_minor_uses_the_currencys_minor_unit_exactly(amount, currency, shown):
    assert format_minor(amount, currency) == shown


@pytest.mark.parametrize(("currency", "shown"), [("JPY", "+6000 JPY"), ("BHD", "+6.000 BHD"), ("EUR", "+60.00 EUR")])
def test_an_award_reads_in_its_currencys_own_units_everywhere(board, currency, shown):
    services.rate_card_publish(actor=board.admin, cohort=board.cohort, currency=currency, lines=RATES)
    report = bug(board)
    services.report_triage(actor=board.reviewer, report=report, outcome="confirmed", reason="Real.")
    notice = board.artist.notifications.get(kind="report_triaged")
    assert shown in notice.body, notice.body
    plain = shown.lstrip("+")

    page = Client()
    sign_in(page, board.artist)
    earnings = page.get("/earnings/").content.decode()
    assert plain in earnings
    wrong = {"JPY": "60.00 JPY", "BHD": "6.00 BHD", "EUR": "6000 EUR"}[currency]
    assert wrong not in earnings and wrong not in notice.body
    listed = api_client_for(board.artist).get("/api/v1/contributions/").json()
    assert listed["results"][0]["amount"] == plain.split()[0]
