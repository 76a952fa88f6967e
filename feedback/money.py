"""Amounts in minor units (cents) as people read them, in the currency's own decimals (ISO 4217's minor unit:
JPY 0, EUR 2, BHD 3), counted exactly: every amount shown anywhere goes through format_minor."""

from __future__ import annotations

from decimal import Decimal

import moneyed


def minor_unit_places(currency: str) -> int:
    """How many decimals the currency has (ISO 4217); 2 where no currency is named."""
    sub_unit = moneyed.get_currency(currency).sub_unit if currency else 100
    return len(str(sub_unit)) - 1


def format_minor(amount: int, currency: str, *, signed: bool = False) -> str:
    """12345 EUR -> "123.45", 12345 JPY -> "12345", 12345 BHD -> "12.345"; ``signed`` writes "+" too."""
    places = minor_unit_places(currency)
    value = Decimal(int(amount)).scaleb(-places)
    return f"{value:{'+' if signed else ''}.{places}f}"
