"""The studio offers only what the preset renders, keeps what was typed, and explains blocks before they bite."""

from django.test import Client

from accounts.models import Membership
from accounts.services import generation_pause_set, membership_set_status, terms_publish
from generations import services
from tests.factories import sign_in


def studio_for(artist) -> Client:
    browser = Client()
    sign_in(browser, artist)
    return browser


def test_the_settings_offer_only_what_the_preset_renders_and_show_the_price_at_once(artist, cohort):
    page = studio_for(artist).get("/studio/").content.decode()
    assert '<option value="64|1:1"' in page and '<option value="144|16:9"' in page
    assert "64|16:9" not in page  # a pair the preset does not render is never offered
    assert '<option value="1.125"' in page and "1.1 s (9 frames)" in page
    assert "credits for 64x64, 9 frames at 8 fps" in page  # the price before anything is typed


def test_a_submission_keeps_the_prompt_and_settings(artist, cohort, monkeypatch):
    monkeypatch.setattr(services, "wake_workers", lambda generation_id: None)
    browser = studio_for(artist)
    sent = {"cohort": cohort.pk, "prompt": "a heron at dawn", "negative_prompt": "blur", "preset": "tiny",
            "size": "144|16:9", "fps": "12", "duration_s": "1.41667", "seed": "7"}  # fmt: skip
    response = browser.post("/studio/", sent)
    assert response.status_code == 302
    page = browser.get("/studio/").content.decode()
    assert "a heron at dawn</textarea>" in page and 'value="blur"' in page and 'value="7"' in page
    assert '<option value="144|16:9" selected>' in page and '<option value="12" selected>' in page
    assert '<option value="1.41667" selected>' in page
    assert "Submitted: your clip is below" in page and "Queued." not in page  # no message that goes stale


def test_blocks_are_explained_on_the_studio_before_a_submission(artist, cohort, admin):
    browser = studio_for(artist)
    assert 'class="banner' not in browser.get("/studio/").content.decode()

    terms_publish(actor=admin, cohort=cohort, body="Be kind.")
    page = browser.get("/studio/").content.decode()
    assert "Accept the terms of Studio cohort (version 1)" in page
    assert 'href="/terms/?next=%2Fstudio%2F"' in page
    terms_page = browser.get("/terms/?next=/studio/")
    version = terms_page.context["pending"][0]
    accepted = browser.post("/terms/", {"terms_id": version.pk, "next": "/studio/"})
    assert accepted.status_code == 302 and accepted["Location"] == "/studio/"
    outside = browser.post("/terms/", {"terms_id": version.pk, "next": "https://evil.example/"})
    assert outside["Location"] == "/terms/"  # never back to another site

    generation_pause_set(actor=admin, paused=True, reason="GPU maintenance until 14:00")
    assert "Generation is paused for everyone: GPU maintenance until 14:00" in browser.get("/studio/").content.decode()
    generation_pause_set(actor=admin, paused=False)

    membership = Membership.objects.get(user=artist, cohort=cohort)
    membership_set_status(actor=admin, membership=membership, status="suspended", reason="shared their token")
    page = browser.get("/studio/").content.decode()
    assert "Your membership of Studio cohort is suspended: shared their token" in page
