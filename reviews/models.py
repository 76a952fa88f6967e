"""Review before publish: requests, claims, decisions with written reasons, appeals and publications.

The database holds the rules a person would otherwise have to trust: a negative decision names a
reason code; one decision per request and stage (two reviewers deciding at once: one wins); one
open request per clip; nobody claims their own request; a publication stands on an approving
decision, or says plainly that the cohort's deadline passed without one. A take-down is a decision
too (stage "take_down"), so it carries a statement of reasons and can be appealed like a refusal.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Cohort
from generations.models import Generation
from generations.storage import private_storage


class ReviewPolicy(models.Model):
    """How review works in a cohort: the deadline staff answer by, what happens past it, how long appeals stay open.

    One per cohort, like its quota and feedback policies; a cohort without one follows the defaults."""

    cohort = models.OneToOneField(Cohort, on_delete=models.CASCADE, related_name="review_policy")
    deadline_hours = models.PositiveIntegerField(
        default=72, validators=[MinValueValidator(1)],
        help_text="Hours within which a reviewer decides each publication request.",
    )  # fmt: skip
    publish_after_deadline = models.BooleanField(
        default=False, help_text="Artists may publish a clip staff did not decide on before the deadline."
    )
    appeal_window_days = models.PositiveIntegerField(
        default=180, validators=[MinValueValidator(1)], help_text="Days after a rejection the artist may appeal it."
    )
    out_of_court_body = models.CharField(
        max_length=300, blank=True,
        help_text="A certified out-of-court dispute settlement body artists may turn to (DSA Art. 21), and how.",
    )  # fmt: skip

    EDITABLE_FIELDS = ("deadline_hours", "publish_after_deadline", "appeal_window_days", "out_of_court_body")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(deadline_hours__gte=1), name="review_deadline_positive"),
            models.CheckConstraint(condition=Q(appeal_window_days__gte=1), name="review_appeal_window_positive"),
        ]

    def __str__(self) -> str:
        return f"review policy of {self.cohort}"


# The EU DSA Transparency Database's statement categories (its API's values).
DSA_CATEGORIES = [
    (f"STATEMENT_CATEGORY_{name}", name.replace("_", " ").capitalize())
    for name in (
        "ANIMAL_WELFARE", "DATA_PROTECTION_AND_PRIVACY_VIOLATIONS", "ILLEGAL_OR_HARMFUL_SPEECH",
        "INTELLECTUAL_PROPERTY_INFRINGEMENTS", "NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
        "NON_CONSENSUAL_BEHAVIOUR", "ONLINE_BULLYING_INTIMIDATION", "PORNOGRAPHY_OR_SEXUALIZED_CONTENT",
        "PROTECTION_OF_MINORS", "RISK_FOR_PUBLIC_SECURITY", "SCAMS_AND_FRAUD", "SELF_HARM",
        "SCOPE_OF_PLATFORM_SERVICE", "UNSAFE_AND_PROHIBITED_PRODUCTS", "VIOLENCE",
    )
]  # fmt: skip


class ReasonCode(models.Model):
    """One written reason a clip may be refused or taken down, resting on a clause of the published policy.

    Readable by every cohort member before they submit; admins manage the list, and retire a code by
    clearing ``active`` (decisions that cite it keep it). Each maps to the DSA's ground and category,
    which every statement of reasons citing it carries.
    """

    class Ground(models.TextChoices):
        INCOMPATIBLE = "DECISION_GROUND_INCOMPATIBLE_CONTENT", "Incompatible with the terms"
        ILLEGAL = "DECISION_GROUND_ILLEGAL_CONTENT", "Illegal content"

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=120)
    description = models.TextField(help_text="What the reason covers, in words an artist can act on.")
    policy_clause = models.CharField(max_length=200, help_text="The clause of the published policy it rests on.")
    ground = models.CharField(max_length=40, choices=Ground.choices, default=Ground.INCOMPATIBLE)
    category = models.CharField(
        max_length=80, choices=DSA_CATEGORIES, default="STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE"
    )
    ground_url = models.URLField(
        blank=True, help_text="Where the clause is published (or, for illegal content, the law)."
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.label}"


class PublicationRequest(models.Model):
    """An artist's request to publish one of their succeeded clips, in the review queue until decided."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        WITHDRAWN = "withdrawn", "Withdrawn"
        SELF_PUBLISHED = "self_published", "Published without review"

    class Stage(models.TextChoices):
        REVIEW = "review", "Review"
        APPEAL = "appeal", "Appeal"
        TAKE_DOWN_APPEAL = "take_down_appeal", "Take-down appeal"

    OPEN = (State.PENDING, State.IN_REVIEW)

    generation = models.ForeignKey(Generation, on_delete=models.PROTECT, related_name="publication_requests")
    artist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="publication_requests")
    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="publication_requests")
    title = models.CharField(max_length=120)
    caption = models.CharField(max_length=2000, blank=True)
    credit_line = models.CharField(max_length=120)
    show_prompt = models.BooleanField(default=False)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    # An appeal reopens the request at stage "appeal" (of a refusal) or "take_down_appeal" (of a take-down
    # of its publication), for anyone but the reviewer who made the decision appealed.
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.REVIEW)
    excluded_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    deadline_at = models.DateTimeField(help_text="When the cohort's review deadline passes.")
    overdue_at = models.DateTimeField(null=True, blank=True, help_text="When the deadline check found it undecided.")
    # A claim: the reviewer working on it now, until the lease ends (renewed while they work).
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["deadline_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    state__in=[
                        "pending",
                        "in_review",
                        "approved",
                        "rejected",
                        "changes_requested",
                        "withdrawn",
                        "self_published",
                    ]
                ),
                name="publication_request_state_valid",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="publication_request_has_title"),
            models.UniqueConstraint(
                fields=["generation"],
                condition=Q(state__in=["pending", "in_review"]),
                name="one_open_publication_request_per_generation",
            ),
            # Claimed exactly while in review, always with a lease.
            models.CheckConstraint(
                condition=Q(state="in_review", claimed_by__isnull=False, lease_expires_at__isnull=False)
                | (~Q(state="in_review") & Q(claimed_by__isnull=True, lease_expires_at__isnull=True)),
                name="publication_request_claim_consistent",
            ),
            models.CheckConstraint(
                condition=Q(claimed_by__isnull=True) | ~Q(claimed_by=F("artist")),
                name="publication_request_not_claimed_by_its_artist",
            ),
            # A reviewer holds one request at a time (a lapsed claim counts until it is released).
            models.UniqueConstraint(
                fields=["claimed_by"], condition=Q(state="in_review"), name="one_claim_per_reviewer"
            ),
            models.CheckConstraint(
                condition=Q(stage__in=["review", "appeal", "take_down_appeal"]), name="publication_request_stage_valid"
            ),
            # An appeal goes to someone other than the reviewer who decided.
            models.CheckConstraint(
                condition=Q(claimed_by__isnull=True)
                | Q(excluded_reviewer__isnull=True)
                | ~Q(claimed_by=F("excluded_reviewer")),
                name="appeal_not_claimed_by_first_reviewer",
            ),
        ]
        indexes = [
            models.Index(fields=["cohort", "state", "deadline_at"], name="review_queue_order"),
            # "Claim next" walks open requests by deadline and takes the first one the reviewer may
            # review: no sort of the whole queue.
            models.Index(
                fields=["deadline_at", "id"],
                condition=Q(state__in=["pending", "in_review"]),
                name="review_queue_open_by_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_state_display()})"

    @property
    def appeal(self) -> Appeal | None:
        """The latest appeal, if any (prefetch ``appeals`` to read it without a query)."""
        return max(self.appeals.all(), key=lambda appeal: (appeal.created_at, appeal.pk), default=None)


class DecisionQuerySet(models.QuerySet):
    def in_effect(self):
        """Decisions that took effect: what artists, the public and the numbers see (not those still held)."""
        return self.filter(held_until__isnull=True)


class Decision(models.Model):
    """A reviewer's decision on a request (stage review) or on its appeal (stage appeal, final); or staff
    taking its publication down (stage take_down) and the final decision on that take-down's appeal
    (stage take_down_appeal: approve restores the clip, reject upholds the take-down)."""

    class Outcome(models.TextChoices):
        APPROVE = "approve", "Approve"
        REJECT = "reject", "Reject"
        REQUEST_CHANGES = "request_changes", "Request changes"
        TAKE_DOWN = "take_down", "Take down"

    class Stage(models.TextChoices):
        REVIEW = "review", "Review"
        APPEAL = "appeal", "Appeal"
        TAKE_DOWN = "take_down", "Take-down"
        TAKE_DOWN_APPEAL = "take_down_appeal", "Take-down appeal"

    # What a reviewer may decide on a request in the queue, by its stage (a take-down is made on the publication).
    OUTCOMES_AT = {
        "review": (Outcome.APPROVE, Outcome.REJECT, Outcome.REQUEST_CHANGES),
        "appeal": (Outcome.APPROVE, Outcome.REJECT, Outcome.REQUEST_CHANGES),
        "take_down_appeal": (Outcome.APPROVE, Outcome.REJECT),
    }
    APPEALABLE = ((Stage.REVIEW, Outcome.REJECT), (Stage.TAKE_DOWN, Outcome.TAKE_DOWN))
    FINAL_STAGES = (Stage.APPEAL, Stage.TAKE_DOWN_APPEAL)

    request = models.ForeignKey(PublicationRequest, on_delete=models.PROTECT, related_name="decisions")
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.REVIEW)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    reason_code = models.ForeignKey(ReasonCode, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=2000, blank=True, help_text="Shown to the artist with the reason.")
    automated = models.BooleanField(default=False, help_text="Whether any part of the decision was automated.")
    decided_at = models.DateTimeField(default=timezone.now)
    # A reviewer's decision from the review desk waits this long before it takes effect (publishes, tells
    # the artist), so a slip of the key can be undone; null once it has taken effect.
    held_until = models.DateTimeField(null=True, blank=True)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=["approve", "reject", "request_changes", "take_down"]),
                name="decision_outcome_valid",
            ),
            models.CheckConstraint(
                condition=Q(stage__in=["review", "appeal", "take_down", "take_down_appeal"]),
                name="decision_stage_valid",
            ),
            # A take-down is its own stage's only outcome; an appeal of one restores or upholds.
            models.CheckConstraint(
                condition=Q(stage="take_down", outcome="take_down") | Q(~Q(stage="take_down"), ~Q(outcome="take_down")),
                name="decision_take_down_outcome_matches_stage",
            ),
            models.CheckConstraint(
                condition=~Q(stage="take_down_appeal", outcome="request_changes"),
                name="take_down_appeal_restores_or_upholds",
            ),
            # Nobody is refused for a reason that is not written down.
            models.CheckConstraint(
                condition=Q(outcome="approve") | Q(reason_code__isnull=False), name="negative_decision_has_reason"
            ),
            # Two reviewers deciding at once: exactly one decision counts. (A clip restored on appeal may be
            # taken down again, on new facts: take-downs and their appeals are held to one by the
            # publication's and the appeal's rows, see reviews.services.)
            models.UniqueConstraint(
                fields=["request", "stage"],
                condition=Q(stage__in=["review", "appeal"]),
                name="one_decision_per_request_and_stage",
            ),
            # The target of Publication's (decision, decision_outcome) key.
            models.UniqueConstraint(fields=["id", "outcome"], name="decision_id_outcome_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} ({self.get_stage_display().lower()})"


class Appeal(models.Model):
    """The artist's one appeal against a rejection or a take-down, with their message; decided by another
    reviewer, finally. One per appealed decision, and one undecided at a time per request."""

    request = models.ForeignKey(PublicationRequest, on_delete=models.PROTECT, related_name="appeals")
    appealed_decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="appeal")
    original_reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    message = models.CharField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    decision = models.OneToOneField(
        Decision, null=True, blank=True, on_delete=models.PROTECT, related_name="appeal_decided"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(message=""), name="appeal_has_message"),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("original_reviewer")),
                name="appeal_decided_by_another_reviewer",
            ),
            models.CheckConstraint(
                condition=Q(decision__isnull=True, decided_by__isnull=True)
                | Q(decision__isnull=False, decided_by__isnull=False),
                name="appeal_decision_has_reviewer",
            ),
            models.UniqueConstraint(
                fields=["request"], condition=Q(decision__isnull=True), name="one_undecided_appeal_per_request"
            ),
        ]

    def __str__(self) -> str:
        return f"appeal of {self.request}"


class Publication(models.Model):
    """A published clip: public, with the credit line the artist chose and its provenance.

    It stands on an approving decision, or (``unreviewed``) on the cohort's deadline having passed
    without one where the cohort allows the artist to publish then; never on nothing.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.OneToOneField(PublicationRequest, on_delete=models.PROTECT, related_name="publication")
    decision = models.OneToOneField(
        Decision, null=True, blank=True, on_delete=models.PROTECT, related_name="publication"
    )
    # The decision's outcome, copied so the database can hold it to "approve" (see the migration's
    # composite foreign key on PostgreSQL: (decision, decision_outcome) must match a decision row).
    decision_outcome = models.CharField(max_length=20, blank=True)
    unreviewed = models.BooleanField(default=False)
    published_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    taken_down_at = models.DateTimeField(null=True, blank=True)
    # The take-down decision in force (its reason, facts and reviewer); cleared when an appeal restores the clip.
    take_down = models.OneToOneField(
        Decision, null=True, blank=True, on_delete=models.PROTECT, related_name="taken_down_publication"
    )
    # The public copy, signed with Content Credentials (reviews.credentials), under a name that says
    # nothing about the private file; empty until signed (the gallery shows signed clips only).
    video = models.FileField(storage=private_storage, max_length=200, blank=True)
    poster = models.FileField(storage=private_storage, max_length=200, blank=True)
    video_sha256 = models.CharField(max_length=64, blank=True, help_text="Of the public, signed file.")
    signed_at = models.DateTimeField(null=True, blank=True)
    # Signing runs after commit on the signing queue; failures are kept here and retried with backoff.
    sign_attempts = models.PositiveSmallIntegerField(default=0)
    sign_error = models.CharField(max_length=500, blank=True)
    sign_next_attempt_at = models.DateTimeField(default=timezone.now)
    # Provenance, copied when published so the public record never changes under it.
    provenance = models.JSONField(default=dict)

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision__isnull=False, decision_outcome="approve", unreviewed=False)
                | Q(decision__isnull=True, decision_outcome="", unreviewed=True),
                name="publication_approved_or_past_deadline",
            ),
            models.CheckConstraint(
                condition=Q(taken_down_at__isnull=True, take_down__isnull=True)
                | Q(taken_down_at__isnull=False, take_down__isnull=False),
                name="publication_take_down_is_a_decision",
            ),
        ]
        indexes = [models.Index(fields=["-published_at", "-id"], name="gallery_order")]

    def __str__(self) -> str:
        return self.request.title

    @property
    def is_public(self) -> bool:
        return bool(self.video) and self.withdrawn_at is None and self.taken_down_at is None
