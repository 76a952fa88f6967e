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
    """Queued: canceled now, credits released. Running: the worker stops at the next step, decode piece
    or encode chunk, and a clip stopped before it is stored is not charged. Finished: too late, said so."""
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
    elif generation.status == Generation.Status.SUCCEEDED:
        raise ApplicationError(
            "not_cancellable",
            "This clip finished before it could stop: it is stored and charged. Delete it if you do not want it.",
            status=409,
        )
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


def _resubmit(generation: Generation, *, seed: int | None = None, **extra) -> Generation:
    """The same parameters as ``generation`` (its seed unless ``seed`` names one, or is None with
    ``new_seed``), in the same lane, submitted anew (priced and reserved again)."""
    resubmitted, _ = generation_submit(
        artist=generation.artist,
        cohort=generation.cohort,
        prompt=generation.prompt,
        negative_prompt=generation.negative_prompt,
        duration_s=generation.duration_s,
        resolution=min(generation.width, generation.height),
        aspect_ratio=pricing.aspect_of(generation.width, generation.height) or "1:1",
        fps=generation.fps,
        seed=seed,
        preset=generation.preset,
        start_image=generation.start_image.public_id if generation.start_image_id else None,
        image_fit=generation.image_fit or "crop",
        style=generation.style,
        lane=generation.lane,  # a relaxed clip's retry or re-run is relaxed too, at the lane's price
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
    return _resubmit(generation, seed=generation.seed, retry_of=generation, idempotency_key=f"retry-of-{generation.pk}")


RERUN_SEEDS = ("same", "new")


def generation_rerun(*, actor: User, generation: Generation, seed: str = "same") -> Generation:
    """Another clip with the same prompt, negative prompt and parameters; ``seed`` says whether it keeps
    the seed (the same clip again, on the same model) or draws a new one (a variation). The studio asks."""
    check_artist_of(actor=actor, generation=generation)
    if seed not in RERUN_SEEDS:
        raise ApplicationError("invalid", "Choose the same seed or a new one.", fields={"seed": "same, new"})
    return _resubmit(generation, seed=generation.seed if seed == "same" else None)


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
