from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

# The program's records (notifications, the outbox, the kill switches, the audit log): in records.py.
from accounts.models.records import AuditEvent as AuditEvent
from accounts.models.records import Notification as Notification
from accounts.models.records import OutboundEmail as OutboundEmail
from accounts.models.records import ProgramSwitches as ProgramSwitches


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("role", User.Role.ADMIN)
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


# An erased account keeps its row under this domain (privacy.services.erasure): the address names nobody.
ERASED_EMAIL_DOMAIN = "erased.invalid"


class User(AbstractBaseUser, PermissionsMixin):
    """A person in the program, signed in by email address.

    ``role`` is the program role that decides which pages and actions they see;
    ``is_staff`` only opens Django's own admin site, for operators.
    ``suspended_at`` is the account kill switch: while set, sessions and tokens stop working.
    """

    class Role(models.TextChoices):
        ARTIST = "artist", "Artist"
        REVIEWER = "reviewer", "Reviewer"
        ADMIN = "admin", "Program admin"

    email = models.EmailField("email address", max_length=254, unique=True)
    display_name = models.CharField(max_length=120, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ARTIST)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_reason = models.CharField(max_length=500, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.CheckConstraint(condition=Q(role__in=["artist", "reviewer", "admin"]), name="user_role_valid"),
        ]

    def __str__(self) -> str:
        # Other members read this (shared boards, comments): never fall back to the private address.
        return self.display_name or f"Member #{self.pk}"

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    @property
    def is_program_staff(self) -> bool:
        """Reviewers and program admins: the people who see staff pages."""
        return self.role in (self.Role.REVIEWER, self.Role.ADMIN)

    @property
    def is_program_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def is_erased(self) -> bool:
        """The person asked to be erased and was: a "Former member" row kept for the books, never acted on."""
        return self.email.endswith("@" + ERASED_EMAIL_DOMAIN)


class Cohort(models.Model):
    """A group of artists who take part in the program together, with its own limits."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        CLOSED = "closed", "Closed"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=64, unique=True)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    capacity = models.PositiveIntegerField(default=300, help_text="Most artists with an active membership.")
    # Leak containment: a token used beyond these is suspended at once. A high request rate alone is
    # answered with 429 (the rate limits), never with a suspension: only spread across addresses, or
    # submissions far beyond what a person makes, look like a token relayed by a public front end.
    leak_max_addresses = models.PositiveIntegerField(default=5, help_text="Most distinct client addresses per token.")
    leak_address_window_minutes = models.PositiveIntegerField(default=10)
    leak_max_submissions_per_minute = models.PositiveIntegerField(
        default=30, help_text="Most generation submissions per minute per token before it is suspended."
    )
    created_at = models.DateTimeField(default=timezone.now)

    # What admins may set, on the pages, through the API and in services alike.
    EDITABLE_FIELDS = (
        "name", "slug", "description", "status", "starts_on", "ends_on", "capacity", "leak_max_addresses",
        "leak_address_window_minutes", "leak_max_submissions_per_minute",
    )  # fmt: skip

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "active", "paused", "closed"]), name="cohort_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(starts_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="cohort_ends_after_start",
            ),
            models.CheckConstraint(condition=Q(leak_max_addresses__gte=1), name="cohort_leak_addresses_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Membership.Status.ACTIVE)

    def active_artists(self):
        """Memberships that let their person generate: the artist role, active (one home for the rule)."""
        return self.filter(active_members(role=Membership.Role.ARTIST))

    def active_reviewers(self):
        return self.filter(active_members(role=Membership.Role.REVIEWER))


def active_members(*, role: str, via: str = "") -> Q:
    """The active-membership rule as a filter, for ``role``; across a relation with ``via``
    (``Cohort.objects.filter(active_members(role=Membership.Role.ARTIST, via="memberships"))``)."""
    prefix = f"{via}__" if via else ""
    return Q(**{f"{prefix}role": role, f"{prefix}status": Membership.Status.ACTIVE})


class Membership(models.Model):
    """A person's place in a cohort: an artist taking part, or a reviewer assigned to it."""

    class Role(models.TextChoices):
        ARTIST = "artist", "Artist"
        REVIEWER = "reviewer", "Reviewer"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        REMOVED = "removed", "Removed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ARTIST)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.CharField(max_length=500, blank=True)
    status_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    joined_at = models.DateTimeField(default=timezone.now)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "cohort"], name="membership_once_per_cohort"),
            models.CheckConstraint(condition=Q(role__in=["artist", "reviewer"]), name="membership_role_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["active", "suspended", "removed"]), name="membership_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["cohort", "status", "role"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.cohort} ({self.role}, {self.status})"


def default_invitation_expiry():
    return timezone.now() + timedelta(days=14)


class Invitation(models.Model):
    """A single-use link that brings one email address into one cohort. Only its secret's hash is kept."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=16, choices=Membership.Role.choices, default=Membership.Role.ARTIST)
    secret_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=default_invitation_expiry)
    sent_count = models.PositiveIntegerField(default=0)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One open invitation per address and cohort; resending reuses it.
            models.UniqueConstraint(
                Lower("email"),
                "cohort",
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True), name="invitation_not_both_ended"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.cohort}"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class TermsVersion(models.Model):
    """The program terms of a cohort; artists accept the newest version before generating."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="terms_versions")
    version = models.PositiveIntegerField()
    body = models.TextField()
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["cohort", "-version"]
        constraints = [models.UniqueConstraint(fields=["cohort", "version"], name="terms_version_unique")]

    def __str__(self) -> str:
        return f"{self.cohort} terms v{self.version}"


class TermsAcceptance(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="terms_acceptances")
    terms = models.ForeignKey(TermsVersion, on_delete=models.PROTECT, related_name="acceptances")
    accepted_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "terms"], name="terms_accepted_once")]

    def __str__(self) -> str:
        return f"{self.user} accepted {self.terms}"


class ConsentRecord(models.Model):
    """One consent choice as made at one time; the newest per kind is in force, older ones are history."""

    class Kind(models.TextChoices):
        TRAINING_USE = "training_use", "Allow use of my clips for model training"
        CREDIT_NAME = "credit_name", "Public credit name"
        CONTACT = "contact", "The program may contact me"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    value = models.JSONField()
    consent_version = models.PositiveIntegerField()
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["user", "kind", "-recorded_at"])]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind}={self.value!r}"


class ApiToken(models.Model):
    """A personal API token. The secret is shown once; only its SHA-256 and a short prefix are stored."""

    class Scope(models.TextChoices):
        GENERATIONS_READ = "generations:read", "Read generations"
        GENERATIONS_WRITE = "generations:write", "Create and cancel generations"
        REPORTS_WRITE = "reports:write", "File bug and feedback reports"
        REVIEWS_WRITE = "reviews:write", "Decide reviews (staff only)"
        TOKENS_WRITE = "tokens:write", "Revoke your other API tokens"
        ACCOUNT_EXPORT = "account:export", "Export everything you have here"
        STAFF = "staff:all", "Use staff powers: admin endpoints, cohort members' work (staff with two-factor only)"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=16, help_text="The first characters, to recognise the token by.")
    secret_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=200, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_reason = models.CharField(max_length=500, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    last_used_user_agent = models.CharField(max_length=300, blank=True)
    # Signs the webhooks of jobs this token submits (HMAC-SHA256 needs the key itself, so it is kept);
    # shown to the owner once, at creation and at each rotation.
    webhook_secret = models.CharField(max_length=64, blank=True)
    # After a rotation the previous secret signs too (both signatures are sent) until this time, so
    # receivers can switch without losing deliveries (Standard Webhooks' key rotation).
    previous_webhook_secret = models.CharField(max_length=64, blank=True)
    previous_webhook_secret_until = models.DateTimeField(null=True, blank=True)
    # Leak and rate windows are keyed by this, so reactivating starts them afresh.
    reactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")), name="token_expires_later")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        if self.suspended_at:
            return "suspended"
        return "active"
