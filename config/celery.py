"""The Celery application. Settings live in config/settings.py under CELERY_*."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("vernissage")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _database_connection_as_in_a_request(**kwargs) -> None:
    """Treat a task like a request: keep the connection for CONN_MAX_AGE and check it before reuse.

    Celery's Django fix-up would otherwise close it around every task (CELERY_DB_REUSE_MAX in the
    settings keeps it from doing so), and a GPU job would open a new one before claiming (about
    10 ms of its queue wait, measured by bench/end_to_end.py).
    """
    from django.db import close_old_connections

    close_old_connections()


@task_prerun.connect
def _task_id_in_the_logs(task_id=None, **kwargs) -> None:
    from config.logging import task_id as current_task_id

    current_task_id.set(task_id or "")


@app.task(name="vernissage.ping", ignore_result=True, soft_time_limit=10, time_limit=20)
def ping(marker: str) -> str:
    """A no-op round trip used by tests and operators to prove a worker runs tasks."""
    return marker
