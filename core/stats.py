"""Percentiles of small samples, the same way everywhere (pages, benchmarks)."""

from __future__ import annotations


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank value below which ``share`` of ``values`` lie; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
