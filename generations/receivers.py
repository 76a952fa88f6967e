"""What the generations app does when the accounts app says something changed (accounts.signals)."""

from django.dispatch import receiver

from accounts.signals import generation_may_resume
from generations import dispatch


@receiver(generation_may_resume)
def wake_workers_for_resumed_work(sender, **kwargs):
    dispatch.wake_for_waiting_jobs()
