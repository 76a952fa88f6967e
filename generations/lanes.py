"""The relaxed lane: idle GPU time for artists, at no cost or a share of the price a cohort sets.

A relaxed clip is queued like any other but runs only when no paid clip may: the fair-share queue puts
every runnable paid clip first (selectors.fair_share_queue), a batch never mixes the lanes
(dispatch.claim_batch), and a relaxed clip already running yields its GPU within a step when a paid
clip is waiting (dispatch.heartbeat): it goes back to the queue as it was, uncharged. Inside the lane
artists keep their fair share. Each artist may have a few relaxed clips queued and queue a few a day.
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.utils import timezone

from accounts.models import Cohort, User
from core.errors import ApplicationError
from generations.models import Generation, QuotaPolicy

Lane = Generation.Lane


def relaxed_policy(*, cohort: Cohort) -> QuotaPolicy:
    """The cohort's policy, if its relaxed lane is open; otherwise the refusal says so."""
    policy = QuotaPolicy.objects.filter(cohort=cohort, relaxed_lane=True).first()
    if policy is None:
        raise ApplicationError(
            "relaxed_lane_closed", f"{cohort.name} has no relaxed lane.", fields={"lane": "not open in this cohort"}
        )
    return policy


def relaxed_cost(*, policy: QuotaPolicy, cost: int) -> int:
    """What a relaxed clip costs: the cohort's share of its price, rounded up (0% is free)."""
    return math.ceil(cost * policy.relaxed_cost_percent / 100)


def check_relaxed_caps(*, artist: User, policy: QuotaPolicy) -> None:
    """Refuse a relaxed clip past the artist's caps. Called under the artist's account lock, which
    serialises their submissions, so concurrent submissions cannot pass a cap together."""
    relaxed = Generation.objects.filter(artist=artist, lane=Lane.RELAXED)
    waiting = relaxed.filter(status=Generation.Status.QUEUED).count()
    if waiting >= policy.relaxed_max_queued_per_artist:
        raise ApplicationError(
            "too_many_queued",
            f"You have {waiting} relaxed clips waiting; the limit is {policy.relaxed_max_queued_per_artist}.",
            status=429,
        )
    today = relaxed.filter(queued_at__gte=timezone.now() - timedelta(days=1)).count()
    if today >= policy.relaxed_per_day:
        raise ApplicationError(
            "relaxed_daily_limit",
            f"You queued {today} relaxed clips in the last 24 hours; the limit is {policy.relaxed_per_day}.",
            status=429,
        )


def relaxed_to_yield(*, held: list[int], waiting_paid: int) -> set[int]:
    """Which of the relaxed clips in ``held`` give their GPU back now, with ``waiting_paid`` paid clips
    runnable: the most recently started relaxed clips anywhere, one per waiting paid clip (the others
    keep their progress)."""
    if not waiting_paid or not held:
        return set()
    youngest = (
        Generation.objects.filter(status=Generation.Status.RUNNING, lane=Lane.RELAXED)
        .order_by("-started_at", "-id")
        .values_list("pk", flat=True)[:waiting_paid]
    )
    return set(youngest) & set(held)
