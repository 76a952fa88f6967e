"""/healthz and /readyz by Kubernetes' conventions; the worker tier's health on /metrics and for staff."""

import pytest
from celery import Celery
from django.test import Client

from config import health
from tests.support.clients import api_client_for
from tests.support.factories import UserFactory

KUBELET = {"HTTP_HOST": "10.1.2.3:8000"}  # a kubelet probes the pod's IP


@pytest.mark.parametrize("method", ["get", "head"])
def test_healthz_answers_any_host_to_get_and_head_without_a_database(method, settings):
    settings.ALLOWED_HOSTS = ["vernissage.example"]
    response = getattr(Client(), method)("/healthz", **KUBELET)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    if method == "get":
        assert response.json() == {"status": "ok"}
    else:
        assert response.content == b""


def test_only_the_probes_are_exempt_from_allowed_hosts(db, settings):
    settings.ALLOWED_HOSTS = ["vernissage.example"]
    assert Client().get("/", **KUBELET).status_code == 400
    assert Client().post("/healthz", **KUBELET).status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "head"])
def test_readyz_is_ready_without_any_worker_and_tells_strangers_words_only(method, settings):
    """No worker runs in this test: readiness of a web process never waits on the worker tier."""
    settings.ALLOWED_HOSTS = ["vernissage.example"]
    response = getattr(Client(), method)("/readyz", **KUBELET)
    assert response.status_code == 200
    if method == "get":
        assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok", "broker": "ok"}}


@pytest.mark.django_db
def test_readyz_with_the_broker_down_is_503_with_words_and_no_details(monkeypatch, caplog):
    # An app whose broker is loopback port 9, where nothing listens: connections are refused.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)  # Celery prefers it over the argument
    # Not made the current app: the tests after this one in the same process would send their
    # messages to port 9 (an order-dependent failure pytest-randomly found).
    unreachable = Celery("unreachable", broker="redis://127.0.0.1:9/0", set_as_current=False)
    unreachable.conf.broker_connection_timeout = 1
    monkeypatch.setattr(health, "celery_app", unreachable)
    response = Client().get("/readyz", **KUBELET)
    assert response.status_code == 503
    assert response.json() == {"status": "fail", "checks": {"database": "ok", "cache": "ok", "broker": "fail"}}
    assert "127.0.0.1" not in response.content.decode()
    assert not [r for r in caplog.records if r.levelname == "ERROR"]  # a starting pod is not an error
    assert any("not ready" in r.getMessage() for r in caplog.records if r.levelname == "WARNING")


@pytest.mark.redis
def test_staff_see_workers_per_queue_and_metrics_count_them(celery_worker):
    admin = UserFactory(role="admin")
    from tests.support.clients import with_totp

    with_totp(admin)
    staff = api_client_for(admin)
    page = staff.get("/staff/health/")
    assert page.status_code == 200
    assert b"gpu" in page.content and celery_worker.hostname.encode() in page.content
    metrics = staff.get("/metrics").content.decode()
    assert 'vernissage_workers_live{queue="gpu"} 1.0' in metrics


@pytest.mark.django_db
def test_with_no_worker_the_gauge_is_zero_and_the_page_says_which_queue_waits():
    admin = UserFactory(role="admin")
    from tests.support.clients import with_totp

    with_totp(admin)
    staff = api_client_for(admin)
    assert 'vernissage_workers_live{queue="gpu"} 0.0' in staff.get("/metrics").content.decode()
    assert b"No live worker consumes the queue" in staff.get("/staff/health/").content


@pytest.mark.django_db
def test_the_detail_view_is_for_staff_only():
    artist = UserFactory()
    assert api_client_for(artist).get("/staff/health/").status_code in (302, 403)
    assert Client().get("/staff/health/").status_code == 302
