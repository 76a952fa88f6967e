"""Real workers: messages through Redis, a worker process killed mid-job, and the lease that saves the job."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

from config.env import BASE_DIR
from generations import dispatch, services
from generations import worker as runtime
from generations.models import CreditAccount, Generation, LedgerEntry
from tests.services import child_environment
from tests.support.clients import api_client_for
from tests.support.clips import SMALL

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def wait_for(predicate, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def status_of(generation) -> str:
    generation.refresh_from_db()
    return generation.status


def test_submitting_through_the_api_wakes_a_real_worker(celery_worker, cohort, artist):
    client = api_client_for(artist)
    response = client.post("/api/v1/generations/", {"prompt": "a boat", **SMALL}, format="json")
    assert response.status_code == 201, response.json()
    generation = Generation.objects.get(public_id=response.json()["id"])
    wait_for(lambda: status_of(generation) == "succeeded", what="the worker to render the clip")
    body = client.get(f"/api/v1/generations/{generation.public_id}/").json()
    assert body["status"] == "succeeded" and body["progress"] == 100 and body["video_url"]
    # A duplicate message for the same job: the worker finds nothing to claim.
    dispatch.wake_workers()
    time.sleep(1.0)
    generation.refresh_from_db()
    assert generation.attempts == 1
    assert LedgerEntry.objects.filter(generation=generation, kind="charge").count() == 1


def _database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def slow_job(cohort, artist, steps: int) -> Generation:
    generation = services.generation_submit(
        artist=artist, cohort=cohort, prompt="slow", duration_s=4.125, resolution=256, aspect_ratio="1:1", fps=8
    )[0]
    Generation.objects.filter(pk=generation.pk).update(steps=steps)
    return generation


def worker_process(tmp_path, tiny_model, name: str, pool: str = "solo", **environment) -> subprocess.Popen:
    """A real `celery worker` process on the gpu queue, on this test's database and broker."""
    env = child_environment(
        DJANGO_SETTINGS_MODULE="config.settings", DATABASE_URL=_database_url(),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL, REDIS_URL=settings.REDIS_URL, VAR_DIR=str(tmp_path / "var"),
        MEDIA_ROOT=str(settings.MEDIA_ROOT), INFERENCE_TINY_PATH=str(tiny_model), **environment,
    )  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--queues", "gpu", "--pool", pool,
         "--concurrency", "1", "--loglevel", "WARNING", "--hostname", f"{name}-{os.getpid()}@%h"],
        cwd=BASE_DIR, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.postgres
def test_a_worker_killed_mid_job_loses_nothing(transactional_db, cohort, artist, tmp_path, tiny_model):
    if connection.vendor != "postgresql":
        pytest.skip("a worker process needs the shared PostgreSQL test database")
    generation = slow_job(cohort, artist, steps=40)
    worker = worker_process(tmp_path, tiny_model, "doomed", GENERATION_LEASE_SECONDS="3")
    try:
        wait_for(lambda: status_of(generation) == "running" and generation.progress >= 5, timeout=120, what="rendering")
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    generation.refresh_from_db()
    assert generation.status == "running" and generation.attempts == 1

    # Nobody renews the lease now; once it lapses the beat task hands the job on.
    wait_for(lambda: dispatch.requeue_expired() == (1, 0), timeout=30, what="the lease to expire")
    generation.refresh_from_db()
    assert generation.status == "queued"
    Generation.objects.filter(pk=generation.pk).update(steps=4)  # the second attempt may be quick

    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    with start_worker(app, pool="solo", queues=["gpu"], perform_ping_check=False, shutdown_timeout=30):
        wait_for(lambda: status_of(generation) in Generation.TERMINAL, timeout=120, what="the second attempt")
    generation.refresh_from_db()
    assert generation.status == "succeeded" and generation.attempts == 2
    assert LedgerEntry.objects.filter(generation=generation, kind="charge").count() == 1
    account = CreditAccount.objects.get(pk=generation.account_id)
    assert (account.available, account.reserved) == (100 - generation.cost, 0)


@pytest.mark.postgres
@pytest.mark.parametrize("pool", ["prefork", "solo"])
def test_sigterm_hands_the_running_job_back_uncharged_and_another_worker_finishes_it(
    transactional_db, cohort, artist, tmp_path, tiny_model, pool
):
    """A worker stopped with SIGTERM, as a kubelet stops a pod, with no grace left: the job stops at a step
    boundary and goes back to the queue, not charged, its attempt not counted, and the worker exits;
    another worker finishes it."""
    if connection.vendor != "postgresql":
        pytest.skip("a worker process needs the shared PostgreSQL test database")
    generation = slow_job(cohort, artist, steps=50)
    worker = worker_process(tmp_path, tiny_model, f"stopping-{pool}", pool, GENERATION_SHUTDOWN_GRACE_SECONDS="0")
    try:
        # As soon as it is claimed (loading or denoising): it stops at the first step boundary.
        wait_for(lambda: status_of(generation) == "running", timeout=120, what="the claim")
        worker.send_signal(signal.SIGTERM)  # to the worker only, as a kubelet's stop reaches PID 1
        assert worker.wait(timeout=60) == 0  # warm shutdown ends once the job is handed back
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
    generation.refresh_from_db()
    assert (generation.status, generation.attempts, generation.progress) == ("queued", 0, 0)
    assert not LedgerEntry.objects.filter(generation=generation, kind__in=["charge", "release"]).exists()
    account = CreditAccount.objects.get(pk=generation.account_id)
    assert account.reserved == generation.cost  # still reserved for the job, not charged

    Generation.objects.filter(pk=generation.pk).update(steps=4)  # the next worker may be quick
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    with start_worker(app, pool="solo", queues=["gpu"], perform_ping_check=False, shutdown_timeout=30):
        dispatch.wake_workers()  # the beat's wake-up, every 30 s, without the wait
        wait_for(lambda: status_of(generation) in Generation.TERMINAL, timeout=120, what="another worker")
    generation.refresh_from_db()
    assert generation.status == "succeeded" and generation.attempts == 1
    assert LedgerEntry.objects.filter(generation=generation, kind="charge").count() == 1


@pytest.mark.postgres
def test_a_database_restart_under_a_render_costs_nothing(transactional_db, cohort, artist, tmp_path, tiny_model):
    """PostgreSQL restarting (here: every connection of the worker cut, as a restart or failover cuts
    them) while a clip renders: the worker misses a renewal and reconnects; the clip succeeds on its
    first attempt, charged once."""
    if connection.vendor != "postgresql":
        pytest.skip("a worker process needs the shared PostgreSQL test database")
    generation = slow_job(cohort, artist, steps=40)
    name = f"vernissage-worker-{os.getpid()}"  # libpq names the worker's connections; only they are cut
    worker = worker_process(tmp_path, tiny_model, "reconnecting", PGAPPNAME=name)
    try:
        wait_for(lambda: status_of(generation) == "running" and generation.progress >= 5, timeout=120, what="rendering")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s", [name]
            )
            assert cursor.fetchone()[0] >= 1  # the worker's connections were cut
        wait_for(lambda: status_of(generation) in Generation.TERMINAL, timeout=120, what="the render to end")
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    generation.refresh_from_db()
    assert (generation.status, generation.attempts) == ("succeeded", 1), generation.failure_message
    assert LedgerEntry.objects.filter(generation=generation, kind="charge").count() == 1


def test_recording_a_result_waits_for_the_database_with_backoff(monkeypatch):
    from django.db import OperationalError


    class Clock:  # stands in for the time module inside generations.tasks only
        now = 0.0

        def monotonic(self):
            return self.now

        def sleep(self, seconds):
            sleeps.append(seconds)
            self.now += seconds

    sleeps, calls = [], []
    monkeypatch.setattr(runtime, "time", Clock())

    def settle(generation_id, *, owner):
        calls.append((generation_id, owner))
        if len(calls) < 3:
            raise OperationalError("terminating connection due to administrator command")
        return True

    assert runtime._settle_when_database_answers(settle, 7, owner="w") is True
    assert calls == [(7, "w")] * 3 and sleeps == [0.5, 1.0]

    def never(**kwargs):
        raise OperationalError("the server is gone")

    with pytest.raises(OperationalError):  # past half the lease, the lease decides
        runtime._settle_when_database_answers(never)
    assert 0 < sum(sleeps) - 1.5 <= settings.GENERATION_LEASE_SECONDS / 2
