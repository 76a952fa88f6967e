"""Percentiles of small samples, the same way everywhere (pages, benchmarks)."""

from __future__ import annotations


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank value below which ``share`` of ``values`` lie; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def percentile_cont(values: list[float], share: float) -> float | None:
    """As PostgreSQL's percentile_cont: the value at ``share`` of the way through ``values``, linearly
    interpolated between its neighbours; None for no values. The embedded SQLite path uses it, so both
    databases give a dashboard the same figures."""
    if not values:
        return None
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)
