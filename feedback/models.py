"""Bug reports, feedback and ideas as paid work: reports and their triage, a rate card published before
the work, an append-only contribution ledger, promotion requests, payout statements and disputes.

Money is integer minor units with an ISO 4217 currency; credits are generation credits granted through
the generations ledger. The database holds what a person would otherwise have to trust: one ledger
entry per key (repeating a triage action adds nothing), entries are never changed (a trigger), a
negative award only as a correction of an earlier one, a dispute answered by someone other than the
person who decided, one statement per artist and period.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Cohort
from generations.models import Generation
from generations.storage import private_storage
from reviews.models import Publication

SEVERITIES = ("low", "medium", "high", "critical")
# The most one award, raise or rate may be: ten million in major units, a million credits.
MAX_AMOUNT, MAX_CREDITS = 1_000_000_000, 1_000_000
SEVERITY_CHOICES = [(severity, severity.capitalize()) for severity in SEVERITIES]
DEFAULT_SEVERITY_DEFINITIONS = {
    "low": "Cosmetic or rare; a workaround is easy.",
    "medium": "Gets in the way of normal work; a workaround exists.",
    "high": "Blocks a main task (generating, reviewing, publishing) with no good workaround.",
    "critical": "Loses work, credits or money, or exposes private data or access.",
}


def default_severity_definitions() -> dict:
    return dict(DEFAULT_SEVERITY_DEFINITIONS)


class FeedbackPolicy(models.Model):
    """How a cohort's feedback board works (feedback owns the link to the cohort)."""

    cohort = models.OneToOneField(Cohort, on_delete=models.CASCADE, related_name="feedback_policy")
    board_shared = models.BooleanField(
        default=False, help_text="Members see each other's reports, add +1 and comment; otherwise each sees their own."
    )
    severity_definitions = models.JSONField(default=default_severity_definitions)

    def __str__(self) -> str:
        return f"feedback policy of {self.cohort}"


class RateCard(models.Model):
    """What each kind of contribution earns in a cohort, in money and/or credits; versioned, published
    to members before the work. A report earns at the version in force when it was filed."""

    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="rate_cards")
    version = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, help_text="ISO 4217, e.g. EUR.")
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["cohort", "-version"]
        constraints = [models.UniqueConstraint(fields=["cohort", "version"], name="rate_card_version_once")]

    def __str__(self) -> str:
        return f"{self.cohort} rate card v{self.version}"


class Contribution(models.TextChoices):
    BUG_LOW = "bug_low", "Confirmed bug, low severity"
    BUG_MEDIUM = "bug_medium", "Confirmed bug, medium severity"
    BUG_HIGH = "bug_high", "Confirmed bug, high severity"
    BUG_CRITICAL = "bug_critical", "Confirmed bug, critical severity"
    DUPLICATE = "duplicate", "Later report of a confirmed bug (acknowledgement)"
    FEEDBACK = "feedback", "Accepted feedback"
    IDEA = "idea", "Idea shipped"
    PROMOTION = "promotion", "Clip used in the program's promotion"


class RateCardLine(models.Model):
    rate_card = models.ForeignKey(RateCard, on_delete=models.CASCADE, related_name="lines")
    contribution = models.CharField(max_length=20, choices=Contribution.choices)
    amount_minor = models.PositiveIntegerField(default=0, help_text="In the card's currency's minor units.")
    credits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rate_card", "contribution"], name="rate_card_line_once"),
        ]

    def __str__(self) -> str:
        return f"{self.contribution}: {self.amount_minor} + {self.credits} credits"


class Report(models.Model):
    class Kind(models.TextChoices):
        BUG = "bug", "Bug"
        FEEDBACK = "feedback", "Feedback"
        IDEA = "idea", "Idea"

    class State(models.TextChoices):
        NEW = "new", "New"
        CONFIRMED = "confirmed", "Confirmed"
        DUPLICATE = "duplicate", "Duplicate"
        NEEDS_INFO = "needs_info", "Needs information"
        WONT_FIX = "wont_fix", "Won't fix"
        IN_PROGRESS = "in_progress", "In progress"
        RESOLVED = "resolved", "Resolved"

    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reports")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=20000, help_text="Markdown.")
    severity = models.CharField(max_length=10, blank=True, choices=SEVERITY_CHOICES)
    state = models.CharField(max_length=12, choices=State.choices, default=State.NEW)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates")
    outcome_reason = models.CharField(max_length=2000, blank=True, help_text="Shown to the reporter.")
    staff_note = models.TextField(blank=True, help_text="Staff only: never shown to the reporter.")
    rate_card = models.ForeignKey(RateCard, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    generations = models.ManyToManyField(Generation, blank=True, related_name="reports")
    context = models.JSONField(default=list, blank=True, help_text="Linked generations as they were when filed.")
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    triaged_at = models.DateTimeField(null=True, blank=True)
    filed_by_staff = models.BooleanField(
        default=False, help_text="Filed by someone who staffs the cohort: triaged by another, earns nothing."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["bug", "feedback", "idea"]), name="report_kind_valid"),
            # Separation of duties: nobody decides their own report, and staff's reports carry no rate.
            models.CheckConstraint(
                condition=Q(triaged_by__isnull=True) | ~Q(triaged_by=F("reporter")),
                name="report_not_triaged_by_reporter",
            ),
            models.CheckConstraint(
                condition=Q(filed_by_staff=False) | Q(rate_card__isnull=True), name="staff_report_earns_nothing"
            ),
            models.CheckConstraint(
                condition=Q(
                    state__in=["new", "confirmed", "duplicate", "needs_info", "wont_fix", "in_progress", "resolved"]
                ),
                name="report_state_valid",
            ),
            models.CheckConstraint(
                condition=~Q(kind="bug") | Q(severity__in=SEVERITIES), name="bug_report_has_severity"
            ),
            models.CheckConstraint(
                condition=Q(state="duplicate", duplicate_of__isnull=False) | ~Q(state="duplicate"),
                name="duplicate_report_names_original",
            ),
            models.CheckConstraint(
                condition=Q(duplicate_of__isnull=True) | ~Q(duplicate_of=F("id")), name="report_not_own_duplicate"
            ),
        ]
        indexes = [models.Index(fields=["cohort", "state", "-created_at"], name="report_board_order")]

    def __str__(self) -> str:
        return self.title


class ReportComment(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=10000)
    by_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment on {self.report_id}"


class ReportVote(models.Model):
    """A member's +1 on a report of a shared board."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "user"], name="one_vote_per_member")]

    def __str__(self) -> str:
        return f"+1 on {self.report_id}"


class Attachment(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(storage=private_storage, upload_to="attachments/", max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    original_name = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.original_name


class PromotionRequest(models.Model):
    """The program asks to use a published clip in its own promotion, for a fee from the rate card."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for the artist"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    publication = models.ForeignKey(Publication, on_delete=models.PROTECT, related_name="promotion_requests")
    artist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="promotion_requests")
    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="+")
    use = models.CharField(max_length=500, help_text="Where and how the clip would be used.")
    rate_card = models.ForeignKey(RateCard, on_delete=models.PROTECT, related_name="+")
    amount_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    credits = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["pending", "accepted", "declined"]), name="promotion_state_valid"
            ),
            models.CheckConstraint(condition=~Q(requested_by=F("artist")), name="promotion_not_requested_by_artist"),
        ]

    def __str__(self) -> str:
        return f"promotion of {self.publication_id} ({self.state})"


class ContributionEntry(models.Model):
    """One line of the append-only contribution ledger: what a person earned, and why.

    ``key`` makes each award happen once. A correction (a reversed triage outcome, a dispute) is a
    new entry that names the one it corrects; an entry is never changed or deleted (trigger).
    """

    artist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contributions")
    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Contribution.choices)
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    promotion = models.ForeignKey(
        PromotionRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    amount_minor = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, blank=True)
    credits = models.IntegerField(default=0)
    corrects = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections")
    reason = models.CharField(max_length=500, blank=True)
    key = models.CharField(max_length=200, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Only a correction may take something back.
            models.CheckConstraint(
                condition=Q(amount_minor__gte=0, credits__gte=0) | Q(corrects__isnull=False),
                name="contribution_negative_only_as_correction",
            ),
            models.CheckConstraint(
                condition=Q(amount_minor=0) | ~Q(currency=""), name="contribution_money_has_currency"
            ),
            models.CheckConstraint(
                condition=Q(created_by__isnull=True) | ~Q(created_by=F("artist")), name="contribution_not_self_awarded"
            ),
        ]
        indexes = [models.Index(fields=["artist", "created_at"], name="contribution_by_artist")]

    def __str__(self) -> str:
        return self.key


class PayoutStatement(models.Model):
    """An artist's earnings for one period (YYYY-MM), closed by staff, then marked paid."""

    class State(models.TextChoices):
        CLOSED = "closed", "Closed, to be paid"
        PAID = "paid", "Paid"

    artist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="statements")
    period = models.CharField(max_length=7, help_text="YYYY-MM")
    totals = models.JSONField(default=dict, help_text="{currency: minor units}, from the ledger at closing.")
    credits = models.IntegerField(default=0)
    entry_count = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=8, choices=State.choices, default=State.CLOSED)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(default=timezone.now)
    paid_reference = models.CharField(max_length=200, blank=True)
    paid_on = models.DateField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-period", "artist_id"]
        constraints = [
            models.UniqueConstraint(fields=["artist", "period"], name="one_statement_per_artist_and_period"),
            models.CheckConstraint(
                condition=Q(period__regex=r"^\d{4}-(0[1-9]|1[0-2])$"), name="statement_period_shape"
            ),
            models.CheckConstraint(
                condition=Q(state="closed") | Q(state="paid", paid_on__isnull=False) & ~Q(paid_reference=""),
                name="paid_statement_has_reference_and_date",
            ),
            models.CheckConstraint(
                condition=Q(paid_by__isnull=True) | ~Q(paid_by=F("artist")), name="statement_not_paid_by_payee"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} statement of {self.artist_id}"


class Dispute(models.Model):
    """An artist disputes a triage outcome or an award, once, within 30 days; someone other than the
    person who decided answers, with reasons, within the cohort's review deadline; final."""

    class Outcome(models.TextChoices):
        UPHELD = "upheld", "Decision upheld"
        CHANGED = "changed", "Decision changed"

    report = models.OneToOneField(Report, on_delete=models.PROTECT, related_name="dispute")
    artist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    message = models.CharField(max_length=2000)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", help_text="Who made the disputed call."
    )
    created_at = models.DateTimeField(default=timezone.now)
    answer_due_at = models.DateTimeField()
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answer = models.CharField(max_length=2000, blank=True)
    outcome = models.CharField(max_length=10, blank=True, choices=Outcome.choices)
    answered_at = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True, help_text="When the deadline check found it unanswered.")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(message=""), name="dispute_has_message"),
            models.CheckConstraint(
                condition=Q(answered_by__isnull=True) | ~Q(answered_by=F("decided_by")),
                name="dispute_answered_by_someone_else",
            ),
            models.CheckConstraint(
                condition=Q(answered_by__isnull=True) | ~Q(answered_by=F("artist")),
                name="dispute_not_answered_by_artist",
            ),
            models.CheckConstraint(
                condition=Q(answered_by__isnull=True, answer="", outcome="")
                | (Q(answered_by__isnull=False, outcome__in=["upheld", "changed"]) & ~Q(answer="")),
                name="dispute_answer_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"dispute on {self.report_id}"
