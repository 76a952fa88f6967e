"""Erasure that keeps the books: an artist asks (password, second factor where set, typed confirmation),
14 days pass in which signing in cancels it, then their files and personal fields go while the ledgers,
payout records, decisions and audit log stay, pointing to a pseudonymous account that cannot sign in.

This is the one place that writes to every app's rows for one person: it calls each app's own service
where one exists (cancel, withdraw, revoke) and clears the fields an app has no service for.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import (
    ERASED_EMAIL_DOMAIN,
    ApiToken,
    ConsentRecord,
    Invitation,
    Membership,
    Notification,
    OutboundEmail,
    TermsAcceptance,
    User,
)
from accounts.services import audit_pseudonymise, audit_record, notify, token_revoke
from core import ratelimit
from core.errors import ApplicationError
from feedback.models import Attachment, Report
from generations.models import Generation, StartImage, WebhookDelivery
from generations.services import generation_cancel
from privacy.models import DataExport, ErasureRequest
from reviews.models import Appeal, Decision, Publication, PublicationRequest
from reviews.services import publication_request_withdraw, publication_withdraw

GRACE_PERIOD = timedelta(days=14)
CONFIRMATION = "erase my account"
TRIES_PER_HOUR = 5
# A running clip stops at its next step and a held review decision takes effect within a minute; the
# erasure waits this long for them rather than race their files.
WAIT_FOR_WORK = timedelta(minutes=5)


def _refuse(field: str, message: str, *, status: int = 400) -> ApplicationError:
    code = "reauthentication_failed" if status == 403 else "invalid"
    return ApplicationError(code, message, fields={field: message}, status=status)


def erasure_request(
    *, user: User, password: str, confirmation: str, code: str = "", ip: str | None = None
) -> ErasureRequest:
    """Ask for ``user``'s account to be erased after the grace period. They prove it is them (password,
    and a code from their authenticator app where they set one up) and type the confirmation."""
    if confirmation.strip().lower() != CONFIRMATION:
        raise _refuse("confirmation", f'Type "{CONFIRMATION}" to confirm.')
    if ErasureRequest.objects.filter(user=user, state=ErasureRequest.State.PENDING).exists():
        raise ApplicationError("conflict", "Your account is already to be erased.", status=409)
    # A stolen session or token must not become a way to guess the password: a few tries an hour.
    allowed, retry_after = ratelimit.fixed_window_hits([(f"erasure-tries:{user.pk}", TRIES_PER_HOUR)], window_s=3600)
    if not allowed:
        raise ApplicationError(
            "rate_limited", f"Too many tries: try again in {retry_after // 60 + 1} minutes.", status=429
        )
    if not user.check_password(password or ""):
        audit_record(action="erasure.refused", actor=user, subject_user=user, ip=ip, data={"why": "password"})
        raise _refuse("password", "That is not your password.", status=403)
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is not None and not TOTP(authenticator).validate_code((code or "").strip()):
        raise _refuse("code", "Enter the current code from your authenticator app.", status=403)
    now = timezone.now()
    try:
        with transaction.atomic():
            erasure = ErasureRequest.objects.create(user=user, erase_after=now + GRACE_PERIOD)
            audit_record(action="erasure.requested", actor=user, subject_user=user, target=erasure, ip=ip)
            notify(
                user=user, kind="erasure_requested", title="Your account will be erased", email=True,
                body=f"On {erasure.erase_after:%Y-%m-%d %H:%M} UTC your account and your work here will be erased. "
                "Signing in before then cancels it. Download your export first if you want to keep your work.",
            )  # fmt: skip
    except IntegrityError:  # one_pending_erasure_per_user
        raise ApplicationError("conflict", "Your account is already to be erased.", status=409) from None
    return erasure


@transaction.atomic
def erasure_cancel(*, user: User, reason: str, ip: str | None = None) -> ErasureRequest | None:
    """Cancel ``user``'s pending erasure (they signed in, or asked); None when there was none."""
    erasure = ErasureRequest.objects.select_for_update().filter(user=user, state=ErasureRequest.State.PENDING).first()
    if erasure is None:
        return None
    erasure.state, erasure.cancelled_at, erasure.cancel_reason = ErasureRequest.State.CANCELLED, timezone.now(), reason
    erasure.save(update_fields=["state", "cancelled_at", "cancel_reason"])
    audit_record(action="erasure.cancelled", actor=user, subject_user=user, target=erasure, ip=ip, data={"why": reason})
    notify(
        user=user, kind="erasure_cancelled", title="Your account will not be erased", email=True,
        body=f"The erasure you asked for is cancelled ({reason}). Nothing was removed.",
    )  # fmt: skip
    return erasure


def erasure_now(*, user: User, actor: User | None) -> ErasureRequest:
    """Staff, for a verified request (manage.py erase_account --now): erase without the grace period."""
    with transaction.atomic():
        erasure = ErasureRequest.objects.filter(user=user, state=ErasureRequest.State.PENDING).first()
        if erasure is None:
            erasure = ErasureRequest.objects.create(user=user, requested_by=actor, erase_after=timezone.now())
        audit_record(action="erasure.forced", actor=actor, subject_user=user, target=erasure)
    return erasure_run(erasure_id=erasure.pk, force=True)


def erasures_run_due(*, now=None) -> int:
    """Carry out every erasure whose grace period has passed (the beat task)."""
    now = now or timezone.now()
    due = ErasureRequest.objects.filter(state=ErasureRequest.State.PENDING, erase_after__lte=now)
    erased = [erasure_run(erasure_id=pk, now=now) for pk in due.values_list("pk", flat=True)]
    return sum(erasure.state == ErasureRequest.State.ERASED for erasure in erased)


@transaction.atomic
def erasure_run(*, erasure_id: int, now=None, force: bool = False) -> ErasureRequest:
    """Erase the account, once: files from storage (after commit), personal fields cleared, the rest kept
    under a pseudonym. A running clip first gets the order to stop, and the erasure waits for it (and for
    a review decision still in its undo window)."""
    erasure = ErasureRequest.objects.select_for_update().select_related("user").get(pk=erasure_id)
    due = force or erasure.erase_after <= (now or timezone.now())
    if erasure.state != ErasureRequest.State.PENDING or not due:
        return erasure
    user = erasure.user
    running = Generation.objects.filter(artist=user, status=Generation.Status.RUNNING)
    held = Decision.objects.filter(request__artist=user, held_until__isnull=False)  # in a review's undo window
    if running.exists() or held.exists():
        for generation in running:
            generation_cancel(actor=user, generation=generation)
        erasure.erase_after = timezone.now() + WAIT_FOR_WORK
        erasure.save(update_fields=["erase_after"])
        return erasure
    pseudonym = secrets.token_hex(2)
    name = f"Former member {pseudonym}"
    personal = {user.email: f"former-member-{user.pk}@{ERASED_EMAIL_DOMAIN}"}
    if user.display_name:
        personal[user.display_name] = name
    files: list = []
    _erase_clips(user, files)
    _erase_publishing(user, name)
    _erase_reports(user, files)
    _erase_account(user, name=name, email=personal[user.email], files=files)
    audit_pseudonymise(user=user, replacements=personal)
    erasure.state, erasure.erased_at, erasure.pseudonym = ErasureRequest.State.ERASED, timezone.now(), pseudonym
    erasure.save(update_fields=["state", "erased_at", "pseudonym"])
    audit_record(action="account.erased", actor=erasure.requested_by, subject_user=user, target=erasure)
    # Storage is not transactional: files go once the database has committed the erasure.
    transaction.on_commit(lambda: [stored.storage.delete(stored.name) for stored in files if stored.name])
    return erasure


def _erase_clips(user: User, files: list) -> None:
    for generation in Generation.objects.filter(artist=user, status=Generation.Status.QUEUED):
        generation_cancel(actor=user, generation=generation)  # releases the reserved credits: the ledger balances
    for generation in Generation.objects.filter(artist=user):
        files += [field for field in (generation.video, generation.poster) if field]
    WebhookDelivery.objects.filter(generation__artist=user).delete()
    Generation.objects.filter(artist=user).update(
        prompt="", negative_prompt="", failure_message="", callback_url="", idempotency_key=None, video="",
        poster="", deleted_at=timezone.now(),
    )  # fmt: skip
    for image in StartImage.objects.filter(artist=user):
        files.append(image.file)
    StartImage.objects.filter(artist=user).update(file="", sha256="")


def _erase_publishing(user: User, name: str) -> None:
    for request in PublicationRequest.objects.filter(artist=user, state__in=PublicationRequest.OPEN):
        publication_request_withdraw(actor=user, request=request)
    live = Publication.objects.filter(request__artist=user, withdrawn_at__isnull=True, taken_down_at__isnull=True)
    for publication in live:
        publication_withdraw(actor=user, publication=publication)  # the public copy's files go after commit
    PublicationRequest.objects.filter(artist=user).update(title="Erased clip", caption="", credit_line=name)
    Appeal.objects.filter(request__artist=user).update(message="Removed when the account was erased.")


def _erase_reports(user: User, files: list) -> None:
    """Reports stay on shared boards under the pseudonym; their files go, and prompts in their context."""
    for attachment in Attachment.objects.filter(report__reporter=user):
        files.append(attachment.file)
    Attachment.objects.filter(report__reporter=user).delete()
    for report in Report.objects.filter(reporter=user).exclude(context=[]):
        context = [
            {k: v for k, v in linked.items() if k not in ("prompt", "negative_prompt")} for linked in report.context
        ]
        Report.objects.filter(pk=report.pk).update(context=context)


def _erase_account(user: User, *, name: str, email: str, files: list) -> None:
    for token in ApiToken.objects.filter(user=user, revoked_at__isnull=True):
        token_revoke(actor=user, token=token, reason="Account erased")
    ApiToken.objects.filter(user=user).update(last_used_ip=None, last_used_user_agent="", webhook_secret="")
    for export in DataExport.objects.filter(user=user):
        if export.file:
            files.append(export.file)
    DataExport.objects.filter(user=user).delete()
    Membership.objects.filter(user=user).update(status=Membership.Status.REMOVED, status_reason="Account erased")
    invitations = Invitation.objects.filter(email__iexact=user.email)
    invitations.filter(accepted_at=None, revoked_at=None).update(revoked_at=timezone.now())  # no one may take them up
    invitations.update(email=email)
    OutboundEmail.objects.filter(to__iexact=user.email).delete()
    Notification.objects.filter(user=user).delete()
    ConsentRecord.objects.filter(user=user).delete()
    TermsAcceptance.objects.filter(user=user).update(ip=None)
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    user.email, user.display_name, user.is_active = email, name, False
    user.set_unusable_password()  # every session's hash changes with it: they end on their next request
    user.save(update_fields=["email", "display_name", "is_active", "password"])
