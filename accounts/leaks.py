"""Leak containment: a token relayed by a public front end is suspended on the spot.

A relayed token shows up from many client addresses, or submits far more work than a person does.
Each request that the rate limits let through (never one answered 429) counts the token's distinct
addresses, and each submission the token's submissions, in sliding windows; past the cohort's
thresholds the token is suspended and this very request is refused before it is answered. A high
request rate alone is the rate limits' business: 429 and Retry-After, never a suspension, so a
polite script that backs off is never cut off.

Windows are keyed by the token's last reactivation, so reactivating a token starts them afresh.
"""

from __future__ import annotations

import functools

from django.db.models import Min
from rest_framework.exceptions import AuthenticationFailed

from accounts import services
from accounts.models import ApiToken, Cohort
from core import ratelimit

DEFAULT_THRESHOLDS = {
    "max_addresses": Cohort._meta.get_field("leak_max_addresses").default,
    "window_minutes": Cohort._meta.get_field("leak_address_window_minutes").default,
    "max_submissions_per_minute": Cohort._meta.get_field("leak_max_submissions_per_minute").default,
}
# Where the windows counted for one request are kept, so a request answered 429 can take its marks back.
MARKS_ATTRIBUTE = "_leak_window_marks"


@functools.cache
def _tokens_with_thresholds():
    return ApiToken.objects.select_related("user").annotate(
        leak_max_addresses=Min("user__memberships__cohort__leak_max_addresses"),
        leak_window_minutes=Min("user__memberships__cohort__leak_address_window_minutes"),
        leak_max_submissions_per_minute=Min("user__memberships__cohort__leak_max_submissions_per_minute"),
    )


def tokens_with_thresholds():
    """Tokens with their owner and, in the same query, the strictest thresholds of the owner's cohorts.

    The annotated query is built once per process (building it costs more than running it); each
    call hands out a copy, so no request sees another's filters or results.
    """
    return _tokens_with_thresholds().all()


def leak_thresholds(token: ApiToken) -> dict:
    """The strictest thresholds among the cohorts the person belongs to (program defaults if none)."""
    found = {
        "max_addresses": getattr(token, "leak_max_addresses", None),
        "window_minutes": getattr(token, "leak_window_minutes", None),
        "max_submissions_per_minute": getattr(token, "leak_max_submissions_per_minute", None),
    }
    return {key: found[key] or default for key, default in DEFAULT_THRESHOLDS.items()}


def window_epoch(token: ApiToken) -> int:
    """Part of every window key of the token: changes when the token is reactivated."""
    return int(token.reactivated_at.timestamp()) if token.reactivated_at else 0


def check_for_leak(request, token: ApiToken, ip: str | None, *, submission: bool) -> None:
    """Count this request (and, if ``submission``, this submission); suspend the token and refuse the
    request when its use looks relayed. ``token`` comes from tokens_with_thresholds()."""
    limits = leak_thresholds(token)
    epoch = window_epoch(token)
    marks = [(f"leak:addr:{token.pk}:{epoch}", limits["window_minutes"] * 60, ip or "unknown")]
    if submission:
        marks.append((f"leak:sub:{token.pk}:{epoch}", 60, ratelimit.unique_member()))
    counts = ratelimit.sliding_counts(marks)
    # Only a submission's mark is its own to take back; an address is shared by the client's other requests.
    setattr(request, MARKS_ATTRIBUTE, [(key, window_s, member) for key, window_s, member in marks[1:]])
    addresses, submissions = counts[0], (counts[1] if submission else 0)
    reason = None
    if addresses > limits["max_addresses"]:
        reason = (
            f"used from {addresses} different addresses within {limits['window_minutes']} minutes "
            f"(the limit is {limits['max_addresses']})"
        )
    elif submissions > limits["max_submissions_per_minute"]:
        reason = f"{submissions} submissions within a minute (the limit is {limits['max_submissions_per_minute']})"
    if reason:
        data = {"addresses": addresses, "submissions_last_minute": submissions, "thresholds": limits}
        services.token_suspend_for_leak(token=token, reason=reason, data=data, ip=ip)
        raise AuthenticationFailed(f"This token was suspended: {reason}.", code="token_suspended")


def forget_request(request) -> None:
    """Take back what this request counted, because it was answered 429 (it did no work)."""
    marks = getattr(request, MARKS_ATTRIBUTE, None)
    if marks:
        ratelimit.sliding_forget(marks)
