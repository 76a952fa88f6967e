"""Months as the program books them: payout statements and statements of reasons are per YYYY-MM."""

from __future__ import annotations

import re
from datetime import datetime

from django.utils import timezone

PERIOD = re.compile(r"^[12]\d{3}-(0[1-9]|1[0-2])$")  # a month (YYYY-MM) of years 1000-2999


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """The first moment of the month and of the next, in the site's time zone."""
    year, month = (int(part) for part in period.split("-"))
    start = datetime(year, month, 1, tzinfo=timezone.get_current_timezone())
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=timezone.get_current_timezone())
    return start, end
