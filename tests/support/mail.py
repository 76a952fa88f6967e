"""Email as a worker sends it: from the outbox, after commit."""

from django.core import mail

from accounts.services import emails_send_due


def sent_mail() -> list:
    """What a worker sends from the outbox now (accounts.services.email), then Django's test outbox."""
    emails_send_due()
    return mail.outbox
