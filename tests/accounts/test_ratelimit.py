"""The shared counters behind rate limits and leak detection, in Redis and in the cache fallback."""

import pytest

from core import ratelimit


@pytest.fixture(params=["redis", "cache"])
def store(request, settings, db):
    if request.param == "cache":
        settings.REDIS_URL = None  # the embedded default: Django's cache, fixed windows
    elif not settings.REDIS_URL:
        pytest.skip("Redis is not configured")
    return request.param


def test_fixed_windows_count_every_counter_and_refuse_past_any_limit(store):
    counters = [("token:1", 3), ("user:1", 2)]
    # an hour-long window, so the test never straddles a window boundary
    results = [ratelimit.fixed_window_hits(counters, window_s=3600) for _ in range(3)]
    assert [allowed for allowed, _ in results] == [True, True, False]  # the person's limit of 2 bites first
    assert all(1 <= retry_after <= 3601 for _, retry_after in results)
    assert ratelimit.fixed_window_hits([("token:1", 3)], window_s=3600)[0] is False  # the token counted 3 already
    assert ratelimit.fixed_window_hits([("token:2", 3)], window_s=3600)[0] is True


def test_sliding_windows_count_distinct_addresses_and_every_request(store):
    for ip in ["10.0.0.1", "10.0.0.2", "10.0.0.1"]:
        addresses, requests = ratelimit.sliding_counts([("addr:1", 600, ip), ("rate:1", 60, None)])
    assert (addresses, requests) == (2, 3)


def test_a_fallback_counter_that_vanishes_starts_again_instead_of_failing(settings, db, monkeypatch):
    """The database cache culls entries when full (and keys expire): a counter gone between its add()
    and incr() counts from one again; the request is answered, not turned into a 500."""
    from django.core.cache import cache

    settings.REDIS_URL = None
    real_add = cache.add
    # The member's own marker ("...:x") is stored; a counter never stays, as if culled at once.
    monkeypatch.setattr(cache, "add", lambda key, *a, **kw: real_add(key, *a, **kw) if key.endswith(":x") else True)
    assert ratelimit.sliding_counts([("gone", 3600, "x")]) == [1]
    assert ratelimit.fixed_window_hits([("gone-fixed", 2)], window_s=3600)[0] is True
