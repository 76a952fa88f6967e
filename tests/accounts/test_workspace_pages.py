"""Menus by role, the terms read again, and the earnings chart drawn at one size whatever the months."""

import re

from django.urls import reverse

from accounts.models import Membership, TermsVersion
from accounts.services import terms_accept
from tests.support.clients import api_client_for
from tests.support.factories import MembershipFactory


def nav_of(client) -> str:
    page = client.get(reverse("gallery")).content.decode()
    return page[page.index('<nav aria-label="Main"') : page.index("</nav>")]


def test_a_reviewer_who_is_not_an_artist_sees_no_artist_pages_and_one_who_is_does(team):
    reviewer_nav = nav_of(api_client_for(team.reviewer))
    assert reverse("triage_board") in reviewer_nav and reverse("review_queue") in reviewer_nav
    for artist_page in ("studio", "publication_requests", "earnings", "credits", "reports"):
        assert f'href="{reverse(artist_page)}"' not in reviewer_nav, artist_page
    artist_nav = nav_of(api_client_for(team.artist))
    assert f'href="{reverse("studio")}"' in artist_nav and reverse("review_queue") not in artist_nav

    MembershipFactory(cohort=team.other_cohort, user=team.reviewer, role=Membership.Role.ARTIST)
    both = nav_of(api_client_for(team.reviewer))
    assert f'href="{reverse("studio")}"' in both and reverse("review_queue") in both


def test_accepted_terms_can_be_read_again_from_the_account(team):
    version = TermsVersion.objects.create(cohort=team.cohort, version=3, body="Clause 1: be kind to herons.")
    artist = api_client_for(team.artist)
    assert f'href="{reverse("terms")}"' in nav_of(artist)
    terms_accept(user=team.artist, terms=version, ip="127.0.0.1")
    page = artist.get(reverse("terms")).content.decode()
    assert "You have accepted the current terms" in page
    assert "Terms you accepted" in page and "version 3: accepted" in page and "be kind to herons" in page


def test_the_earnings_chart_keeps_one_drawing_size_and_labels_few_months_each():
    from feedback.views import _earnings_chart

    def month(n):
        from datetime import date

        return date(2025 + (n // 12), n % 12 + 1, 1)

    two = _earnings_chart([(month(n), {"EUR": 1000 * (n + 1)}, 0) for n in range(2)])
    thirty = _earnings_chart([(month(n), {"EUR": 500}, 1) for n in range(30)])
    assert two["width"] == thirty["width"] == 320  # labels drawn at the same size on every page
    assert all(bar["labelled"] for bar in two["bars"])
    labelled = [bar for bar in thirty["bars"] if bar["labelled"]]
    assert 3 <= len(labelled) <= 10  # every few months, not thirty overlapping labels
    assert max(bar["x"] + thirty["bar"] for bar in thirty["bars"]) <= 320
    assert re.fullmatch(r"\d+(\.\d)?", str(thirty["bar"]))
