"""What the generations app does when the accounts app says something changed (accounts.signals)."""

from django.dispatch import receiver

from accounts.models import Membership
from accounts.signals import generation_may_resume, membership_activated
from generations import dispatch, services


@receiver(generation_may_resume)
def wake_workers_for_resumed_work(sender, **kwargs):
    dispatch.wake_for_waiting_jobs()


@receiver(membership_activated)
def open_credit_account(sender, membership: Membership, **kwargs):
    """An artist's account opens with their membership, with the period's credits."""
    if membership.role == Membership.Role.ARTIST:
        services.credit_account_open(user=membership.user, cohort=membership.cohort)
