"""Generation jobs, the credits ledger and quota policies.

The database holds the invariants: balances never go negative, every ledger
operation happens once (unique keys), a generation is settled (charged or
released) at most once, and a job's status and progress stay in range.
"""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Cohort
from generations.storage import private_storage


class QuotaPolicy(models.Model):
    """A cohort's credit allowance and job limits. (The higher app holds the link to Cohort.)"""

    cohort = models.OneToOneField(Cohort, on_delete=models.CASCADE, related_name="quota_policy")
    credits_per_period = models.PositiveIntegerField(default=100)
    period_days = models.PositiveIntegerField(default=7)
    max_running_per_artist = models.PositiveIntegerField(default=1)
    max_queued_per_artist = models.PositiveIntegerField(default=5)
    weight = models.FloatField(
        default=1.0, help_text="Fair-share weight: a cohort with 2.0 gets GPU time twice as readily."
    )
    allowed_styles = models.JSONField(
        default=list,
        blank=True,
        help_text="Names of the presets' styles (LoRA adapters) this cohort's artists may pick.",
    )
    # The relaxed lane (generations/lanes.py): clips that run only when no paid clip may, for a share of
    # the price (0: free), capped per artist.
    relaxed_lane = models.BooleanField(default=False, help_text="Artists may queue clips that run on idle GPUs.")
    relaxed_cost_percent = models.PositiveSmallIntegerField(default=0, help_text="Of the clip's price; 0 is free.")
    relaxed_max_queued_per_artist = models.PositiveIntegerField(default=3)
    relaxed_per_day = models.PositiveIntegerField(default=20, help_text="Relaxed clips an artist may queue a day.")

    LIMIT_FIELDS = ("credits_per_period", "period_days", "max_running_per_artist", "max_queued_per_artist", "weight")
    RELAXED_FIELDS = ("relaxed_lane", "relaxed_cost_percent", "relaxed_max_queued_per_artist", "relaxed_per_day")
    POLICY_FIELDS = (*LIMIT_FIELDS, "allowed_styles", *RELAXED_FIELDS)

    class Meta:
        verbose_name_plural = "quota policies"
        constraints = [
            models.CheckConstraint(condition=Q(period_days__gte=1), name="quota_period_positive"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="quota_weight_positive"),
            models.CheckConstraint(condition=Q(relaxed_cost_percent__lte=100), name="relaxed_cost_at_most_full"),
        ]

    def __str__(self) -> str:
        return f"{self.cohort}: {self.credits_per_period} credits / {self.period_days} days"


class QuotaOverride(models.Model):
    """Per-artist exceptions to their cohort's policy; empty fields keep the cohort's value."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quota_overrides")
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="quota_overrides")
    credits_per_period = models.PositiveIntegerField(null=True, blank=True)
    max_running_per_artist = models.PositiveIntegerField(null=True, blank=True)
    max_queued_per_artist = models.PositiveIntegerField(null=True, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    LIMIT_FIELDS = ("credits_per_period", "max_running_per_artist", "max_queued_per_artist")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "cohort"], name="quota_override_once"),
            # Separation of duties: nobody sets their own exceptions.
            models.CheckConstraint(
                condition=Q(set_by__isnull=True) | ~Q(set_by=F("user")), name="quota_override_not_self_set"
            ),
        ]

    def __str__(self) -> str:
        return f"override for {self.user} in {self.cohort}"


class CreditAccount(models.Model):
    """An artist's credits in one cohort. Balances are a cache of the ledger, updated under this row's lock."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credit_accounts")
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="credit_accounts")
    available = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    period_started_at = models.DateTimeField(default=timezone.now)
    period_ends_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "cohort"], name="credit_account_once"),
            models.CheckConstraint(condition=Q(available__gte=0), name="credit_available_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="credit_reserved_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.cohort}: {self.available} available, {self.reserved} reserved"


class LedgerEntry(models.Model):
    """One append-only credits operation. ``key`` makes repeating an operation a no-op."""

    class Kind(models.TextChoices):
        GRANT = "grant", "Grant"
        RESERVE = "reserve", "Reserve"
        CHARGE = "charge", "Charge"
        RELEASE = "release", "Release"
        ADJUSTMENT = "adjustment", "Adjustment"

    account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount = models.IntegerField()
    key = models.CharField(max_length=120, unique=True)
    generation = models.ForeignKey("Generation", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["grant", "reserve", "charge", "release", "adjustment"]), name="ledger_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind="adjustment") | Q(amount__gt=0), name="ledger_amount_positive_unless_adjustment"
            ),
            # A reservation ends once: charged or released, never both, never twice.
            models.UniqueConstraint(
                fields=["generation"], condition=Q(kind__in=["charge", "release"]), name="ledger_one_settlement"
            ),
            models.UniqueConstraint(fields=["generation"], condition=Q(kind="reserve"), name="ledger_one_reservation"),
        ]
        indexes = [models.Index(fields=["account", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} ({self.key})"


class StartImage(models.Model):
    """An image an artist uploaded to start clips from: checked by content and re-encoded without its
    metadata (core.images), so ``sha256`` is the hash of exactly the pixels the model sees."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    artist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="start_images")
    file = models.FileField(storage=private_storage, upload_to="start-images/")
    content_type = models.CharField(max_length=20)
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["artist", "-created_at"])]

    def __str__(self) -> str:
        return f"start image {self.public_id} ({self.width}x{self.height})"


class Generation(models.Model):
    """One prompt becoming one clip. The row is the truth; Celery messages only wake workers."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"

    class Lane(models.TextChoices):
        PAID = "paid", "Paid"
        RELAXED = "relaxed", "Relaxed"

    TERMINAL = (Status.SUCCEEDED, Status.FAILED, Status.CANCELED)
    # queue_wait: queued to claimed; load, denoise, decode, encode: the inference module's own (load only
    # when the pipeline was cold); store: hash and store the files; settle: the final state and the charge.
    PHASES = ("queue_wait", "load", "denoise", "decode", "encode", "store", "settle")
    PLATFORM_PHASES = ("queue_wait", "store", "settle")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    artist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="generations")
    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="generations")
    account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT, related_name="generations")
    prompt = models.TextField()
    negative_prompt = models.TextField(blank=True)
    preset = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    num_frames = models.PositiveIntegerField()
    fps = models.PositiveIntegerField()
    steps = models.PositiveIntegerField()
    guidance = models.FloatField()
    seed = models.BigIntegerField()
    cost = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    gpu_seconds = models.FloatField(default=0.0)
    failure_message = models.CharField(max_length=500, blank=True)
    cancel_requested = models.BooleanField(default=False)
    lease_owner = models.CharField(max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries")
    # Image to video: the start image and how it was fitted to the clip (crop or pad); empty for text.
    start_image = models.ForeignKey(
        StartImage, null=True, blank=True, on_delete=models.PROTECT, related_name="generations"
    )
    image_fit = models.CharField(max_length=8, blank=True)
    # The preset's style (an optional LoRA adapter) the artist picked, from those their cohort allows.
    style = models.CharField(max_length=64, blank=True)
    # Relaxed clips run only when no paid clip may (generations/lanes.py), and cost less or nothing.
    lane = models.CharField(max_length=8, choices=Lane.choices, default=Lane.PAID)
    # When a relaxed clip last gave its GPU to a waiting paid clip (and went back to the queue, uncharged).
    yielded_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001 (unique only when given)
    # SHA-256 of the parameters sent with the key: the same key with other parameters is refused (422).
    idempotency_fingerprint = models.CharField(max_length=64, blank=True)
    video = models.FileField(storage=private_storage, upload_to="clips/", blank=True)
    poster = models.FileField(storage=private_storage, upload_to="clips/", blank=True)
    video_sha256 = models.CharField(max_length=64, blank=True)
    video_bytes = models.PositiveBigIntegerField(default=0)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Milliseconds per phase of a succeeded job, measured inside the job (PHASES); staff and /metrics read them.
    phase_ms = models.JSONField(default=dict, blank=True)
    # Where the platform POSTs this job's terminal state (generations.webhooks), signed with the
    # submitting token's webhook secret; a revoked token stops its deliveries.
    callback_url = models.URLField(max_length=2000, blank=True)
    callback_token = models.ForeignKey(
        "accounts.ApiToken", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-queued_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "succeeded", "failed", "canceled"]),
                name="generation_status_valid",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="generation_progress_percent"),
            models.CheckConstraint(condition=Q(lane__in=["paid", "relaxed"]), name="generation_lane_valid"),
            models.UniqueConstraint(
                fields=["artist", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="generation_idempotency_key_once",
            ),
            models.CheckConstraint(
                condition=~Q(status="running") | Q(lease_expires_at__isnull=False), name="generation_running_has_lease"
            ),
            models.CheckConstraint(
                condition=Q(start_image__isnull=True, image_fit="")
                | Q(start_image__isnull=False, image_fit__in=["crop", "pad"]),
                name="generation_image_fit_with_start_image",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "queued_at"]),
            models.Index(fields=["artist", "status"]),
            models.Index(fields=["artist", "finished_at"]),
            models.Index(fields=["status", "lease_expires_at"]),
            # Recent GPU times for queue estimates, read by every polled queued row.
            models.Index(fields=["status", "-finished_at"], name="generation_recent_finished"),
        ]

    def __str__(self) -> str:
        return f"generation {self.pk} ({self.status})"

    @property
    def duration_s(self) -> float:
        return self.num_frames / self.fps

    @property
    def is_terminal(self) -> bool:
        return self.status in self.TERMINAL

    @property
    def mode(self) -> str:
        return "image" if self.start_image_id else "text"


class PromptRule(models.Model):
    """A blocked term or pattern, global or for one cohort (for instance names of real people)."""

    pattern = models.CharField(max_length=300)
    is_regex = models.BooleanField(default=False)
    cohort = models.ForeignKey(Cohort, null=True, blank=True, on_delete=models.CASCADE, related_name="prompt_rules")
    reason = models.CharField(max_length=200, help_text="Shown to the artist, e.g. 'names of real people'.")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{'/' + self.pattern + '/' if self.is_regex else self.pattern} ({self.reason})"

    def clean(self):
        if self.is_regex:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValidationError({"pattern": f"Not a valid regular expression: {exc}."}) from exc


class StaffAccess(models.Model):
    """A staff member opened an artist's private clip (page, API, video or poster): shown to the artist.

    The artist's own views are not recorded. Repeated requests for the same clip by the same person
    within a minute (a player seeking through the video) are one record.
    """

    class Via(models.TextChoices):
        PAGE = "page", "Clip page"
        API = "api", "API"
        VIDEO = "video", "Video"
        POSTER = "poster", "Poster"
        IMAGE = "image", "Start image"
        REVIEW = "review", "Review queue"
        LIST = "list", "A list of clips with their prompts (API)"
        EXPORT = "export", "A data export staff built at your request"

    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="staff_accesses")
    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    via = models.CharField(max_length=10, choices=Via.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["generation", "-at"], name="staff_access_by_clip")]
        constraints = [
            models.CheckConstraint(
                condition=Q(via__in=["page", "api", "video", "poster", "image", "review", "list", "export"]),
                name="staff_access_via_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.viewer} viewed {self.generation_id} ({self.via})"


class WebhookDelivery(models.Model):
    """The POST of a generation's terminal state to its callback_url: one per generation, retried with
    exponential backoff until it succeeds or WEBHOOK_RETRY_FOR_HOURS pass."""

    generation = models.OneToOneField(Generation, on_delete=models.CASCADE, related_name="webhook_delivery")
    event = models.CharField(max_length=40)  # "generation.succeeded", "generation.failed", "generation.canceled"
    url = models.URLField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    given_up_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(delivered_at__isnull=True, given_up_at__isnull=True),
                name="webhook_delivery_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} of generation {self.generation_id} to {self.url}"
