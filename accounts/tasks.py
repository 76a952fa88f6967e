from celery import shared_task
from django.core import management


@shared_task(name="accounts.clear_expired_sessions", ignore_result=True, soft_time_limit=300, time_limit=360)
def clear_expired_sessions() -> None:
    """Periodic maintenance: drop expired sessions so the table stays small."""
    management.call_command("clearsessions")
