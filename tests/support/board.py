"""A feedback board: the team with published rate cards and a shared board, and reports filed on it."""

import pytest

from feedback import services
from feedback.models import FeedbackPolicy
from tests.support.people import Team

RATES = {
    "bug_low": (1000, 0), "bug_medium": (2500, 0), "bug_high": (6000, 20), "bug_critical": (15000, 50),
    "duplicate": (500, 0), "feedback": (1500, 10), "idea": (5000, 0), "promotion": (20000, 0),
}  # fmt: skip


@pytest.fixture
def board(team: Team) -> Team:
    """The team with a published rate card in both cohorts and a shared board in the first."""
    for cohort in (team.cohort, team.other_cohort):
        services.rate_card_publish(actor=team.admin, cohort=cohort, currency="EUR", lines=RATES)
    FeedbackPolicy.objects.create(cohort=team.cohort, board_shared=True)
    return team


def bug(people, reporter=None, severity="high", title="Cancel leaves the clip running", **extra):
    return services.report_create(
        reporter=reporter or people.artist, cohort_slug=None, kind="bug", severity=severity, title=title,
        body="Steps to reproduce.", **extra,
    )  # fmt: skip
