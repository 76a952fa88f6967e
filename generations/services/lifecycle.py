"""A generation after submission: cancel, retry, re-run and delete."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from core.errors import ApplicationError
from generations import ledger, pricing, webhooks
from generations.models import Generation
from generations.permissions import check_artist_of
from generations.services.submission import generation_submit


@transaction.atomic
def generation_cancel(*, actor: User, generation: Generation) -> Generation:
    """Queued: canceled now, credits released. Running: the worker stops within one denoising step."""
    generation = Generation.objects.select_for_update().get(pk=generation.pk)
    if generation.status == Generation.Status.QUEUED:
        generation.status = Generation.Status.CANCELED
        generation.finished_at = timezone.now()
        generation.save(update_fields=["status", "finished_at"])
        ledger.credits_release(generation=generation)
        webhooks.webhook_enqueue(generation)
    elif generation.status == Generation.Status.RUNNING:
        generation.cancel_requested = True
        generation.save(update_fields=["cancel_requested"])
    else:
        raise ApplicationError("not_cancellable", f"This generation already {generation.status}.", status=409)
    if actor.pk != generation.artist_id:
        audit_record(
            action="generation.canceled",
            actor=actor,
            target=generation,
            subject_user=generation.artist,
            cohort=generation.cohort,
        )
    return generation


def _resubmit(generation: Generation, **extra) -> Generation:
    """The same parameters and seed as ``generation``, submitted anew (priced and reserved again)."""
    resubmitted, _ = generation_submit(
        artist=generation.artist,
        cohort=generation.cohort,
        prompt=generation.prompt,
        negative_prompt=generation.negative_prompt,
        duration_s=generation.duration_s,
        resolution=min(generation.width, generation.height),
        aspect_ratio=pricing.aspect_of(generation.width, generation.height) or "1:1",
        fps=generation.fps,
        seed=generation.seed,
        preset=generation.preset,
        **extra,
    )
    return resubmitted


def generation_retry(*, actor: User, generation: Generation) -> Generation:
    """A failed or canceled job again, linked to the original. The original was released, never charged,
    and retrying the same original twice returns the first retry (its idempotency key names the original)."""
    generation = Generation.objects.select_related("artist", "cohort").get(pk=generation.pk)
    check_artist_of(actor=actor, generation=generation)
    if generation.status not in (Generation.Status.FAILED, Generation.Status.CANCELED):
        raise ApplicationError("not_retryable", "Only failed or canceled generations can be retried.", status=409)
    return _resubmit(generation, retry_of=generation, idempotency_key=f"retry-of-{generation.pk}")


def generation_rerun(*, actor: User, generation: Generation) -> Generation:
    """Another clip with the same prompt, parameters and seed (the studio's "re-run" button)."""
    check_artist_of(actor=actor, generation=generation)
    return _resubmit(generation)


@transaction.atomic
def generation_delete(*, actor: User, generation: Generation) -> None:
    """Remove the clip's files; the row stays (it is in the ledger), marked deleted."""
    generation = Generation.objects.select_for_update().select_related("cohort", "artist").get(pk=generation.pk)
    check_artist_of(actor=actor, generation=generation)
    if not generation.is_terminal:
        raise ApplicationError("not_deletable", "Cancel the generation before deleting it.", status=409)
    for field in (generation.video, generation.poster):
        if field:
            field.delete(save=False)
    generation.deleted_at = timezone.now()
    generation.save(update_fields=["video", "poster", "deleted_at"])
    audit_record(
        action="generation.deleted", actor=actor, target=generation, subject_user=generation.artist,
        cohort=generation.cohort,
    )  # fmt: skip
