"""Exports: asked for here (by the artist, or by staff at the artist's request), built by a task after
commit, downloadable through a signed link for seven days, then removed."""

from __future__ import annotations

import hashlib
import logging
import tempfile
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.permissions import is_admin
from accounts.services import audit_record, notify
from core.errors import ApplicationError
from generations.models import Generation, StaffAccess
from privacy import archive
from privacy.models import DataExport

log = logging.getLogger(__name__)

BUILD_TASK = "privacy.build_export"  # routed to the exports queue by name (CELERY_TASK_ROUTES)
LINK_LIFETIME = timedelta(days=7)
EXPORTS_PER_DAY = 3
# Longer than the build task may run (its time limit): a "running" export older than this was left
# by a worker that died, and the sweep queues it again.
BUILD_LEASE = timedelta(minutes=35)
MAX_ATTEMPTS = 3
SALT = "privacy.export-download"


def _send_build_task(export_id: int) -> None:
    from celery import current_app

    current_app.send_task(BUILD_TASK, args=[export_id])


def export_request(*, user: User, requested_by: User | None = None, ip: str | None = None) -> DataExport:
    """Queue an export of everything ``user`` has here. One at a time, and EXPORTS_PER_DAY a day; staff
    build one at the artist's request (``requested_by``), audited either way."""
    if not user.is_active:
        raise ApplicationError("invalid", "This account is not active.")
    if requested_by is not None and requested_by != user and not is_admin(requested_by):
        raise ApplicationError(
            "permission_denied", "Only a program admin builds an export for someone else.", status=403
        )
    if requested_by is not None and requested_by != user and user.role != User.Role.ARTIST:
        # Another staff member's export holds their sign-in addresses and what they saw: theirs to ask for.
        raise ApplicationError(
            "not_an_artist", "Staff build exports only for artists; staff ask for their own on their data page.",
            fields={"email": "not an artist"},
        )  # fmt: skip
    since = timezone.now() - timedelta(days=1)
    if DataExport.objects.filter(user=user, created_at__gte=since).count() >= EXPORTS_PER_DAY:
        raise ApplicationError(
            "rate_limited", f"At most {EXPORTS_PER_DAY} exports a day: the ones you have stay ready for 7 days.",
            status=429,
        )  # fmt: skip
    try:
        with transaction.atomic():
            export = DataExport.objects.create(user=user, requested_by=requested_by)
            audit_record(
                action="export.requested", actor=requested_by or user, subject_user=user, target=export, ip=ip,
                data={"by_staff": requested_by is not None},
            )  # fmt: skip
    except IntegrityError:  # one_active_export_per_user: another is queued or being built
        raise ApplicationError(
            "conflict", "An export is already being built; it will be ready in a few minutes.", status=409
        ) from None
    transaction.on_commit(lambda: _send_build_task(export.pk), robust=True)
    return export


def export_build(*, export_id: int) -> str:
    """Build the archive (the task calls this). Taking the export moves it from queued to running, so a
    second message for it does nothing. Returns "ready", "failed" or "not due"."""
    now = timezone.now()
    taken = DataExport.objects.filter(pk=export_id, state=DataExport.State.QUEUED)
    if not taken.update(state=DataExport.State.RUNNING, started_at=now, attempts=F("attempts") + 1):
        return "not due"
    export = DataExport.objects.select_related("user").get(pk=export_id)
    try:
        _build_into_storage(export)
    except Exception as exc:  # storage full, a database hiccup: recorded, the artist told, may ask again
        log.exception("export %s failed", export_id)
        DataExport.objects.filter(pk=export_id).update(
            state=DataExport.State.FAILED, finished_at=timezone.now(), error=f"{type(exc).__name__}: {exc}"[:500]
        )
        notify(
            user=export.user, kind="export_failed", title="Your export could not be built",
            body="Something went wrong while building it. Ask for a new one on your data page; staff were told.",
            email=True,
        )  # fmt: skip
        return "failed"
    notify(
        user=export.user, kind="export_ready", title="Your export is ready",
        body=f"Download it from your data page within 7 days: {settings.SITE_URL}{reverse('privacy_data')}. "
        f"SHA-256 {export.sha256}.",
        email=True,
    )  # fmt: skip
    return "ready"


def _build_into_storage(export: DataExport) -> None:
    """Write the ZIP to a temporary file, hash it, and stream it into storage."""

    def progress(fraction: float) -> None:
        DataExport.objects.filter(pk=export.pk).update(progress=min(99, int(fraction * 100)))

    with tempfile.TemporaryFile(prefix="vernissage-export-") as scratch:
        zipped = archive.Archive(scratch)
        counts = archive.build(zipped, export.user, on_progress=progress)
        zipped.close()
        size = scratch.tell()
        scratch.seek(0)
        digest = hashlib.sha256()
        while chunk := scratch.read(archive.CHUNK):
            digest.update(chunk)
        scratch.seek(0)
        export.file.save(f"{export.public_id}.zip", File(scratch), save=False)
    now = timezone.now()
    DataExport.objects.filter(pk=export.pk).update(
        state=DataExport.State.READY, progress=100, finished_at=now, expires_at=now + LINK_LIFETIME,
        file=export.file.name, size_bytes=size, sha256=digest.hexdigest(), counts=counts, error="",
    )  # fmt: skip
    export.refresh_from_db()


def exports_sweep(*, now=None) -> dict[str, int]:
    """Remove expired archives; queue again an export a dead worker left running (or fail it after
    MAX_ATTEMPTS); queue an export whose message was lost."""
    now = now or timezone.now()
    expired = 0
    for export in DataExport.objects.filter(state=DataExport.State.READY, expires_at__lte=now):
        if export.file:
            export.file.storage.delete(export.file.name)
        DataExport.objects.filter(pk=export.pk).update(state=DataExport.State.EXPIRED, file="")
        expired += 1
    stale = DataExport.objects.filter(state=DataExport.State.RUNNING, started_at__lte=now - BUILD_LEASE)
    failed = stale.filter(attempts__gte=MAX_ATTEMPTS).update(
        state=DataExport.State.FAILED, finished_at=now, error="The build stopped several times."
    )
    requeued = stale.update(state=DataExport.State.QUEUED)
    waiting = list(
        DataExport.objects.filter(
            state=DataExport.State.QUEUED, created_at__lte=now - timedelta(minutes=2)
        ).values_list("pk", flat=True)[:50]
    )
    for export_id in waiting:
        _send_build_task(export_id)
    return {"expired": expired, "failed": failed, "requeued": requeued, "sent": len(waiting)}


# --- Download links ---------------------------------------------------------------------------------


def download_signature(export: DataExport) -> str:
    return signing.dumps(str(export.public_id), salt=SALT, compress=True)


def export_for_download(*, user: User, export: DataExport, signature: str, staff_powers: bool) -> DataExport:
    """The export, if ``user`` may download it now: theirs (or built by them for the artist), ready, not
    expired, and the link's signature is this export's. The builder needs ``staff_powers`` in this request
    (accounts.permissions.staff_powers: a second-factor session or a staff:all token), as for any staff read
    of an artist's clips."""
    try:
        signed_for = signing.loads(signature or "", salt=SALT)
    except signing.BadSignature:
        raise ApplicationError("not_found", "This download link is not valid.", status=404) from None
    builder = user.pk == export.requested_by_id and is_admin(user)  # an admin still, to hand it over
    if builder and user.pk != export.user_id and not staff_powers:
        raise ApplicationError(
            "mfa_required", "Downloading an artist's export needs your second factor (or a staff:all token).",
            status=403,
        )  # fmt: skip
    if signed_for != str(export.public_id) or not (user.pk == export.user_id or builder):
        raise ApplicationError("not_found", "This download link is not valid.", status=404)
    if export.state == DataExport.State.EXPIRED or (export.expires_at and export.expires_at <= timezone.now()):
        raise ApplicationError("gone", "This export has expired: ask for a new one on your data page.", status=410)
    if export.state != DataExport.State.READY:
        raise ApplicationError("not_ready", "This export is not ready yet.", status=409)
    return export


def export_downloaded(*, user: User, export: DataExport, ip: str | None = None) -> None:
    """Audit a download: once per response that sends the archive's first byte, so a download resumed
    in many Range requests is one entry, and no whole copy leaves without one."""
    audit_record(action="export.downloaded", actor=user, subject_user=export.user, target=export, ip=ip)
    if user.pk != export.user_id:  # staff took every clip inside: the artist sees it as a staff access
        StaffAccess.objects.bulk_create(
            StaffAccess(generation_id=pk, viewer=user, via=StaffAccess.Via.EXPORT)
            for pk in Generation.objects.filter(artist_id=export.user_id).values_list("pk", flat=True)
        )
