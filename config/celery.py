"""The Celery application. Settings live in config/settings.py under CELERY_*."""

import os
import warnings

from celery import Celery
from celery.exceptions import CPendingDeprecationWarning
from celery.signals import celeryd_after_setup, task_postrun, task_prerun

from config.logging import task_id as current_task_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("vernissage")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@celeryd_after_setup.connect
def _keep_renders_running_on_broker_loss(**kwargs) -> None:
    """On a lost broker connection Celery 5 lets running tasks finish and warns each time that 6.0
    will cancel them (worker_cancel_long_running_tasks_on_connection_loss). We keep renders running
    on purpose: the database lease, not the broker, decides who owns a job. Installed after the
    worker's logging set-up, which turns every Celery deprecation warning to "always"."""
    warnings.filterwarnings(
        "ignore", message=r"(?s).*worker_cancel_long_running_tasks_on_connection_loss",
        category=CPendingDeprecationWarning,
    )  # fmt: skip


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

    current_task_id.set(task_id or "")


@app.task(name="vernissage.ping", ignore_result=True, soft_time_limit=10, time_limit=20)
def ping(marker: str) -> str:
    """A no-op round trip used by tests and operators to prove a worker runs tasks."""
    return marker
