"""Celery tasks: thin, id-only, idempotent. The GPU task's message is a wake-up, not an order; the worker's
runtime (the render loop, heartbeat, graceful stop) is generations/worker.py."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from generations import dispatch, webhooks, worker
from generations.models import CreditAccount
from generations.services import credits_refill


@shared_task(
    name="generations.gpu.render_next",
    ignore_result=True,
    acks_late=True,
    soft_time_limit=settings.GENERATION_TIME_LIMIT_SECONDS - 30,
    time_limit=settings.GENERATION_TIME_LIMIT_SECONDS,
)
def render_next(generation_id: int | None = None) -> None:
    """Claim the fairest queued work (whatever ``generation_id`` woke us) and render it (generations/worker.py)."""
    worker.render_next_claim()


@shared_task(name="generations.requeue_expired", ignore_result=True, soft_time_limit=50, time_limit=60)
def requeue_expired() -> None:
    dispatch.requeue_expired()


@shared_task(name="generations.wake_workers", ignore_result=True, soft_time_limit=20, time_limit=30)
def wake_workers() -> None:
    """Beat, every 30 seconds: wake a worker while runnable jobs wait (dispatch.wake_for_waiting_jobs)."""
    dispatch.wake_for_waiting_jobs(at_most=1)


@shared_task(name="generations.deliver_webhook", ignore_result=True, soft_time_limit=60, time_limit=90)
def deliver_webhook(delivery_id: int) -> None:
    """One attempt at a job's webhook (generations.webhooks); a failed one schedules the next itself."""
    webhooks.webhook_deliver(delivery_id)


@shared_task(name="generations.deliver_due_webhooks", ignore_result=True, soft_time_limit=50, time_limit=60)
def deliver_due_webhooks() -> None:
    """Beat, every minute: resend the deliveries whose retry message was lost."""
    webhooks.deliver_due()


@shared_task(name="generations.refill_credits", ignore_result=True, soft_time_limit=240, time_limit=300)
def refill_credits() -> None:
    """Start the next period for every account whose period has ended (once per period)."""
    for account in CreditAccount.objects.filter(period_ends_at__lte=timezone.now()).select_related("user", "cohort"):
        credits_refill(account=account)
