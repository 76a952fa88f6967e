"""Publications: created only from an approval (or the deadline rule), signed with Content Credentials,
withdrawn by the artist or taken down by staff with a written reason."""

from __future__ import annotations

import hashlib
import logging
import tempfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from accounts.selectors import consents_current
from accounts.services import audit_record, notify
from core.errors import ApplicationError
from core.retry import backoff_seconds
from generations.pricing import adapters_of, presets
from reviews import credentials, selectors
from reviews.models import Decision, Publication, PublicationRequest, ReasonCode
from reviews.permissions import may_review

log = logging.getLogger(__name__)


def provenance_of(request: PublicationRequest, decision: Decision | None) -> dict:
    """What the public page and the manifest say about how the clip was made and reviewed."""
    generation = request.generation
    preset = presets().get(generation.preset)
    model = (preset.model_id or preset.path.name) if preset else generation.preset
    return {
        "model": model, "preset": generation.preset, "adapters": adapters_of(generation.preset, generation.style),
        "seed": generation.seed, "mode": generation.mode,
        "start_image": {
            "sha256": image.sha256, "width": image.width, "height": image.height, "fit": generation.image_fit,
        } if (image := generation.start_image) else None,
        "parameters": {
            "width": generation.width, "height": generation.height, "num_frames": generation.num_frames,
            "fps": generation.fps, "steps": generation.steps, "guidance": generation.guidance,
        },
        "source_sha256": generation.video_sha256,
        "platform_version": settings.PLATFORM_VERSION,
        "review": "approved" if decision else "not reviewed (published by the artist after the review deadline)",
        "decided_at": decision.decided_at.isoformat() if decision else None,
        "allow_training": bool(consents_current(user=request.artist).get("training_use")),
    }  # fmt: skip


def publication_create(*, request: PublicationRequest, decision: Decision | None) -> Publication:
    """The only way a Publication is made (the database also holds it to an approval or the deadline
    rule). Signing happens after commit; the gallery shows a clip once it is signed."""
    publication = Publication.objects.create(
        request=request, decision=decision, decision_outcome=decision.outcome if decision else "",
        unreviewed=decision is None, provenance=provenance_of(request, decision),
    )  # fmt: skip
    # Signing a long clip takes seconds to minutes: a task on the signing queue does it after commit,
    # never the approving request nor a GPU worker. robust: a broker that is down fails nothing that
    # committed; the sweep (reviews.sign_publications) queues what is still unsigned.
    transaction.on_commit(lambda: _send_sign_task(publication.pk), robust=True)
    return publication


SIGN_TASK = "reviews.sign_publication"  # routed to the signing queue by name (CELERY_TASK_ROUTES)
SIGN_LEASE = timedelta(minutes=15)  # longer than the signing task may run (its time limit is 10 minutes)


def _send_sign_task(publication_id: int) -> None:
    from celery import current_app

    current_app.send_task(SIGN_TASK, args=[publication_id])


def publication_sign_quietly(*, publication_id: int) -> str:
    """Take the publication for signing if it is due (its next attempt moves a lease away, so the sweep
    queues no second signing while this one runs), sign it, or record the failure and when to try again
    (staff see it on /staff/health/). Returns "signed", "failed" or "not due"."""
    now = timezone.now()
    taken = Publication.objects.filter(pk=publication_id, signed_at__isnull=True, sign_next_attempt_at__lte=now)
    if not taken.update(sign_next_attempt_at=now + SIGN_LEASE, sign_attempts=F("sign_attempts") + 1):
        return "not due"
    try:
        publication_sign(publication_id=publication_id)
    except Exception as exc:  # storage, the signer, a damaged file: recorded and retried with backoff
        log.warning("signing publication %s failed: %s", publication_id, exc)
        attempts = Publication.objects.values_list("sign_attempts", flat=True).get(pk=publication_id)
        Publication.objects.filter(pk=publication_id).update(
            sign_error=f"{type(exc).__name__}: {exc}"[:500],
            sign_next_attempt_at=timezone.now() + timedelta(seconds=backoff_seconds(attempts, first=60, most=3600)),
        )  # fmt: skip
        return "failed"
    return "signed"


def publications_sign_due() -> int:
    """Queue a signing task for each publication still unsigned whose next attempt is due (the sweep)."""
    due = Publication.objects.filter(
        signed_at__isnull=True, withdrawn_at__isnull=True, taken_down_at__isnull=True,
        sign_next_attempt_at__lte=timezone.now(),
    ).values_list("pk", flat=True)[:100]  # fmt: skip
    for publication_id in due:
        _send_sign_task(publication_id)
    return len(due)


def _copy_out(field, path: Path) -> Path:
    with field.open("rb") as stored, open(path, "wb") as out:
        for chunk in iter(lambda: stored.read(1 << 20), b""):
            out.write(chunk)
    return path


def publication_sign(*, publication_id: int) -> Publication:
    """Write the public copy with its Content Credentials, hash it, keep the poster. Idempotent."""
    publication = Publication.objects.select_related("request__generation__start_image", "request__artist").get(
        pk=publication_id
    )
    generation = publication.request.generation
    if publication.signed_at or publication.withdrawn_at or publication.taken_down_at:
        return publication
    if not generation.video:
        raise ApplicationError("no_file", "The clip's file is gone; it cannot be published.", status=409)
    provenance = publication.provenance
    facts = credentials.ClipFacts(
        title=publication.request.title, model=provenance["model"], preset=provenance["preset"],
        seed=provenance["seed"], review=provenance["review"], allow_training=provenance["allow_training"],
        platform_version=provenance["platform_version"], adapters=tuple(a["name"] for a in provenance["adapters"]),
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="vernissage-sign-") as scratch:
        source, signed = Path(scratch) / "source.mp4", Path(scratch) / "signed.mp4"
        _copy_out(generation.video, source)
        start_image = None
        if generation.start_image_id:  # an ingredient of the clip: its hash goes in the manifest
            image = generation.start_image
            start_image = credentials.StartImage(
                path=_copy_out(image.file, Path(scratch) / "start"), content_type=image.content_type,
                sha256=image.sha256,
            )  # fmt: skip
        credentials.sign_mp4(source, signed, facts, start_image=start_image)
        digest = hashlib.sha256(signed.read_bytes()).hexdigest()
        name = f"public/{publication.public_id}"
        with open(signed, "rb") as fh:
            publication.video.save(f"{name}.mp4", File(fh), save=False)
    if generation.poster:
        with generation.poster.open("rb") as fh:
            publication.poster.save(f"{name}.jpg", File(fh), save=False)
    with transaction.atomic():
        current = Publication.objects.select_for_update().get(pk=publication.pk)
        if current.signed_at or current.withdrawn_at or current.taken_down_at:  # raced: keep what is there
            _delete_files(publication)
            return current
        publication.video_sha256, publication.signed_at, publication.sign_error = digest, timezone.now(), ""
        publication.save(update_fields=["video", "poster", "video_sha256", "signed_at", "sign_error"])
    return publication


def _delete_files(publication: Publication) -> None:
    for field in (publication.video, publication.poster):
        if field:
            field.delete(save=False)


def _delete_files_after_commit(publication: Publication) -> None:
    """Clear the public copy's fields now and delete its files once the change is committed."""
    names = [field.name for field in (publication.video, publication.poster) if field]
    storage = publication.video.storage
    publication.video, publication.poster = "", ""
    transaction.on_commit(lambda: [storage.delete(name) for name in names])


@transaction.atomic
def publication_withdraw(*, actor: User, publication: Publication) -> Publication:
    """The artist takes their clip out of the gallery, at any time; its public copy is deleted."""
    publication = Publication.objects.select_for_update().select_related("request__cohort").get(pk=publication.pk)
    if actor.pk != publication.request.artist_id:
        raise ApplicationError("permission_denied", "Only the artist may withdraw their publication.", status=403)
    if publication.withdrawn_at or publication.taken_down_at:
        raise ApplicationError("not_published", "This clip is not in the gallery any more.", status=409)
    publication.withdrawn_at = timezone.now()
    _delete_files_after_commit(publication)
    publication.save(update_fields=["withdrawn_at", "video", "poster"])
    audit_record(
        action="publication.withdrawn_by_artist", actor=actor, target=publication, subject_user=actor,
        cohort=publication.request.cohort,
    )  # fmt: skip
    return publication


@transaction.atomic
def publication_take_down(*, actor: User, publication: Publication, reason_code: str, note: str = "") -> Decision:
    """Staff remove a published clip, only with a reason from the published list and the facts. The take-down
    is a decision (stage take_down): the artist gets its statement of reasons and may appeal it once."""
    publication = (
        Publication.objects.select_for_update(of=("self",))
        .select_related("request__cohort__review_policy", "request__artist", "request__generation")
        .get(pk=publication.pk)
    )
    request = publication.request
    if not may_review(reviewer=actor, cohort_id=request.cohort_id):
        raise ApplicationError("not_found", "No such publication.", status=404)
    if request.artist_id == actor.pk:  # a statement of reasons "decided" by the clip's own artist means nothing
        raise ApplicationError(
            "own_clip", "This is your own clip: withdraw it from the gallery on your Publishing page instead.",
            status=403,
        )  # fmt: skip
    if publication.withdrawn_at or publication.taken_down_at:
        raise ApplicationError("not_published", "This clip is not in the gallery any more.", status=409)
    reason = ReasonCode.objects.filter(code=reason_code or "", active=True).first()
    if reason is None:
        raise ApplicationError(
            "invalid", "Choose a reason from the published list.", fields={"reason_code": "required"}
        )
    note = (note or "").strip()
    if not note:
        raise ApplicationError(
            "invalid",
            "Say what in the clip led to taking it down: the artist reads it as the facts.",
            fields={"note": "required"},
        )
    if len(note) > 2000:
        raise ApplicationError("invalid", "Notes are at most 2,000 characters.", fields={"note": "at most 2,000"})
    decision = Decision.objects.create(
        request=request, stage=Decision.Stage.TAKE_DOWN, outcome=Decision.Outcome.TAKE_DOWN, reviewer=actor,
        reason_code=reason, note=note,
    )  # fmt: skip
    publication.taken_down_at, publication.take_down = decision.decided_at, decision
    _delete_files_after_commit(publication)
    publication.save(update_fields=["taken_down_at", "take_down", "video", "poster"])
    audit_record(
        action="publication.taken_down", actor=actor, target=publication, subject_user=request.artist,
        cohort=request.cohort, data={"reason_code": reason.code, "decision": decision.pk},
    )  # fmt: skip
    artist_tell(decision, kind="publication_taken_down", title=f"{request.title} was taken down from the gallery")
    return decision


def publication_restore(*, publication: Publication) -> Publication:
    """An appeal reversed the take-down: the clip goes back to the gallery once its public copy is signed
    again (the take-down deleted it). Call under the request's lock, from the appeal's decision."""
    publication = Publication.objects.select_for_update().get(pk=publication.pk)
    publication.taken_down_at, publication.take_down = None, None
    publication.signed_at, publication.sign_error, publication.sign_next_attempt_at = None, "", timezone.now()
    publication.save(update_fields=["taken_down_at", "take_down", "signed_at", "sign_error", "sign_next_attempt_at"])
    transaction.on_commit(lambda: _send_sign_task(publication.pk), robust=True)
    return publication


def artist_tell(decision: Decision, *, kind: str, title: str = "") -> None:
    """The artist's notification and email carry the decision's whole statement of reasons."""
    statement = selectors.statement_of_reasons(decision)
    notify(
        user=decision.request.artist, kind=kind, title=title or f"{decision.request.title}: {statement['decision']}",
        body=selectors.statement_as_text(statement), email=True,
    )  # fmt: skip
