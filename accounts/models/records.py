"""The program's records: in-app notifications, the email outbox, the program-wide kill switches and the
append-only audit log."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Notification(models.Model):
    """An in-app message; important ones are also emailed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.title


class OutboundEmail(models.Model):
    """The outbox: every email, written with the change it tells of, sent after commit by a task
    (accounts.services.email says how); the body is cleared once sent (its links are secrets)."""

    State = models.TextChoices("State", [("PENDING", "pending"), ("SENT", "sent"), ("FAILED", "failed")])
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    html = models.TextField(blank=True)
    kind = models.CharField(max_length=40, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=["pending", "sent", "failed"]), name="outbound_email_state"),
            models.CheckConstraint(condition=~Q(state="sent") | Q(sent_at__isnull=False), name="sent_email_has_time"),
        ]
        indexes = [models.Index(fields=["next_attempt_at"], condition=Q(state="pending"), name="outbound_email_due")]

    def __str__(self) -> str:
        return f"{self.kind or 'email'} to {self.to}: {self.subject}"


class ProgramSwitches(models.Model):
    """Program-wide kill switches: one row (pk=1)."""

    generation_paused = models.BooleanField(default=False)
    generation_paused_reason = models.CharField(max_length=500, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "program switches"
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="program_switches_singleton")]

    def __str__(self) -> str:
        return "generation paused" if self.generation_paused else "generation running"


class AuditEvent(models.Model):
    """Who did what to what, when and from where.

    Append-only: a database trigger refuses updates and deletes, and the people
    and cohorts it names are protected from deletion (deactivate them instead).
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=200, blank=True)
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The person the event is about, who may see it.",
    )
    cohort = models.ForeignKey("accounts.Cohort", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["action", "-created_at"]),
            models.Index(fields=["subject_user", "-created_at"]),
            models.Index(fields=["cohort", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_repr}"
