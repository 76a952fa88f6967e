"""Signals the accounts app sends to the apps above it (which it must not import)."""

from django.dispatch import Signal

# Sent after commit when something that held generation back is lifted: the global pause, a cohort's
# pause, a membership's or an account's suspension. The generations app wakes its workers on it, so
# jobs queued meanwhile start without waiting for another submission.
generation_may_resume = Signal()

# Sent inside the transaction that makes a membership an active one (an accepted invitation, a
# reactivation, a new role), with ``membership``. The generations app opens the artist's credit
# account there, so reading a balance never has to write one.
membership_activated = Signal()


def send_generation_may_resume(sender) -> None:
    from django.db import transaction

    transaction.on_commit(lambda: generation_may_resume.send(sender=sender))
