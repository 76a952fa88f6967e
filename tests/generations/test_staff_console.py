"""The admin home's numbers and the queue page's jobs, read from real rows on the suite's database."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from generations import numbers, services
from generations.models import Generation
from tests.support.clients import sign_in
from tests.support.clips import SMALL
from tests.support.factories import CohortFactory, MembershipFactory


@pytest.fixture
def quiet(wake_ups, monkeypatch):
    monkeypatch.setattr("generations.views._live_workers", lambda: ["gpu-1@host"])


def job(artist, cohort, *, waited_s: float, days_ago: int, status="succeeded", gpu_seconds=2.0):
    generation = services.generation_submit(artist=artist, cohort=cohort, prompt=f"waited {waited_s}", **SMALL)[0]
    # Half an hour earlier, but never across midnight (UTC): a run just after 00:00 keeps "today" today.
    now = timezone.now()
    since_midnight = now - now.replace(hour=0, minute=0, second=0, microsecond=0)
    queued = now - timedelta(days=days_ago) - min(timedelta(minutes=30), since_midnight / 2)
    Generation.objects.filter(pk=generation.pk).update(
        status=status, queued_at=queued, started_at=queued + timedelta(seconds=waited_s),
        finished_at=queued + timedelta(seconds=waited_s + 5), gpu_seconds=gpu_seconds,
    )  # fmt: skip
    return generation


def test_console_numbers_give_wait_percentiles_gpu_time_and_states_per_day(artist, cohort, make_artist, quiet):
    other_cohort = CohortFactory(name="Second cohort")
    for waited in (1, 2, 3, 4, 100):
        job(artist, cohort, waited_s=waited, days_ago=0)
    job(artist, cohort, waited_s=10, days_ago=1, status="failed", gpu_seconds=1.5)
    second = MembershipFactory(cohort=other_cohort).user
    job(second, other_cohort, waited_s=6, days_ago=1, gpu_seconds=4.0)
    services.generation_submit(artist=artist, cohort=cohort, prompt="still waiting", **SMALL)

    series = numbers.daily_series(days=14)
    assert len(series.days) == 14
    assert series.wait_p50_s[-1] == pytest.approx(3.0)
    assert series.wait_p95_s[-1] == pytest.approx(80.8)  # percentile_cont interpolates between 4 and 100
    assert series.wait_p50_s[-2] == pytest.approx(8.0) and series.wait_p50_s[0] is None
    assert series.gpu_seconds_by_cohort[cohort.name][-1] == pytest.approx(10.0)
    assert series.gpu_seconds_by_cohort["Second cohort"][-2] == pytest.approx(4.0)
    assert series.jobs_by_state["Succeeded"][-1] == 5 and series.jobs_by_state["Failed"][-2] == 1
    assert series.jobs_by_state["Queued"][-1] == 1

    live = numbers.live_numbers()
    assert live.queued == 1 and live.running == 0 and live.oldest_wait_s is not None
    assert live.by_state_today == {"succeeded": 5, "queued": 1}
    assert live.wait_p50_today_s == pytest.approx(3.0) and live.wait_p95_today_s == pytest.approx(80.8)
    assert live.wait_p50_yesterday_s == pytest.approx(8.0)


def test_the_queue_page_lists_the_jobs_behind_the_counts_and_cancels_after_asking(artist, cohort, admin, quiet):
    waiting = services.generation_submit(artist=artist, cohort=cohort, prompt="a lantern festival", **SMALL)[0]
    running = services.generation_submit(artist=artist, cohort=cohort, prompt="a night market", **SMALL)[0]
    Generation.objects.filter(pk=running.pk).update(
        status="running",
        started_at=timezone.now(),
        lease_owner="gpu-1@host:77",
        progress=40,
        lease_expires_at=timezone.now() + timedelta(minutes=1),
    )
    client = Client()
    sign_in(client, admin)
    page = client.get("/staff/queue/").content.decode()
    assert "a lantern festival" in page and "a night market" in page and "gpu-1@host:77" in page
    assert page.index("a night market") < page.index("a lantern festival")  # running first
    assert 'data-confirm="Cancel' in page  # the cancel button asks first (a dialog in the browser)
    part = client.get("/staff/queue/?part=jobs", HTTP_HX_REQUEST="true").content.decode()
    assert part.lstrip().startswith('<section class="card" id="queue-jobs"')
    response = client.post(f"/studio/g/{waiting.public_id}/cancel/", {"next": "/staff/queue/"})
    assert response.status_code == 302 and response["Location"] == "/staff/queue/"
    waiting.refresh_from_db()
    assert waiting.status == "canceled"


def test_the_dashboard_shows_live_numbers_and_charts(artist, cohort, admin, quiet):
    job(artist, cohort, waited_s=2, days_ago=0)
    client = Client()
    sign_in(client, admin)
    page = client.get("/staff/").content.decode()
    assert "Program dashboard" in page and "<polyline" in page and "median wait today" in page
    assert '1</strong> <a href="/staff/health/">worker answering' in page
    from tests.support.queries import counted

    with counted() as polled:
        live = client.get("/staff/?part=live", HTTP_HX_REQUEST="true").content.decode()
    assert live.lstrip().startswith('<div id="live"') and "2.0 s</strong> median wait today" in live
    # The poll every 5 s reads the live figures only (three queries), not the two weeks behind the charts.
    assert len(polled.touching("generations_generation")) == 3, str(polled)
    assert Client().get("/staff/").status_code == 302  # signed out: to sign-in
    sign_in(other := Client(), artist)
    assert other.get("/staff/").status_code in (403, 404)
