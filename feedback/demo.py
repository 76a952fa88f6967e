"""seed_demo's step for the feedback app (settings.DEMO_SEED_STEPS): a published rate card, a shared
board with reports in different states, and one paid statement, so every page has content."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from accounts.models import Cohort, User
from feedback import services
from feedback.models import ContributionEntry, FeedbackPolicy, RateCard

DEMO_RATES = {
    "bug_low": (1000, 0), "bug_medium": (2500, 0), "bug_high": (6000, 20), "bug_critical": (15000, 50),
    "duplicate": (500, 0), "feedback": (1500, 10), "idea": (5000, 20), "promotion": (20000, 0),
}  # fmt: skip


def demo_seed_feedback(*, cohort: Cohort) -> None:
    admin = User.objects.filter(email="admin@example.com").first()
    reviewer = User.objects.filter(email="reviewer@example.com").first()
    artist = User.objects.filter(email="artist@example.com").first()
    other = User.objects.filter(email="artist2@example.com").first()
    if not (admin and reviewer and artist and other) or RateCard.objects.filter(cohort=cohort).exists():
        return
    FeedbackPolicy.objects.get_or_create(cohort=cohort, defaults={"board_shared": True})
    services.rate_card_publish(actor=admin, cohort=cohort, currency="EUR", lines=DEMO_RATES, note="Demo rates.")
    confirmed = services.report_create(
        reporter=artist, cohort_slug=cohort.slug, kind="bug", severity="high",
        title="Cancel during the last step leaves the clip running",
        body="Steps:\n\n1. Submit a 2 s clip\n2. Press **Cancel** at 95%\n\nThe clip still finishes.",
    )  # fmt: skip
    services.report_triage(actor=reviewer, report=confirmed, outcome="confirmed", reason="Reproduced, thank you.")
    services.report_comment(author=reviewer, report=confirmed, body="We see it too; a fix is under way.", as_staff=True)
    duplicate = services.report_create(
        reporter=other, cohort_slug=cohort.slug, kind="bug", severity="medium",
        title="Cancel does not stop a clip near the end", body="Same as the other report, I think.",
    )  # fmt: skip
    services.report_triage(actor=reviewer, report=duplicate, outcome="duplicate", duplicate_of=confirmed)
    services.report_create(
        reporter=other, cohort_slug=cohort.slug, kind="idea", title="Loop preview in the studio",
        body="Let the preview loop while I tweak the prompt.",
    )  # fmt: skip
    services.report_create(
        reporter=artist, cohort_slug=cohort.slug, kind="feedback", title="The price updates feel instant",
        body="Seeing the credits before typing helps a lot.",
    )  # fmt: skip
    # Last month's work, closed and paid, so the earnings page shows a statement.
    last_month = (date.today().replace(day=1) - timedelta(days=1)).replace(day=15)
    ContributionEntry.objects.create(
        artist=artist, cohort=cohort, kind="feedback", amount_minor=1500, currency="EUR",
        reason="Accepted feedback (demo, last month).", key="demo:last-month",
        created_at=timezone.make_aware(timezone.datetime(last_month.year, last_month.month, 15, 12)),
    )  # fmt: skip
    period = f"{last_month:%Y-%m}"
    for statement in services.statements_close(actor=admin, period=period):
        if statement.artist_id == artist.pk:
            services.statement_mark_paid(
                actor=admin, statement=statement, reference="DEMO-0001", paid_on=date.today().replace(day=1)
            )
