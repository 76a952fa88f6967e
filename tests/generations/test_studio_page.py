"""The studio offers only what the preset renders, keeps what was typed, and explains blocks before they bite."""

from django.test import Client

from accounts.models import Membership
from accounts.services import generation_pause_set, membership_set_status, terms_publish
from generations import services
from tests.support.clients import sign_in


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


def test_a_submission_keeps_the_prompt_and_settings(wake_ups, artist, cohort):
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


def test_clips_filter_by_state_and_page_by_cursor(wake_ups, artist, cohort, monkeypatch, settings):
    from generations import selectors
    from generations.models import Generation
    from tests.support.clips import SMALL

    monkeypatch.setattr(selectors, "STUDIO_PAGE_SIZE", 3)
    made = [services.generation_submit(artist=artist, cohort=cohort, prompt=f"clip {i}", **SMALL)[0] for i in range(5)]
    Generation.objects.filter(pk=made[0].pk).update(status="failed", failure_message="broke")
    browser = studio_for(artist)
    first = browser.get("/studio/").content.decode()
    assert all(f"clip {i}</a>" in first for i in (4, 3, 2)) and "clip 1</a>" not in first
    assert f"before={made[2].public_id}" in first  # the next page starts after the last card shown
    second = browser.get(f"/studio/?before={made[2].public_id}").content.decode()
    assert "clip 1</a>" in second and "clip 0</a>" in second and "clip 2</a>" not in second
    assert "Older clips" not in second
    failed = browser.get("/studio/?status=failed").content.decode()
    assert "clip 0</a>" in failed and "clip 4</a>" not in failed and 'aria-current="true">Failed' in failed
    # Nonsense in the address shows everything rather than an error page.
    for query in ("?status=exploded", "?before=not-an-id", "?before=00000000-0000-0000-0000-000000000000"):
        response = browser.get(f"/studio/{query}")
        assert response.status_code == 200 and "clip 4</a>" in response.content.decode()


def test_use_these_settings_fills_the_form_from_ones_own_clip_only(wake_ups, artist, cohort, make_artist):
    from tests.support.clips import SMALL

    mine = services.generation_submit(
        artist=artist, cohort=cohort, prompt="a heron at dawn", negative_prompt="blur", seed=4242, **SMALL
    )[0]
    page = studio_for(artist).get(f"/studio/?from={mine.public_id}").content.decode()
    assert "a heron at dawn</textarea>" in page and 'value="4242"' in page and 'value="blur"' in page
    theirs = services.generation_submit(artist=make_artist(), cohort=cohort, prompt="a secret plan", **SMALL)[0]
    page = studio_for(artist).get(f"/studio/?from={theirs.public_id}").content.decode()
    assert "a secret plan" not in page  # another artist's prompt never shows


def test_low_credits_are_explained_before_they_bite(artist, cohort):
    from generations.models import CreditAccount

    browser = studio_for(artist)
    services.credit_account_open(user=artist, cohort=cohort)  # as activating the membership does
    CreditAccount.objects.filter(user=artist).update(available=1)
    page = browser.get("/studio/").content.decode()
    assert "You have 1 credit in" in page and "this clip costs 2" in page and "next allowance" in page


def test_the_credits_page_shows_the_ledger_with_a_running_balance_and_spending_per_day(wake_ups, artist, cohort):
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from generations import dispatch, ledger, selectors
    from generations.models import CreditAccount, Generation
    from tests.support.clips import SMALL

    kept = services.generation_submit(artist=artist, cohort=cohort, prompt="a rendered heron", **SMALL)[0]
    dropped = services.generation_submit(artist=artist, cohort=cohort, prompt="a canceled heron", **SMALL)[0]
    services.generation_cancel(actor=artist, generation=dropped)
    Generation.objects.filter(pk=kept.pk).update(
        status="running", lease_owner="w", started_at=kept.queued_at, lease_expires_at=timezone.now() + timedelta(1)
    )
    with transaction.atomic():
        settled = dispatch._settle(kept.pk, "w", status="succeeded")
        ledger.credits_charge(generation=settled)
    account = CreditAccount.objects.get(user=artist, cohort=cohort)

    entries = selectors.ledger_with_balance(account=account)
    assert [e.kind for e in entries] == ["charge", "release", "reserve", "reserve", "grant"]
    running = 0
    for entry in reversed(entries):  # oldest first, the balance after each is the sum so far
        running += entry.delta
        assert entry.available_after == running
    assert entries[0].available_after == account.available  # the running sum ends at the balance
    labels, spent = selectors.credits_spent_per_day(account=account, days=30)
    assert len(labels) == 30 and spent[-1] == kept.cost and sum(spent) == kept.cost

    page = studio_for(artist).get("/credits/").content.decode()
    assert "a rendered heron" in page and "Available after" in page and "<polyline" in page


def test_reading_credits_never_writes_them(artist, cohort, admin):
    """The studio, its polled credits card, the credits page and the API show the balance the next
    submission would find, without opening or refilling an account; activating a membership opens it."""
    from accounts.services import membership_set_status
    from generations.models import CreditAccount, LedgerEntry
    from tests.support.clients import api_client_for

    browser = studio_for(artist)
    for url in ("/studio/", "/studio/?part=credits", "/credits/"):
        page = browser.get(url, HTTP_HX_REQUEST="true" if "part" in url else None)
        assert page.status_code == 200 and "100" in page.content.decode(), url
    credits = api_client_for(artist).get("/api/v1/credits/").json()
    assert credits["available"] == 100 and credits["ledger"]["results"] == []
    assert not CreditAccount.objects.exists() and not LedgerEntry.objects.exists()

    membership = artist.memberships.get(cohort=cohort)
    membership_set_status(actor=admin, membership=membership, status="suspended", reason="checking")
    membership_set_status(actor=admin, membership=membership, status="active")
    account = CreditAccount.objects.get(user=artist, cohort=cohort)
    assert account.available == 100 and account.entries.filter(kind="grant").count() == 1

    CreditAccount.objects.filter(pk=account.pk).update(available=3, period_ends_at=account.period_started_at)
    assert "100" in browser.get("/credits/").content.decode()  # the top-up the next submission makes
    assert CreditAccount.objects.get(pk=account.pk).available == 3  # still unwritten


def test_re_running_asks_for_the_same_seed_or_a_new_one_and_shows_the_negative_prompt(wake_ups, artist, cohort):
    browser = studio_for(artist)
    original, _ = services.generation_submit(
        artist=artist, cohort=cohort, prompt="a heron", negative_prompt="blur", seed=7, duration_s=1.125,
        resolution=64, aspect_ratio="1:1", fps=8,
    )  # fmt: skip
    services.generation_cancel(actor=artist, generation=original)
    page = browser.get("/studio/").content.decode()
    assert "Re-run with the same seed 7 and negative prompt: blur" in page
    assert "Re-run with a new seed and negative prompt: blur" in page
    rerun_url = f"/studio/g/{original.public_id}/rerun/"
    assert "Choose the same seed or a new one" in browser.post(rerun_url, {}, follow=True).content.decode()
    assert artist.generations.count() == 1  # nothing queued on a missing choice
    browser.post(rerun_url, {"seed": "same"})
    browser.post(rerun_url, {"seed": "new"})
    same, new = artist.generations.order_by("id")[1:]
    assert (same.seed, same.negative_prompt, same.prompt) == (7, "blur", "a heron")
    assert new.seed != 7 and new.negative_prompt == "blur"
