"""Separation of duties: nobody decides what pays or publishes their own work, through any edge, and the
database refuses it where a row names both people (docs/feedback.md)."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import Membership, User
from core.errors import ApplicationError
from feedback import exports, services
from feedback.models import ContributionEntry, Dispute, PayoutStatement, PromotionRequest, Report
from generations import services as generation_services
from generations.models import QuotaOverride
from reviews import services as review_services
from reviews.models import Publication
from tests.support.board import bug
from tests.support.clients import api_client_for, with_totp
from tests.support.factories import MembershipFactory
from tests.support.people import rendered


def refused(code: str, call) -> None:
    with pytest.raises(ApplicationError) as caught:
        call()
    assert caught.value.code == code, caught.value.message


def published(team, artist) -> object:
    clip = rendered(artist, team.cohort)
    request = review_services.publication_request_create(artist=artist, generation=clip, title="Heron")
    review_services.review_claim(reviewer=team.second_reviewer, request=request)
    review_services.review_decide(reviewer=team.second_reviewer, request=request, outcome="approve")
    publication = Publication.objects.get(request=request)
    review_services.publication_sign(publication_id=publication.pk)  # what the task does after commit
    return Publication.objects.get(pk=publication.pk)


def artist_turned_admin(team) -> User:
    """The team's artist, who earned as an artist and is now an admin with two-factor."""
    artist = team.artist
    artist.role = User.Role.ADMIN
    artist.save(update_fields=["role"])
    with_totp(artist)
    return artist


# --- A reviewer's own report: the case found from outside ------------------------------------------


def test_a_reviewers_report_is_staff_work_that_earns_nothing_and_is_triaged_by_someone_else(board):
    report = bug(board, reporter=board.reviewer, severity="critical")
    assert report.filed_by_staff and report.rate_card is None
    refused("own_report", lambda: services.report_triage(actor=board.reviewer, report=report, outcome="confirmed"))
    services.report_triage(actor=board.second_reviewer, report=report, outcome="confirmed")
    assert not ContributionEntry.objects.filter(artist=board.reviewer).exists()
    refused(  # nothing earned, nothing to raise, whoever asks
        "not_awarded",
        lambda: services.award_raise(
            actor=board.second_reviewer, report=report, amount_minor=100, credits=0, reason="Great find."
        ),
    )
    assert board.reviewer.email not in exports.payouts_csv(period=date.today().strftime("%Y-%m"))


def test_the_reviewer_cannot_confirm_their_own_report_through_the_api_or_the_page(board):
    report = bug(board, reporter=board.reviewer, severity="critical")
    api = api_client_for(board.reviewer)
    response = api.post(reverse("api-report-triage", args=[report.pk]), {"outcome": "confirmed"}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "own_report"
    page = api_client_for(board.reviewer)
    response = page.post(reverse("report_triage", args=[report.pk]), {"outcome": "confirmed", "reason": ""})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == "new" and report.triaged_by is None


def test_nobody_answers_a_dispute_about_their_own_report(board):
    report = bug(board, reporter=board.reviewer, severity="critical")
    services.report_triage(actor=board.admin, report=report, outcome="wont_fix", reason="Works as designed.")
    dispute = services.dispute_create(artist=board.reviewer, report=report, message="It is a real bug.")
    refused(
        "own_report",
        lambda: services.dispute_answer(
            actor=board.reviewer, dispute=dispute, answer="Yes.", new_outcome="confirmed", raise_minor=500_000
        ),
    )
    response = api_client_for(board.reviewer).post(
        reverse("dispute_answer", args=[report.pk]), {"answer": "Yes.", "new_outcome": "confirmed"}
    )
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.answered_by is None and not ContributionEntry.objects.filter(report=report).exists()


def test_a_staff_comment_on_ones_own_report_is_the_reporters(board):
    report = bug(board, reporter=board.reviewer)
    comment = services.report_comment(author=board.reviewer, report=report, body="More detail.", as_staff=True)
    assert comment.by_staff is False
    response = api_client_for(board.reviewer).post(
        reverse("api-report-comments", args=[report.pk]), {"body": "Still more."}, format="json"
    )
    assert response.status_code == 201
    assert [comment["by_staff"] for comment in response.json()["comments"]] == [False, False]


def test_triage_is_refused_to_whoever_filed_a_duplicate_it_would_pay(board):
    original = bug(board)
    reviewer = board.reviewer
    duplicate = bug(board, reporter=reviewer, title="Cancel does not cancel")
    services.report_triage(actor=board.second_reviewer, report=duplicate, outcome="duplicate", duplicate_of=original)
    refused("own_report", lambda: services.report_triage(actor=reviewer, report=original, outcome="confirmed"))


# --- Earned as an artist, then made staff ----------------------------------------------------------


def test_an_artist_made_admin_keeps_what_they_earned_but_decides_none_of_it(board):
    report = bug(board, severity="high")
    services.report_triage(actor=board.reviewer, report=report, outcome="confirmed")
    admin = artist_turned_admin(board)
    refused("own_report", lambda: services.report_triage(actor=admin, report=report, outcome="resolved"))
    refused(
        "own_report",
        lambda: services.award_raise(actor=admin, report=report, amount_minor=1_000_000, credits=0, reason="Mine."),
    )
    statement = PayoutStatement.objects.create(
        artist=admin, period="2020-01", totals={"EUR": 6000}, entry_count=1, closed_by=board.admin
    )
    refused(
        "own_statement",
        lambda: services.statement_mark_paid(actor=admin, statement=statement, reference="X-1", paid_on=date.today()),
    )
    response = api_client_for(admin).post(
        reverse("statement_paid", args=[statement.pk]), {"reference": "X-1", "paid_on": "2020-02-01"}
    )
    assert response.status_code == 302
    statement.refresh_from_db()
    assert statement.state == "closed"


# --- Publishing, promotion, credits and quotas -----------------------------------------------------


def test_nobody_asks_to_promote_their_own_clip_and_staff_clips_earn_no_fee(board):
    own = published(board, board.reviewer)
    refused("own_clip", lambda: services.promotion_request_create(actor=board.reviewer, publication=own, use="Ads"))
    refused("staff_clip", lambda: services.promotion_request_create(actor=board.admin, publication=own, use="Ads"))
    artists = published(board, board.artist)
    assert services.promotion_request_create(actor=board.reviewer, publication=artists, use="Ads").pk


def test_nobody_grants_their_own_credits_or_sets_their_own_quota(board):
    MembershipFactory(cohort=board.cohort, user=board.admin, role=Membership.Role.ARTIST)
    admin = board.admin
    refused(
        "own_account",
        lambda: generation_services.credits_grant_by_staff(
            actor=admin, cohort=board.cohort, user=admin, amount=1000, note="Mine", key="self"
        ),
    )
    refused(
        "own_account",
        lambda: generation_services.quota_override_set(
            actor=admin, cohort=board.cohort, user=admin, credits_per_period=100000
        ),
    )
    page = api_client_for(admin)
    url = reverse("staff_cohort_quota", args=[board.cohort.pk])
    response = page.post(url, {"form": "grant", "grant-artist": admin.pk, "grant-amount": "1000",
                               "grant-note": "Mine", "grant-key": "k1"})  # fmt: skip
    assert response.status_code == 400 and b"your own credits" in response.content
    response = page.post(url, {"form": "override", "override-artist": admin.pk, "override-credits_per_period": "9"})
    assert response.status_code == 400 and b"your own limits" in response.content
    assert not QuotaOverride.objects.filter(user=admin).exists()
    # Someone else's override is fine, and names who set it; its artist cannot remove it.
    override = generation_services.quota_override_set(
        actor=board.reviewer, cohort=board.cohort, user=admin, credits_per_period=5
    )
    assert override.set_by == board.reviewer
    refused("own_account", lambda: generation_services.quota_override_remove(actor=admin, override=override))


# --- The database holds the rule where a row names both people -----------------------------------


def test_the_database_refuses_self_dealing_rows(board):
    report = bug(board)
    artist = board.artist
    writes = [
        lambda: Report.objects.filter(pk=report.pk).update(triaged_by=artist),
        lambda: Report.objects.filter(pk=report.pk).update(filed_by_staff=True),  # it carries a rate card
        lambda: ContributionEntry.objects.create(
            artist=artist,
            cohort=board.cohort,
            kind="bug_high",
            report=report,
            amount_minor=1,
            currency="EUR",
            key="self",
            created_by=artist,
        ),
        lambda: Dispute.objects.create(
            report=report,
            artist=artist,
            message="x",
            decided_by=board.reviewer,
            answer_due_at=report.created_at,
            answered_by=artist,
            answer="Mine",
            outcome="changed",
        ),
        lambda: PayoutStatement.objects.create(
            artist=artist,
            period="2020-01",
            closed_by=board.admin,
            state="paid",
            paid_reference="r",
            paid_on=date.today(),
            paid_by=artist,
        ),
        lambda: QuotaOverride.objects.create(user=artist, cohort=board.cohort, set_by=artist),
    ]
    publication = published(board, artist)
    writes.append(
        lambda: PromotionRequest.objects.create(
            publication=publication,
            artist=artist,
            cohort=board.cohort,
            use="x",
            rate_card=report.rate_card,
            amount_minor=1,
            currency="EUR",
            requested_by=artist,
        )
    )
    for write in writes:
        with pytest.raises(IntegrityError), transaction.atomic():
            write()


# --- The matrix: every staff action, the actor as its subject --------------------------------------


def _subject_admin(board) -> User:
    """An admin who is also an artist of the cohort and filed a report, earned and holds a statement."""
    report = bug(board, severity="high")
    services.report_triage(actor=board.reviewer, report=report, outcome="confirmed")
    admin = artist_turned_admin(board)
    admin.report = report
    return admin


ACTIONS = {
    "triage": lambda b, me: services.report_triage(actor=me, report=me.report, outcome="resolved"),
    "raise": lambda b, me: services.award_raise(actor=me, report=me.report, amount_minor=1, credits=0, reason="x"),
    "dispute_answer": lambda b, me: services.dispute_answer(
        actor=me, dispute=services.dispute_create(artist=me, report=me.report, message="Pay more."), answer="Yes."
    ),
    "promotion": lambda b, me: services.promotion_request_create(
        actor=me, publication=published(b, me), use="A poster"
    ),
    "statement_paid": lambda b, me: services.statement_mark_paid(
        actor=me,
        statement=PayoutStatement.objects.create(artist=me, period="2020-01", closed_by=b.reviewer),
        reference="r",
        paid_on=date.today(),
    ),
    "credits_grant": lambda b, me: generation_services.credits_grant_by_staff(
        actor=me, cohort=b.cohort, user=me, amount=5, note="x", key="k"
    ),
    "quota_override": lambda b, me: generation_services.quota_override_set(
        actor=me, cohort=b.cohort, user=me, credits_per_period=5
    ),
}
CODES = {
    "triage": "own_report", "raise": "own_report", "dispute_answer": "own_report", "promotion": "own_clip",
    "statement_paid": "own_statement", "credits_grant": "own_account", "quota_override": "own_account",
}  # fmt: skip


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_staff_action_with_the_actor_as_its_subject_is_refused(board, action):
    me = _subject_admin(board)
    refused(CODES[action], lambda: ACTIONS[action](board, me))
