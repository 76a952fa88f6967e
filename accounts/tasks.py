from celery import shared_task
from django.core import management

from accounts import services


@shared_task(name="accounts.clear_expired_sessions", ignore_result=True, soft_time_limit=300, time_limit=360)
def clear_expired_sessions() -> None:
    """Periodic maintenance: drop expired sessions so the table stays small."""
    management.call_command("clearsessions")


@shared_task(name="accounts.send_email", ignore_result=True, soft_time_limit=60, time_limit=90)
def send_email(email_id: int) -> str:
    """Send one outbox email after the commit that wrote it; a refused attempt is left to the sweep."""
    return services.email_send(email_id=email_id)


@shared_task(name="accounts.send_due_emails", ignore_result=True, soft_time_limit=240, time_limit=300)
def send_due_emails() -> int:
    """Send what a lost message or a refused attempt left due (every minute)."""
    return services.emails_send_due()
