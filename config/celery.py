"""The Celery application. Settings live in config/settings.py under CELERY_*."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("vernissage")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="vernissage.ping", ignore_result=True, soft_time_limit=10, time_limit=20)
def ping(marker: str) -> str:
    """A no-op round trip used by tests and operators to prove a worker runs tasks."""
    return marker
