"""/healthz and /readyz: per-check JSON, 503 when a part is down."""

import pytest
from celery import Celery

from config import health


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.redis
def test_readyz_with_a_live_worker(client, celery_worker):
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker", "workers"}
    assert all(check["ok"] for check in body["checks"].values())
    assert "1 live" in body["checks"]["workers"]["detail"]


@pytest.mark.django_db
def test_readyz_without_a_worker_is_503(client):
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["workers"]["ok"] is False
    assert "no worker answered" in body["checks"]["workers"]["detail"]


@pytest.mark.django_db
def test_readyz_with_the_broker_down_is_503(client, monkeypatch):
    # An app whose broker is loopback port 9, where nothing listens: connections are refused.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)  # Celery prefers it over the argument
    unreachable = Celery("unreachable", broker="redis://127.0.0.1:9/0")
    unreachable.conf.broker_connection_timeout = 1
    monkeypatch.setattr(health, "celery_app", unreachable)
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "fail"
    assert body["checks"]["broker"]["ok"] is False
    assert "Connection refused" in body["checks"]["broker"]["detail"]
    assert body["checks"]["workers"] == {"ok": False, "detail": "not asked: the broker is unreachable", "ms": 0.0}
    assert body["checks"]["database"]["ok"] is True
