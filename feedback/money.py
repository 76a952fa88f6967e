"""Amounts in minor units (cents) as people read them, in the currency's own decimals."""

from __future__ import annotations

import moneyed


def format_minor(amount: int, currency: str) -> str:
    """12345 EUR -> "123.45" (the currency's own number of decimals)."""
    digits = moneyed.get_currency(currency).sub_unit if currency else 100
    places = len(str(digits)) - 1
    return f"{amount / digits:.{places}f}" if places else str(amount)
