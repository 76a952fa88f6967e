"""The payouts CSV, straight from the ledger: for the program's accountant and for each artist."""

from __future__ import annotations

import csv
import io

from accounts.models import User
from feedback import selectors
from feedback.models import PayoutStatement
from feedback.money import format_minor


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
