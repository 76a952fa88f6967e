"""Periodic feedback work, thin over the services; running it twice changes nothing more."""

from celery import shared_task

from feedback import services


@shared_task(name="feedback.flag_overdue_disputes", ignore_result=True, soft_time_limit=120, time_limit=180)
def flag_overdue_disputes() -> int:
    """Tell the admins about disputes unanswered past the cohort's review deadline."""
    return services.disputes_flag_overdue()
