"""Staff looks at artists' private clips, recorded for the artist to see (who, when, through what)."""

from __future__ import annotations

from django.core.cache import cache

from accounts.models import User
from generations.models import Generation, StaffAccess

STAFF_ACCESS_REPEAT_SECONDS = 60


def staff_access_record(*, viewer: User, generation: Generation, via: str) -> StaffAccess | None:
    """Record that ``viewer`` opened someone else's clip (the artist sees who and when); nothing for the
    artist's own views. A player fetching the same video again within a minute is not a new record."""
    if viewer.pk == generation.artist_id:
        return None
    if not cache.add(f"staff-access:{viewer.pk}:{generation.pk}:{via}", 1, STAFF_ACCESS_REPEAT_SECONDS):
        return None
    return StaffAccess.objects.create(generation=generation, viewer=viewer, via=via)


def staff_access_record_list(*, viewer: User, generations: list[Generation]) -> int:
    """Record that ``viewer`` read the prompts of other people's clips in a list (one insert for the page;
    the same clip again within a minute is not a new record). Returns how many were recorded."""
    others = {f"staff-access:{viewer.pk}:{g.pk}:list": g for g in generations if g.artist_id != viewer.pk}
    if not others:
        return 0
    seen = cache.get_many(list(others))
    fresh = [generation for key, generation in others.items() if key not in seen]
    StaffAccess.objects.bulk_create(
        [StaffAccess(generation=generation, viewer=viewer, via=StaffAccess.Via.LIST) for generation in fresh]
    )
    cache.set_many(dict.fromkeys((key for key in others if key not in seen), 1), STAFF_ACCESS_REPEAT_SECONDS)
    return len(fresh)
