"""The suite keeps to the Redis database it claimed: data of anyone else on the same server (another
application, another test run) is never flushed or written."""

import os
import uuid

import pytest
import redis
from django.conf import settings

from tests.services import OWNER_KEY, TEST_REDIS_URL, redis_claim, redis_reset

pytestmark = [pytest.mark.redis]


def test_this_run_works_in_a_database_it_claimed(db):
    client = redis.Redis.from_url(settings.REDIS_URL)
    assert client.get(OWNER_KEY).decode() == os.environ["VERNISSAGE_TEST_REDIS_OWNER"]
    assert settings.CELERY_BROKER_URL == settings.REDIS_URL


def test_a_database_holding_someone_elses_data_is_neither_claimed_nor_flushed():
    owner, stranger = f"pytest-{uuid.uuid4().hex[:8]}", f"someone-else:{uuid.uuid4().hex}"
    # Someone else's data in an empty database (made by this test, and removed by it at the end).
    theirs = redis_claim(TEST_REDIS_URL, owner="setup", preferred=15)
    assert theirs is not None
    client = redis.Redis.from_url(theirs)
    client.delete(OWNER_KEY, "vernissage-test:alive")
    client.set(stranger, "precious")
    try:
        mine = redis_claim(TEST_REDIS_URL, owner=owner, preferred=int(theirs.rsplit("/", 1)[1]))
        assert mine is not None and mine != theirs
        assert not redis_reset(theirs, owner=owner)  # not ours: refused, nothing flushed
        assert client.get(stranger) == b"precious"
        assert redis_reset(mine, owner=owner, release=True)
        assert redis.Redis.from_url(mine).dbsize() == 0  # given back empty
    finally:
        client.delete(stranger)
