"""No queued job depends on one wake-up message: resuming, finishing, re-queueing and the beat each wake
the workers, and every job ends, with a real worker."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.services import generation_pause_set, membership_set_status
from generations import dispatch, services, tasks
from generations.models import Generation, QuotaPolicy
from tests.support.clips import SMALL
from tests.support.dispatch import wake_ups_held

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def wait_until_all_end(timeout=120.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if not Generation.objects.exclude(status__in=Generation.TERMINAL).exists():
            return time.monotonic() - started
        time.sleep(0.1)
    stuck = list(Generation.objects.values_list("pk", "status"))
    raise AssertionError(f"jobs still waiting after {timeout:.0f} s: {stuck}")


def submit_several(artist, cohort, count):
    for n in range(count):
        services.generation_submit(artist=artist, cohort=cohort, prompt=f"clip {n}", **SMALL)


def messages_spent(seconds=1.5):
    time.sleep(seconds)  # the worker takes the wake-ups, finds nothing it may run, and drops them


def test_jobs_queued_before_a_pause_start_when_it_is_resumed(celery_worker, cohort, artist, admin):
    with wake_ups_held():
        submit_several(artist, cohort, 3)
    generation_pause_set(actor=admin, paused=True, reason="maintenance")
    dispatch.wake_workers(count=3)  # their wake-ups arrive during the pause and find nothing to run
    messages_spent()
    assert set(Generation.objects.values_list("status", flat=True)) == {"queued"}
    generation_pause_set(actor=admin, paused=False)
    took = wait_until_all_end()
    print(f"\npause and resume: 3 queued jobs all succeeded {took:.1f} s after resuming")
    assert set(Generation.objects.values_list("status", flat=True)) == {"succeeded"}


def test_jobs_of_a_suspended_membership_start_when_it_is_reactivated(celery_worker, cohort, artist, admin):
    with wake_ups_held():
        submit_several(artist, cohort, 2)
    membership = artist.memberships.get(cohort=cohort)
    membership_set_status(actor=admin, membership=membership, status="suspended", reason="checking")
    dispatch.wake_workers(count=2)
    messages_spent()
    assert Generation.objects.filter(status="queued").count() == 2
    membership_set_status(actor=admin, membership=membership, status="active")
    wait_until_all_end()
    assert set(Generation.objects.values_list("status", flat=True)) == {"succeeded"}


def test_jobs_behind_a_killed_workers_slot_all_run(celery_worker, cohort, artist):
    """A worker's process dies holding the artist's only running slot; the other workers spend every
    wake-up on jobs that may not start yet. Re-queueing the dead job must not strand the rest."""
    QuotaPolicy.objects.filter(cohort=cohort).update(max_queued_per_artist=10, credits_per_period=100)
    with wake_ups_held():
        submit_several(artist, cohort, 6)
    claim = dispatch.claim_batch(owner="killed-process", max_batch=1)
    Generation.objects.filter(pk=claim.generations[0].pk).update(lease_expires_at=timezone.now() - timedelta(1))
    dispatch.wake_workers(count=5)  # the other five jobs' wake-ups, spent while the slot is held
    messages_spent()
    assert Generation.objects.filter(status="queued").count() == 5

    assert dispatch.requeue_expired() == (1, 0)  # the beat notices the dead lease
    took = wait_until_all_end()
    print(f"\nkilled worker's slot: 6 jobs all succeeded {took:.1f} s after the re-queue")
    assert set(Generation.objects.values_list("status", flat=True)) == {"succeeded"}


def test_the_beat_wakes_a_worker_while_runnable_jobs_wait(celery_worker, cohort, artist):
    with wake_ups_held():  # every message lost
        submit_several(artist, cohort, 4)
    messages_spent(0.5)
    assert Generation.objects.filter(status="queued").count() == 4
    tasks.wake_workers()  # what beat runs every 30 seconds
    wait_until_all_end()
    assert set(Generation.objects.values_list("status", flat=True)) == {"succeeded"}
