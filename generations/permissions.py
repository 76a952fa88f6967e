"""Which generations a request may see and act on: one place for the API and the pages.

Staff see their cohorts' generations (reviewers) or all (admins) only while the request may use staff
powers (accounts.permissions.staff_powers: a second factor passed); otherwise everyone sees their own.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.permissions import staff_powers
from generations import selectors
from generations.models import Generation


def generations_for(request) -> QuerySet[Generation]:
    return selectors.generations_visible_to(user=request.user, as_staff=staff_powers(request))


def access_generation(request, public_id) -> Generation:
    """The generation if this request may see it; a 404 otherwise (never a hint that it exists)."""
    return get_object_or_404(generations_for(request), public_id=public_id)
