"""Which generations a request may see and act on: one place for the API, the pages and the services.

Staff see their cohorts' generations (reviewers) or all (admins) only while the request may use staff
powers (accounts.permissions.staff_powers: a second factor passed); otherwise everyone sees their own.
Whoever may see a generation may cancel it (staff: a stuck job of their cohort); only its artist may
re-run, retry or delete it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User
from accounts.permissions import staff_powers
from core.errors import ApplicationError
from generations import selectors
from generations.models import Generation


def generations_for(request) -> QuerySet[Generation]:
    return selectors.generations_visible_to(user=request.user, as_staff=staff_powers(request))


def access_generation(request, public_id) -> Generation:
    """The generation if this request may see it; a 404 otherwise (never a hint that it exists)."""
    return get_object_or_404(generations_for(request), public_id=public_id)


def check_artist_of(*, actor: User, generation: Generation) -> None:
    """Refuse (403) unless ``actor`` made ``generation``: re-running, retrying and deleting are the artist's."""
    if actor.pk != generation.artist_id:
        raise ApplicationError("permission_denied", "Only the artist may do this with their clip.", status=403)


@dataclass(frozen=True)
class Viewer:
    """Who a serialization is for: their media URLs name them, and staff-only fields show only to staff."""

    user: User
    as_staff: bool
    absolute: Callable[[str], str]  # a path made into a full URL (request.build_absolute_uri)


def viewer_of(request) -> Viewer:
    """The viewer an API answer is serialized for: staff-only fields show while staff powers are in use."""
    return Viewer(user=request.user, as_staff=staff_powers(request), absolute=request.build_absolute_uri)
