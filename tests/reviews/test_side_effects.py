"""Side effects after commit: email through the outbox and C2PA signing on the signing queue. A decision
answers in the time of its own transaction whatever the mail server or the signer does, and each side
effect happens once when its dependency comes back."""

import smtplib
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from django.utils import timezone

from accounts.models import OutboundEmail
from accounts.services import email_send, emails_send_due
from reviews import credentials, services
from reviews.models import Publication
from tests.support.clients import api_client_for
from tests.support.people import rendered, signing_worker_runs

BROKEN_MAIL = "tests.reviews.test_side_effects.MailServerDown"


class MailServerDown(BaseEmailBackend):
    """A mail server that refuses every connection, as one that is down does."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPConnectError(421, "Service not available")


def signer_unavailable(*args, **kwargs):
    raise OSError("signer unavailable")


def ask(team):
    return services.publication_request_create(
        artist=team.artist, generation=rendered(team.artist, team.cohort), title="Heron"
    )


def decide_through_the_api(team, request, capture):
    reviewer = api_client_for(team.reviewer)
    assert reviewer.post(reverse("api-review-claim")).status_code == 200
    with capture(execute=True):
        return reviewer.post(
            reverse("api-decision", args=[request.pk]),
            {"outcome": "reject", "reason_code": "defect", "note": "Black frames."},
            format="json",
        )


def test_a_decision_answers_while_the_mail_server_is_down_and_the_email_goes_once_it_is_back(
    team, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = BROKEN_MAIL
    request = ask(team)
    response = decide_through_the_api(team, request, django_capture_on_commit_callbacks)
    assert response.status_code == 201  # the mail server is not asked inside the request
    [email] = OutboundEmail.objects.filter(to=team.artist.email)
    assert email.state == "pending" and "Heron" in email.subject

    assert email_send(email_id=email.pk) == "retry"  # a worker's attempt: refused, kept, backed off
    email.refresh_from_db()
    assert (email.state, email.attempts) == ("pending", 1) and "SMTPConnectError" in email.last_error
    assert email_send(email_id=email.pk) == "not due"  # not before its backoff

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the server is back
    OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())  # the backoff has passed
    mail.outbox.clear()
    assert emails_send_due() >= 1
    assert emails_send_due() == 0 and email_send(email_id=email.pk) == "not due"  # sent once
    assert [message.to for message in mail.outbox if "Heron" in message.subject] == [[team.artist.email]]
    email.refresh_from_db()
    assert email.state == "sent" and email.body == ""  # links in a sent body are not kept


def test_an_email_is_given_up_after_its_attempts_and_staff_see_it(team, settings):
    settings.EMAIL_BACKEND = BROKEN_MAIL
    email = OutboundEmail.objects.create(to="x@example.org", subject="s", body="b", attempts=11)
    assert email_send(email_id=email.pk) == "failed"
    email.refresh_from_db()
    assert email.state == "failed"
    page = api_client_for(team.admin).get("/staff/health/").content.decode()
    assert "x@example.org" in page and "SMTPConnectError" in page
    title = page[page.index("<title>") : page.index("</title>")]
    assert title == "<title>Health · Vernissage" and page.count("Side effects that keep failing") == 1


def test_signing_happens_after_the_decision_and_a_failure_is_retried_once_due(
    team, monkeypatch, django_capture_on_commit_callbacks
):
    request = ask(team)
    monkeypatch.setattr(credentials, "sign_mp4", signer_unavailable)
    response = decide_through_the_api_approving(team, request, django_capture_on_commit_callbacks)
    assert response.status_code == 201
    publication = Publication.objects.get(request=request)
    assert publication.signed_at is None
    assert signing_worker_runs() == 0  # the signer fails: recorded, backed off
    publication.refresh_from_db()
    assert publication.sign_attempts == 1 and "signer unavailable" in publication.sign_error
    assert publication.sign_next_attempt_at > timezone.now()
    page = api_client_for(team.admin).get("/staff/health/").content.decode()
    assert "signer unavailable" in page

    monkeypatch.undo()  # the signer is back
    Publication.objects.filter(pk=publication.pk).update(sign_next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert services.publication_sign_quietly(publication_id=publication.pk) == "signed"
    assert services.publication_sign_quietly(publication_id=publication.pk) == "not due"  # twice: one copy
    publication.refresh_from_db()
    assert publication.signed_at and publication.sign_error == ""


def decide_through_the_api_approving(team, request, capture):
    reviewer = api_client_for(team.reviewer)
    assert reviewer.post(reverse("api-review-claim")).status_code == 200
    with capture(execute=True):
        return reviewer.post(reverse("api-decision", args=[request.pk]), {"outcome": "approve"}, format="json")


@pytest.mark.redis
def test_a_real_worker_sends_the_email_and_signs_the_clip_after_commit(team, celery_worker):
    """Through the broker: the approving request sends two messages after commit, and the worker (which
    consumes the signing queue too) does both."""
    request = ask(team)
    reviewer = api_client_for(team.reviewer)
    reviewer.post(reverse("api-review-claim"))
    mail.outbox.clear()
    response = reviewer.post(reverse("api-decision", args=[request.pk]), {"outcome": "approve"}, format="json")
    assert response.status_code == 201
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        signed = Publication.objects.filter(request=request, signed_at__isnull=False).exists()
        emailed = OutboundEmail.objects.filter(to=team.artist.email, state="sent").exists()
        if signed and emailed:
            break
        time.sleep(0.2)
    assert signed and emailed
    assert [message.to for message in mail.outbox] == [[team.artist.email]]


def test_the_sweep_queues_no_second_signing_while_one_is_under_way(
    team, monkeypatch, django_capture_on_commit_callbacks
):
    """Signing a long clip outlasts the sweep's minute: the publication is taken (a lease) while it is
    signed, so the sweep does not queue it again."""
    request = ask(team)
    decide_through_the_api_approving(team, request, django_capture_on_commit_callbacks)
    publication = Publication.objects.get(request=request)
    assert services.publications_sign_due() == 1  # due, and nobody is signing it: the sweep queues it
    seen_by_the_sweep = []
    real_sign = credentials.sign_mp4

    def slow_signer(*args, **kwargs):
        seen_by_the_sweep.append(services.publications_sign_due())  # a sweep while this one signs
        return real_sign(*args, **kwargs)

    monkeypatch.setattr(credentials, "sign_mp4", slow_signer)
    assert services.publication_sign_quietly(publication_id=publication.pk) == "signed"
    assert seen_by_the_sweep == [0]
    assert services.publications_sign_due() == 0  # signed: nothing more to queue
