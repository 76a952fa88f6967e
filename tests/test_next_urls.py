"""Every view that reads a ``next`` reads it through core.pages.safe_next, and none of them sends a person
off the site (an open redirect turns a trusted link into a phishing one)."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from generations import services as generation_services
from tests.support.board import bug
from tests.support.clients import sign_in
from tests.support.clips import SMALL

ROOT = Path(__file__).resolve().parent.parent
APPS = ["accounts", "generations", "reviews", "feedback", "core", "config"]
OFF_SITE = ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"]


def test_no_view_reads_next_except_through_safe_next():
    reads = re.compile(r"""(GET|POST|data|query_params)(\.get\(|\[)\s*["']next["']""")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if path != ROOT / "core" / "pages.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if reads.search(line)
    ]
    assert offenders == []


def _off_site(response) -> bool:
    location = response.get("Location", "")
    return "evil.example" in location or location.startswith("javascript:")


@pytest.mark.parametrize("target", OFF_SITE)
def test_triage_stays_on_the_site(board, target, client):
    report = bug(board)
    sign_in(client, board.reviewer)
    response = client.post(reverse("report_triage", args=[report.pk]), {"outcome": "needs_info", "next": target})
    assert response.status_code == 302 and not _off_site(response)
    assert response["Location"] == reverse("report_page", args=[report.pk])
    inside = client.post(
        reverse("report_triage", args=[report.pk]), {"outcome": "confirmed", "next": "/staff/triage/?state=new"}
    )
    assert inside["Location"] == "/staff/triage/?state=new"


@pytest.mark.parametrize("target", OFF_SITE)
def test_cancel_stays_on_the_site(board, target, client):
    generation, _ = generation_services.generation_submit(
        artist=board.artist, cohort=board.cohort, prompt="a kite", **SMALL
    )
    sign_in(client, board.artist)
    response = client.post(reverse("generation_cancel", args=[generation.public_id]), {"next": target})
    assert response.status_code == 302 and not _off_site(response) and response["Location"] == reverse("studio")


@pytest.mark.parametrize("target", OFF_SITE)
def test_terms_and_the_admin_login_stay_on_the_site(board, target, client):
    sign_in(client, board.admin)
    page = client.get(reverse("terms"), {"next": target})
    assert page.status_code == 200 and b"evil.example" not in page.content
    response = client.get("/django-admin/login/", {"next": target})
    assert response.status_code in (302, 403) and not _off_site(response)
