"""Reverse one-to-one lookups without exceptions: Django raises where "none" is an ordinary answer."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist


def related_or_none(obj, name: str):
    """``obj.<name>`` for a reverse one-to-one relation, or None where no row points back (cached either way)."""
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        return None
