"""The triage desk: no outcome chosen for staff, severity changed with a reason, the award shown before Save
equal to the ledger entry it makes, linked clips as a table with players, attachments at filing, and
duplicate suggestions by words in any order."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from feedback import selectors, services
from feedback.models import Attachment, ContributionEntry, Report
from tests.support.board import bug
from tests.support.clients import api_client_for
from tests.support.people import rendered
from tests.support.queries import assert_same_count, queries_for


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def test_save_with_no_outcome_is_refused_and_nothing_is_chosen_for_staff(board):
    report = bug(board, severity="high")
    desk = api_client_for(board.reviewer)
    page = desk.get(reverse("report_page", args=[report.pk])).content.decode()
    assert '<option value="" selected>Choose an outcome…</option>' in page
    assert "data-needs-outcome" in page
    refused = desk.post(reverse("report_triage", args=[report.pk]), {"reason": ""}, follow=True)
    assert "Choose an outcome" in refused.content.decode()
    report.refresh_from_db()
    assert report.state == "new" and not ContributionEntry.objects.exists()


def test_the_award_shown_before_saving_is_the_entry_the_ledger_makes(board):
    report = bug(board, severity="medium")
    previews = services.award_previews(report)
    assert previews["confirmed|medium"] == "Earns 25.00 EUR: confirmed bug, medium severity, rate card v1."
    assert previews["confirmed|critical"].startswith("Earns 150.00 EUR and 50 credits: confirmed bug, critical")
    assert previews["needs_info|medium"] == "Earns nothing at this outcome."
    page = api_client_for(board.reviewer).get(reverse("report_page", args=[report.pk])).content.decode()
    assert '<script id="award-previews" type="application/json">' in page and "150.00 EUR and 50 credits" in page

    desk = api_client_for(board.reviewer)
    no_reason = desk.post(
        reverse("report_triage", args=[report.pk]), {"outcome": "confirmed", "severity": "critical"}, follow=True
    )
    assert "Say why the severity changed" in no_reason.content.decode()
    assert not ContributionEntry.objects.exists()
    desk.post(
        reverse("report_triage", args=[report.pk]),
        {"outcome": "confirmed", "severity": "critical", "reason": "It loses the artist's clip."},
    )
    report.refresh_from_db()
    assert report.severity == "critical" and report.state == "confirmed"
    (entry,) = ContributionEntry.objects.filter(report=report)
    assert (entry.kind, entry.amount_minor, entry.currency, entry.credits) == ("bug_critical", 15000, "EUR", 50)
    assert previews["confirmed|critical"].startswith(f"Earns {entry.amount_minor / 100:.2f} {entry.currency} and")
    assert f"and {entry.credits} credits" in previews["confirmed|critical"]


def test_linked_clips_show_as_a_table_with_a_player_for_staff(board):
    clip = rendered(board.artist, board.cohort)
    report = bug(board, generation_ids=[str(clip.public_id)])
    page = api_client_for(board.reviewer).get(reverse("report_page", args=[report.pk])).content.decode()
    assert "<th>Preset</th><th>Seed</th><th>State</th><th>Worker</th><th>Error</th>" in page
    assert f"<code>{clip.seed}</code>" in page and '<video class="player small"' in page
    assert '"parameters"' not in page  # no raw JSON
    own = api_client_for(board.artist).get(reverse("report_page", args=[report.pk])).content.decode()
    assert "<th>Worker</th>" not in own


def test_attachments_are_added_when_filing_and_a_bad_one_files_nothing(board):
    artist = api_client_for(board.artist)
    form = {"cohort": board.cohort.slug, "kind": "bug", "severity": "low", "title": "Poster is black", "body": "See."}
    bad = artist.post(
        reverse("report_new"),
        {**form, "files": [SimpleUploadedFile("a.png", png()), SimpleUploadedFile("b.png", b"<html>no</html>")]},
    )
    assert bad.status_code == 400 and not Report.objects.exists() and not Attachment.objects.exists()
    filed = artist.post(
        reverse("report_new"), {**form, "files": [SimpleUploadedFile("a.png", png(), content_type="image/png")]}
    )
    assert filed.status_code == 302
    (attachment,) = Attachment.objects.filter(report__title="Poster is black")
    assert attachment.original_name == "a.png" and attachment.content_type == "image/png"


def test_duplicates_are_suggested_for_a_reordered_title_on_every_database(board):
    original = bug(board, title="Export crashes on long prompts")
    bug(board, title="Gallery loads slowly")
    reports = Report.objects.filter(cohort=board.cohort)
    # The fallback (SQLite, the default database), whatever database runs this test:
    assert selectors.similar_by_words(reports, "long prompt crash export") == [original]
    assert selectors.similar_by_words(reports, "the colours look washed out") == []
    # And the database this suite runs on (trigram similarity on PostgreSQL):
    found = selectors.similar_reports(cohort=board.cohort, text="long prompts crash the export")
    assert found[:1] == [original]
    suggested = api_client_for(board.artist).get(
        reverse("report_similar"), {"cohort": board.cohort.slug, "title": "prompts long: export crash"}
    )
    assert "Export crashes on long prompts" in suggested.content.decode()


def test_the_triage_page_reads_the_same_number_of_queries_for_one_linked_clip_or_four(board):
    desk = api_client_for(board.reviewer)

    def page_of(clips: int) -> str:
        linked = [str(rendered(board.artist, board.cohort, prompt=f"clip {n}").public_id) for n in range(clips)]
        return reverse("report_page", args=[bug(board, title=f"With {clips}", generation_ids=linked).pk])

    one, four = page_of(1), page_of(4)
    assert_same_count(queries_for(desk, one), queries_for(desk, four), what="triage page")
