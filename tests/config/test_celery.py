"""The Celery application: its configuration, and a real worker running a task through Redis."""

import time
import uuid

import pytest
from django.conf import settings
from django.core.cache import cache

from config.celery import app


@app.task(name="tests.remember", ignore_result=True)
def remember(key: str) -> None:
    """Test-only task: leaves a mark in the shared cache for the test to find."""
    cache.set(key, "done", timeout=60)


@app.task(name="tests.remember_connection", ignore_result=True)
def remember_connection(key: str) -> None:
    """Test-only task: leaves the PostgreSQL backend serving this task's queries in the shared cache."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        cache.set(key, cursor.fetchone()[0], timeout=60)


def test_configuration_is_safe_for_gpu_work():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.accept_content == ["json"]
    assert conf.task_serializer == "json"
    assert {queue.name for queue in conf.task_queues} == {"default", "gpu"}
    assert app.amqp.router.route({}, "generations.gpu.render")["queue"].name == "gpu"
    assert app.amqp.router.route({}, "accounts.clear_expired_sessions")["queue"].name == "default"
    assert conf.task_ignore_result is True  # state lives on our models, not in a result backend


def test_beat_schedule_names_registered_tasks():
    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


@pytest.mark.redis
def test_real_worker_runs_a_task_through_redis(celery_worker):
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    key = f"remember:{uuid.uuid4()}"
    remember.delay(key)
    deadline = time.monotonic() + 20
    while cache.get(key) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cache.get(key) == "done"


def wait_for_cache(key: str, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while cache.get(key) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return cache.get(key)


@pytest.mark.redis
def test_worker_keeps_its_database_connection_between_tasks(celery_worker):
    """A GPU job claims with its first query: reconnecting before each task cost ~10 ms of queue wait."""
    if connection_vendor() != "postgresql":
        pytest.skip("backend ids are PostgreSQL's")
    backends = []
    for _ in range(3):
        key = f"connection:{uuid.uuid4()}"
        remember_connection.delay(key)
        backends.append(wait_for_cache(key))
    assert None not in backends
    assert len(set(backends)) == 1, backends


def connection_vendor() -> str:
    from django.db import connection

    return connection.vendor


@pytest.mark.redis
@pytest.mark.django_db
def test_clear_expired_sessions_task_runs(celery_worker):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    Session.objects.create(session_key="x" * 32, session_data="", expire_date=timezone.now() - timedelta(days=1))
    app.send_task("accounts.clear_expired_sessions")
    deadline = time.monotonic() + 20
    while Session.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Session.objects.exists()
