"""seed_demo's step for the generations app (settings.DEMO_SEED_STEPS)."""

from __future__ import annotations

from accounts.models import ACTIVE_ARTIST_MEMBERS, Cohort, User
from generations.models import CreditAccount, QuotaPolicy
from generations.services import account_for


def demo_seed_credits(*, cohort: Cohort) -> list[CreditAccount]:
    """A quota policy for the demo cohort, and credits for its artists."""
    QuotaPolicy.objects.get_or_create(
        cohort=cohort, defaults={"credits_per_period": 200, "period_days": 7, "max_running_per_artist": 1}
    )
    artists = User.objects.filter(memberships__cohort=cohort, **ACTIVE_ARTIST_MEMBERS)
    return [account_for(user=artist, cohort=cohort) for artist in artists]
