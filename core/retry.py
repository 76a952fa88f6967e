"""How long to wait before the next attempt at something that failed: one rule for every retry."""

from __future__ import annotations


def backoff_seconds(attempts: int, *, first: float, most: float) -> float:
    """Seconds before attempt ``attempts + 1``: ``first`` after the first failure, doubling, at most ``most``."""
    return min(most, first * 2 ** max(0, attempts - 1))
