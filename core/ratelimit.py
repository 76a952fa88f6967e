"""Atomic counters in the shared store: rate limits and the leak detector's sliding windows.

With REDIS_URL set they live in Redis, where each update is one MULTI/EXEC
transaction, so many web processes count together exactly. Without Redis they
fall back to Django's cache in fixed windows; that is approximate under heavy
concurrency and meant for the single-machine embedded default.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid

from django.conf import settings
from django.core.cache import cache

KEY_PREFIX = "vernissage:rl:"


_local = threading.local()


def _redis():
    """One client per thread: gunicorn's threads must not share a connection mid-command."""
    client = getattr(_local, "client", None)
    if client is None:
        import redis

        client = _local.client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    return client


def _use_redis() -> bool:
    return bool(getattr(settings, "REDIS_URL", None))


def sliding_count(key: str, *, window_s: int, member: str | None = None) -> int:
    """Record one event and return how many distinct members were seen in the last ``window_s`` seconds.

    With ``member`` unset every call is its own member, so the result is the
    number of events in the window (a request rate). With ``member`` set to an
    address, the result is the number of distinct addresses.
    """
    return sliding_counts([(key, window_s, member)])[0]


def unique_member() -> str:
    return uuid.uuid4().hex


def sliding_forget(windows: list[tuple[str, int, str]]) -> None:
    """Remove the (key, window_s, member) marks that sliding_counts recorded."""
    if _use_redis():
        with _redis().pipeline(transaction=True) as pipe:
            for key, _window_s, member in windows:
                pipe.zrem(KEY_PREFIX + key, member)
            pipe.execute()
        return
    now = time.time()
    for key, window_s, member in windows:
        count_key = f"{KEY_PREFIX}{key}:{int(now // window_s)}"
        if cache.delete(f"{count_key}:{member}"):
            with contextlib.suppress(ValueError):  # the window has just rolled over: nothing to take back
                cache.decr(count_key)


def sliding_counts(windows: list[tuple[str, int, str | None]]) -> list[int]:
    """sliding_count for several (key, window_s, member) windows, in one Redis round trip."""
    now = time.time()
    if _use_redis():
        with _redis().pipeline(transaction=True) as pipe:
            for key, window_s, member in windows:
                full_key = KEY_PREFIX + key
                pipe.zadd(full_key, {member or uuid.uuid4().hex: now})
                pipe.zremrangebyscore(full_key, "-inf", now - window_s)
                pipe.zcard(full_key)
                pipe.expire(full_key, window_s + 1)
            results = pipe.execute()
        return [int(count) for count in results[2::4]]
    return [_cache_window_count(key, window_s, member or uuid.uuid4().hex, now) for key, window_s, member in windows]


def _cache_window_count(key: str, window_s: int, member: str, now: float) -> int:
    bucket = int(now // window_s)
    count_key = f"{KEY_PREFIX}{key}:{bucket}"
    if cache.add(f"{count_key}:{member}", 1, timeout=window_s * 2):
        return _cache_increment(count_key, timeout=window_s * 2)
    return cache.get(count_key, 1)


def fixed_window_hits(limits: list[tuple[str, int]], *, window_s: int = 60) -> tuple[bool, int]:
    """Count one request against each (key, limit per ``window_s``) counter, in one Redis round trip.

    Returns (allowed, seconds until the window resets); allowed only when every counter is within its limit.
    """
    now = time.time()
    bucket = int(now // window_s)
    retry_after = max(1, int((bucket + 1) * window_s - now) + 1)
    full_keys = [f"{KEY_PREFIX}{key}:{bucket}" for key, _ in limits]
    if _use_redis():
        with _redis().pipeline(transaction=True) as pipe:
            for full_key in full_keys:
                pipe.incr(full_key)
                pipe.expire(full_key, window_s + 1)
            counts = pipe.execute()[::2]
    else:
        counts = [_cache_increment(full_key, timeout=window_s + 1) for full_key in full_keys]
    allowed = all(count <= limit for count, (_, limit) in zip(counts, limits, strict=True))
    return allowed, retry_after


def _cache_increment(key: str, *, timeout: int) -> int:
    """Add one to a counter of the fallback cache. The database cache culls entries when it is full and
    a key may expire between add() and incr(): a counter that vanished starts again at one (a count a
    little low, never a 500)."""
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:
        cache.add(key, 1, timeout=timeout)
        return 1
