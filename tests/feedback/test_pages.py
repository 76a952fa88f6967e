"""The feedback pages as each role uses them."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from feedback import exports, services
from feedback.models import ContributionEntry, PayoutStatement, RateCard
from tests.support.board import RATES, bug
from tests.support.clients import api_client_for


def test_the_report_form_says_what_to_fix_and_suggests_duplicates(board):
    bug(board, title="Cancel button ignored near the end")
    artist = api_client_for(board.artist)
    refused = artist.post(reverse("report_new"), {"cohort": board.cohort.slug, "kind": "bug", "title": "", "body": ""})
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "This field is required" in text and "Say how bad the bug is" in text
    similar = artist.get(reverse("report_similar"), {"cohort": board.cohort.slug, "title": "cancel button ignored"})
    assert "Cancel button ignored near the end" in similar.content.decode()
    filed = artist.post(
        reverse("report_new"),
        {"cohort": board.cohort.slug, "kind": "idea", "title": "Loop the preview", "body": "Please **loop** it."},
    )
    assert filed.status_code == 302
    page = artist.get(filed["Location"]).content.decode()
    assert "<strong>loop</strong>" in page


def test_triage_board_quick_confirm_and_the_earnings_page(board):
    report = bug(board)
    desk = api_client_for(board.reviewer)
    board_page = desk.get(reverse("triage_board"), {"state": "new"}).content.decode()
    assert report.title in board_page
    desk.post(reverse("report_triage", args=[report.pk]), {"outcome": "confirmed", "next": reverse("triage_board")})
    earnings = api_client_for(board.artist).get(reverse("earnings")).content.decode()
    assert "60.00 EUR" in earnings and "<svg" in earnings
    assert api_client_for(board.artist).get(reverse("triage_board")).status_code == 403


def test_the_triage_board_filters_through_its_form(board):
    high, low = bug(board, severity="high"), bug(board, severity="low", title="Poster a frame late")
    desk = api_client_for(board.reviewer)
    page = desk.get(reverse("triage_board"), {"severity": "low", "kind": "bug"}).content.decode()
    assert low.title in page and high.title not in page
    assert '<option value="low" selected>' in page  # the filter shown is the filter applied
    assert '<option value="critical">' in page  # severities come from the model, not the template
    refused = desk.get(reverse("triage_board"), {"severity": "urgent"})
    assert refused.status_code == 400 and "Select a valid choice" in refused.content.decode()


def test_admins_publish_rate_cards_close_and_pay_statements(board):
    admin = api_client_for(board.admin)
    data = {"cohort": board.cohort.pk, "currency": "usd", "note": "Raised for launch"}
    for kind, (amount, credits) in RATES.items():
        data[f"{kind}_amount"], data[f"{kind}_credits"] = amount * 2, credits
    assert admin.post(reverse("rate_cards_admin"), data).status_code == 302
    assert RateCard.objects.filter(cohort=board.cohort).latest("version").currency == "USD"
    assert admin.post(reverse("rate_cards_admin"), {**data, "currency": "XYZ"}).status_code == 400
    rate_page = api_client_for(board.artist).get(reverse("rate_card")).content.decode()
    assert "Version 2" in rate_page

    last_month = timezone.now().replace(day=1) - timedelta(days=2)
    ContributionEntry.objects.create(
        artist=board.artist, cohort=board.cohort, kind="feedback", amount_minor=1500, currency="EUR",
        key="page-test", created_at=last_month,
    )  # fmt: skip
    period = f"{last_month:%Y-%m}"
    admin.post(reverse("payouts_admin"), {"period": period})
    statement = PayoutStatement.objects.get(artist=board.artist, period=period)
    admin.post(reverse("statement_paid", args=[statement.pk]), {"reference": "SEPA-77", "paid_on": "2026-11-02"})
    statement.refresh_from_db()
    assert statement.state == "paid" and statement.paid_reference == "SEPA-77"
    csv_text = admin.get(reverse("payouts_csv", args=[period])).content.decode()
    assert "15.00" in csv_text and "SEPA-77" in csv_text
    own = api_client_for(board.artist).get(reverse("statement_csv", args=[period]))
    assert own["Content-Type"] == "text/csv; charset=utf-8" and not own.content.startswith(b"\xef\xbb\xbf")
    assert "15.00" in own.content.decode() and board.artist.email in own.content.decode()
    # For Excel on Windows: a byte-order mark, so "Zoë" is not read as "ZoÃ«".
    for url in (reverse("statement_csv", args=[period]), reverse("payouts_csv", args=[period])):
        excel = (admin if "staff" in url else api_client_for(board.artist)).get(url, {"excel": "1"})
        assert excel.content.startswith(b"\xef\xbb\xbf") and excel["Content-Type"].endswith("charset=utf-8"), url
        assert excel.content.decode("utf-8-sig").startswith("period,")
    assert api_client_for(board.reviewer).get(reverse("payouts_admin")).status_code == 403


def test_staff_see_the_triage_form_and_reporters_the_dispute_form(board):
    report = bug(board)
    services.report_triage(actor=board.reviewer, report=report, outcome="wont_fix", reason="By design.")
    artist_page = api_client_for(board.artist).get(reverse("report_page", args=[report.pk])).content.decode()
    assert "Dispute the outcome" in artist_page and "Triage (staff)" not in artist_page
    staff_page = api_client_for(board.second_reviewer).get(reverse("report_page", args=[report.pk])).content.decode()
    assert "Triage (staff)" in staff_page


def test_a_private_boards_titles_are_not_suggested_to_other_members(board):
    bug(board, title="Cancel button ignored near the end")
    board.cohort.feedback_policy.board_shared = False
    board.cohort.feedback_policy.save()
    from tests.support.factories import MembershipFactory

    member = api_client_for(MembershipFactory(cohort=board.cohort).user)
    similar = member.get(reverse("report_similar"), {"cohort": board.cohort.slug, "title": "cancel button ignored"})
    text = similar.content.decode()
    assert "Cancel button ignored near the end" not in text and "1 similar report by other members" in text


def test_hostile_form_input_is_refused_in_words_never_a_500(board):
    admin, artist = api_client_for(board.admin), api_client_for(board.artist)
    assert admin.post(reverse("payouts_admin"), {"period": "0000-01"}).status_code == 400  # the form, again
    assert not PayoutStatement.objects.exists()
    huge = {"cohort": board.cohort.pk, "currency": "EUR"}
    for kind in RATES:
        huge[f"{kind}_amount"], huge[f"{kind}_credits"] = 10**30, 0
    assert admin.post(reverse("rate_cards_admin"), huge).status_code == 400
    filed = artist.post(
        reverse("report_new"),
        {"cohort": board.cohort.slug, "kind": "idea", "title": "t", "body": "b", "generations": "not-a-uuid,x"},
    )
    assert filed.status_code == 400 and "Link clips by their ids" in filed.content.decode()
    report = bug(board)
    services.report_triage(actor=board.reviewer, report=report, outcome="confirmed")
    services.dispute_create(artist=board.artist, report=report, message="More, please.")
    answered = api_client_for(board.second_reviewer).post(
        reverse("dispute_answer", args=[report.pk]), {"answer": "Fine.", "raise_minor": 10**30}, follow=True
    )
    assert answered.status_code == 200 and "Give your reasons" in answered.content.decode()
    assert api_client_for(board.artist).get(reverse("statement_csv", args=["0000-01"])).status_code == 404
    assert api_client_for(board.artist).get(reverse("report_new"), {"generation": "nonsense"}).status_code == 200


def test_the_csv_does_not_carry_spreadsheet_formulas(board):
    board.artist.display_name = '=HYPERLINK("http://evil.example")'
    board.artist.save()
    report = bug(board)
    services.report_triage(actor=board.reviewer, report=report, outcome="confirmed")
    text = exports.payouts_csv(period=f"{timezone.now():%Y-%m}")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


def test_the_board_and_the_triage_desk_page_through_every_report_instead_of_stopping(board):
    """They stopped at 200 rows without saying so; now every report is a page away, filters kept."""
    from core.pages import PAGE_SIZE
    from tests.support.factories import ReportFactory

    ReportFactory.create_batch(PAGE_SIZE + 7, cohort=board.cohort, reporter=board.artist, kind="idea", severity="")
    mine = api_client_for(board.artist)
    first = mine.get(reverse("reports")).content.decode()
    assert first.count('href="/reports/') - first.count('href="/reports/new/') >= PAGE_SIZE
    assert 'rel="next" href="?page=2"' in first and "Page 1 of 2" in first
    second = mine.get(reverse("reports"), {"page": 2}).content.decode()
    assert "Page 2 of 2" in second and 'rel="prev"' in second and 'rel="next"' not in second

    desk = api_client_for(board.reviewer)
    filtered = desk.get(reverse("triage_board"), {"kind": "idea"}).content.decode()
    assert 'rel="next" href="?kind=idea&amp;page=2"' in filtered
    last = desk.get(reverse("triage_board"), {"kind": "idea", "page": 2}).content.decode()
    assert last.count("<tr data-row>") == 7
