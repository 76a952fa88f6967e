"""Reports through the API and pages: attachments checked by content, Markdown rendered inert, staff
notes kept from reporters, boards per cohort, the permission matrix, query counts, disputes and
promotion requests."""

import io
import os
from datetime import timedelta
from html.parser import HTMLParser

import numpy as np
import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from core.errors import ApplicationError
from feedback import services
from feedback.markup import render_markdown
from feedback.models import Attachment, ContributionEntry, Dispute, PromotionRequest
from inference.encode import encode_mp4
from reviews import services as review_services
from tests.support.board import bug
from tests.support.clients import api_client_for, token_client
from tests.support.mail import sent_mail
from tests.support.people import rendered, signing_worker_runs
from tests.support.queries import assert_same_count, queries_for


def png(size=(16, 16)) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (10, 200, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # camera make: metadata that must not be kept
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def mp4(tmp_path) -> bytes:
    path = tmp_path / "clip.mp4"
    encode_mp4((np.random.default_rng(1).random((9, 64, 64, 3)) * 255).astype("uint8"), fps=8, path=path)
    return path.read_bytes()


def upload(client, report, data, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("api-report-attachments", args=[report.pk]),
        {"file": SimpleUploadedFile(name, data, content_type="image/png")},
        format="multipart",
    )


def test_attachments_are_checked_by_content_and_refusals_store_nothing(board, tmp_path):
    report = bug(board)
    client = api_client_for(board.artist)
    stored_before = set(os.listdir(tmp_path)) if tmp_path.exists() else set()
    refusals = {
        "page.png": b"<html><script>alert(1)</script></html>",
        "logo.png": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "polyglot.png": b"<html><body>" + png(),
        "short.mp4": mp4(tmp_path)[:3000],
        "big.png": b"\x89PNG\r\n\x1a\n" + b"0" * (20 * 1024 * 1024 + 1),
    }
    for name, data in refusals.items():
        response = upload(client, report, data, name)
        assert response.status_code == 400, name
        assert response.json()["error"]["fields"], name
    assert Attachment.objects.count() == 0 and set(os.listdir(tmp_path)) == stored_before | {"clip.mp4"}
    assert "does not play" in upload(client, report, mp4(tmp_path)[:3000], "x.mp4").json()["error"]["message"]

    ok = upload(client, report, png(), "photo.png")
    assert ok.status_code == 201
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/jpeg"  # by content, whatever the name said
    with Image.open(attachment.file.path) as stored:
        assert not stored.getexif()  # metadata stripped
    assert upload(client, report, mp4(tmp_path), "clip.mp4").status_code == 201
    served = client.get(reverse("report_attachment", args=[report.pk, attachment.pk]))
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff"
    outsider = api_client_for(board.other_artist)
    assert outsider.get(reverse("report_attachment", args=[report.pk, attachment.pk])).status_code == 404
    other = api_client_for(board.second_reviewer)
    assert upload(other, report, png(), "x.png").status_code in (403, 404)


def test_markdown_renders_inert():
    hostile = (
        "<script>alert(1)</script> <img src=x onerror=alert(1)> [click](javascript:alert(1)) "
        '<a href="javascript:alert(2)">a</a> [ok](https://example.org) <style>body{}</style> **bold**'
    )
    html = render_markdown(hostile)
    tags = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            tags.append((tag, dict(attrs)))

    Collector().feed(html)
    assert {tag for tag, _ in tags} <= {"p", "a", "strong"}  # the rest is shown as text
    assert not [name for _, attrs in tags for name in attrs if name.startswith("on")]
    assert [attrs["href"] for tag, attrs in tags if tag == "a"] == ["https://example.org"]
    assert '<a href="https://example.org" rel="nofollow noopener noreferrer">ok</a>' in html
    assert "<strong>bold</strong>" in html


def test_staff_notes_never_reach_the_reporter(board):
    report = bug(board)
    mail.outbox.clear()
    services.report_triage(
        actor=board.reviewer, report=report, outcome="needs_info", reason="Which browser?",
        staff_note="SECRET-NOTE: probably a duplicate of an internal ticket",
    )  # fmt: skip
    artist = api_client_for(board.artist)
    api = artist.get(reverse("api-report", args=[report.pk])).content.decode()
    page = artist.get(reverse("report_page", args=[report.pk])).content.decode()
    listing = artist.get(reverse("api-reports")).content.decode()
    emails = " ".join(message.body + message.subject for message in sent_mail())
    for seen in (api, page, listing, emails):
        assert "SECRET-NOTE" not in seen
    assert "Which browser?" in api and "Which browser?" in page
    staff = api_client_for(board.reviewer).get(reverse("api-report", args=[report.pk])).json()
    assert staff["staff_note"].startswith("SECRET-NOTE")


def test_boards_shared_or_private_and_other_cohorts_see_nothing(board):
    mine = bug(board)
    neighbour = api_client_for(board.second_reviewer)  # staff of the cohort
    assert neighbour.get(reverse("api-report", args=[mine.pk])).status_code == 200
    from tests.support.factories import MembershipFactory

    member = MembershipFactory(cohort=board.cohort).user
    member_client = api_client_for(member)
    assert member_client.get(reverse("api-report", args=[mine.pk])).status_code == 200  # shared board
    assert member_client.post(reverse("report_vote", args=[mine.pk])).status_code == 302
    assert mine.votes.count() == 1
    outsider = api_client_for(board.other_artist)
    assert outsider.get(reverse("api-report", args=[mine.pk])).status_code == 404
    assert outsider.get(reverse("api-reports")).json()["results"] == []
    assert api_client_for(board.other_reviewer).get(reverse("api-report", args=[mine.pk])).status_code == 404
    # A private board: members see only their own.
    board.cohort.feedback_policy.board_shared = False
    board.cohort.feedback_policy.save()
    assert member_client.get(reverse("api-report", args=[mine.pk])).status_code == 404


def _create(team):
    return "post", reverse("api-reports"), {"kind": "idea", "title": "Loop preview", "body": "Please."}


def _read(team):
    return "get", reverse("api-report", args=[bug(team).pk]), None


def _comment(team):
    return "post", reverse("api-report-comments", args=[bug(team).pk]), {"body": "More detail."}


def _triage(team):
    return "post", reverse("api-report-triage", args=[bug(team).pk]), {"outcome": "confirmed"}


def _rate_card(team):
    return "get", reverse("api-rate-card"), None


def _contributions(team):
    return "get", reverse("api-contributions"), None


def _export(team):
    return "get", reverse("api-payouts-export", args=[f"{timezone.now():%Y-%m}"]), None


ROLES = ("artist", "other_artist", "reviewer", "other_reviewer", "admin", "anonymous")
MATRIX = {
    "file a report": (_create, (201, 201, 201, 201, 400, 401)),  # reviewers are members too; the admin is not
    "read a report": (_read, (200, 404, 200, 404, 200, 401)),
    "comment": (_comment, (201, 404, 201, 404, 201, 401)),
    "triage": (_triage, (403, 403, 200, 404, 200, 401)),
    "rate card": (_rate_card, (200, 200, 200, 200, 404, 401)),
    "contributions": (_contributions, (200, 200, 200, 200, 200, 401)),
    "payout export": (_export, (403, 403, 403, 403, 200, 401)),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", list(MATRIX))
def test_permission_matrix(board, operation, role):
    build, expected = MATRIX[operation]
    method, url, body = build(board)
    client = APIClient() if role == "anonymous" else api_client_for(getattr(board, role))
    response = getattr(client, method)(url, body, format="json")
    assert response.status_code == expected[ROLES.index(role)], (operation, role, response.content[:300])


def test_a_token_needs_reports_write_to_file(board):
    reader, _ = token_client(board.artist, scopes=["generations:read"])
    body = {"kind": "idea", "title": "x", "body": "y"}
    assert reader.post(reverse("api-reports"), body, format="json").json()["error"]["code"] == "insufficient_scope"
    writer, _ = token_client(board.artist, scopes=["reports:write"])
    assert writer.post(reverse("api-reports"), body, format="json").status_code == 201


def test_bad_input_is_a_400_naming_the_field(board):
    client = api_client_for(board.artist)
    for body, field in (
        ({"kind": "bug", "title": "t", "body": "b"}, "severity"),
        ({"kind": "rant", "title": "t", "body": "b"}, "kind"),
        ({"kind": "idea", "title": "", "body": "b"}, "title"),
        ({"kind": "idea", "title": "t", "body": "b", "generations": ["not-a-uuid"]}, "generations"),
        ({"kind": "idea", "title": "t", "body": "b", "cohort": "nope"}, "cohort"),
    ):
        response = client.post(reverse("api-reports"), body, format="json")
        fields = response.json()["error"]["fields"]
        assert response.status_code == 400 and any(name.startswith(field) for name in fields), body
    someone_elses = rendered(board.other_artist, board.other_cohort)
    refused = client.post(
        reverse("api-reports"),
        {"kind": "idea", "title": "t", "body": "b", "generations": [str(someone_elses.public_id)]},
        format="json",
    )
    assert refused.status_code == 400 and "generations" in refused.json()["error"]["fields"]
    assert client.get(reverse("api-payouts-export", args=["2026-13"])).status_code in (400, 403)


def test_a_report_from_a_failed_clip_captures_its_context(board):
    generation = rendered(board.artist, board.cohort)
    type(generation).objects.filter(pk=generation.pk).update(
        status="failed", failure_message="CUDA out of memory", attempts=3, lease_owner="gpu-7"
    )
    form = api_client_for(board.artist).get(reverse("report_new") + f"?generation={generation.public_id}")
    assert "CUDA out of memory" in form.content.decode()
    report = services.report_create(
        reporter=board.artist, cohort_slug=None, kind="bug", severity="high", title="Failed", body="It failed.",
        generation_ids=[str(generation.public_id)],
    )  # fmt: skip
    (context,) = report.context
    assert context["error"] == "CUDA out of memory" and context["worker"] == "gpu-7" and context["attempts"] == 3
    assert context["seed"] == generation.seed and context["preset"] == "tiny"


def test_board_query_counts_do_not_grow_with_rows(board):
    urls = {
        "my reports": (api_client_for(board.artist), reverse("reports")),
        "cohort board": (api_client_for(board.artist), reverse("reports") + "?board=cohort"),
        "triage board": (api_client_for(board.reviewer), reverse("triage_board")),
        "api list": (api_client_for(board.artist), reverse("api-reports")),
        "earnings": (api_client_for(board.artist), reverse("earnings")),
    }

    def grow(count):
        for _ in range(count):
            report = bug(board)
            services.report_triage(actor=board.reviewer, report=report, outcome="confirmed")
            services.report_comment(author=board.reviewer, report=report, body="Thanks", as_staff=True)

    grow(1)
    before = {name: queries_for(client, url) for name, (client, url) in urls.items()}
    grow(4)
    for name, (client, url) in urls.items():
        assert_same_count(before[name], queries_for(client, url), what=name)


def test_a_dispute_is_answered_once_by_someone_else_and_a_raise_appends(board):
    report = bug(board, severity="low")
    services.report_triage(actor=board.reviewer, report=report, outcome="confirmed")
    with pytest.raises(ApplicationError):
        services.dispute_create(artist=board.other_artist, report=report, message="mine")
    dispute = services.dispute_create(artist=board.artist, report=report, message="It loses credits: critical.")
    with pytest.raises(ApplicationError) as twice:
        services.dispute_create(artist=board.artist, report=report, message="again")
    assert twice.value.code == "already_disputed"
    with pytest.raises(ApplicationError) as same:
        services.dispute_answer(actor=board.reviewer, dispute=dispute, answer="I stand by it.")
    assert same.value.code == "same_person"
    services.dispute_answer(
        actor=board.second_reviewer, dispute=dispute, answer="Agreed, it loses credits.", raise_minor=4000
    )
    dispute.refresh_from_db()
    assert dispute.outcome == "changed" and dispute.answered_by == board.second_reviewer
    assert sum(report.entries.values_list("amount_minor", flat=True)) == 5000
    with pytest.raises(ApplicationError):
        services.dispute_answer(actor=board.admin, dispute=dispute, answer="Again.")
    late = bug(board, title="Old")
    services.report_triage(actor=board.reviewer, report=late, outcome="confirmed")
    type(late).objects.filter(pk=late.pk).update(triaged_at=timezone.now() - timedelta(days=31))
    with pytest.raises(ApplicationError) as closed:
        services.dispute_create(artist=board.artist, report=late, message="Late")
    assert closed.value.code == "dispute_window_closed"
    assert Dispute.objects.count() == 1


def test_promotion_needs_the_artists_yes_and_pays_its_fee(board, django_capture_on_commit_callbacks):
    generation = rendered(board.artist, board.cohort)
    request = review_services.publication_request_create(artist=board.artist, generation=generation, title="Kite")
    review_services.review_claim(reviewer=board.reviewer, request=request)
    with django_capture_on_commit_callbacks(execute=True):
        review_services.review_decide(reviewer=board.reviewer, request=request, outcome="approve")
    signing_worker_runs()
    publication = request.publication
    promotion = services.promotion_request_create(actor=board.admin, publication=publication, use="Launch trailer")
    assert promotion.amount_minor == 20000 and promotion.state == "pending"
    assert not ContributionEntry.objects.filter(promotion=promotion).exists()  # not usable without a yes
    with pytest.raises(ApplicationError):
        services.promotion_request_answer(artist=board.other_artist, promotion=promotion, accept=True)
    services.promotion_request_answer(artist=board.artist, promotion=promotion, accept=True)
    assert ContributionEntry.objects.get(promotion=promotion).amount_minor == 20000
    with pytest.raises(ApplicationError):
        services.promotion_request_answer(artist=board.artist, promotion=promotion, accept=False)
    declined = services.promotion_request_create(actor=board.admin, publication=publication, use="Poster")
    services.promotion_request_answer(artist=board.artist, promotion=declined, accept=False)
    assert PromotionRequest.objects.get(pk=declined.pk).state == "declined"
    assert ContributionEntry.objects.filter(promotion=declined).count() == 0


def test_a_dispute_unanswered_past_its_deadline_is_flagged_once(board):
    report = bug(board)
    services.report_triage(actor=board.reviewer, report=report, outcome="wont_fix", reason="By design.")
    dispute = services.dispute_create(artist=board.artist, report=report, message="It loses my credits.")
    assert services.disputes_flag_overdue() == 0
    later = dispute.answer_due_at + timedelta(minutes=1)  # time travel past the cohort's deadline
    assert services.disputes_flag_overdue(now=later) == 1
    assert services.disputes_flag_overdue(now=later) == 0
    assert board.admin.notifications.filter(kind="dispute_overdue").count() == 1
    Dispute.objects.filter(pk=dispute.pk).update(overdue_at=None)
    services.dispute_answer(actor=board.second_reviewer, dispute=dispute, answer="Upheld: it is by design.")
    assert services.disputes_flag_overdue(now=later) == 0  # answered ones are never flagged


def test_a_title_longer_than_the_schema_allows_is_refused_as_sent_not_after_trimming(board):
    reports = api_client_for(board.artist)
    sent = {"kind": "idea", "body": "Please."}
    long_with_a_tab = reports.post(reverse("api-reports"), {**sent, "title": "\t" + "x" * 200}, format="json")
    assert long_with_a_tab.status_code == 400 and "title" in long_with_a_tab.json()["error"]["fields"]
    assert reports.post(reverse("api-reports"), {**sent, "title": "x" * 200}, format="json").status_code == 201
