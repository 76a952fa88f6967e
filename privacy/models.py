"""Exports of everything an artist made, and requests to erase an account."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from generations.storage import private_storage


class DataExport(models.Model):
    """One ZIP of everything an artist has here, built by a task and kept until ``expires_at``."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Being built"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"

    ACTIVE = (State.QUEUED, State.RUNNING)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports")
    # The staff member who built it at the artist's request; empty when the artist asked here.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    file = models.FileField(storage=private_storage, upload_to="exports/", max_length=200, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One export at a time per artist: the database holds the rule, not a check that could race.
            models.UniqueConstraint(
                fields=["user"], condition=Q(state__in=["queued", "running"]), name="one_active_export_per_user"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["queued", "running", "ready", "failed", "expired"]), name="export_state_valid"
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="export_progress_at_most_100"),
        ]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"export {self.public_id} ({self.state})"


class ErasureRequest(models.Model):
    """An artist's request to erase their account: carried out after a grace period in which signing in
    cancels it (or at once, by staff, for a verified request). The row outlives the erasure."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for the grace period"
        CANCELLED = "cancelled", "Cancelled"
        ERASED = "erased", "Erased"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="erasure_requests")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=9, choices=State.choices, default=State.PENDING)
    requested_at = models.DateTimeField(default=timezone.now)
    erase_after = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    # The name the kept rows go by afterwards: "Former member <pseudonym>".
    pseudonym = models.CharField(max_length=8, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(state="pending"), name="one_pending_erasure_per_user"),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "cancelled", "erased"]), name="erasure_state_valid"
            ),
        ]
        indexes = [models.Index(fields=["state", "erase_after"])]

    def __str__(self) -> str:
        return f"erasure of {self.user_id} ({self.state})"
