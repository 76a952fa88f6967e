"""The studio as an artist uses it: prompt first, priced before typing, by keyboard alone, clips as cards
that play in a large player, download, reuse their settings, and ask before deleting."""

import time

import pytest

from generations.models import Generation, QuotaPolicy
from generations.pricing import presets, resolutions_for
from tests.support.browser import open_menu
from tests.support.factories import PASSWORD, CohortFactory, MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.redis]


def sign_in(page, live_server, email):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{live_server.url}/")


def wait_until(page, expression: str, timeout_s: float = 30) -> None:
    """Poll ``expression`` from outside the page: wait_for_function would evaluate a string in the page,
    which its Content-Security-Policy (no 'unsafe-eval') refuses."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout_s} s: {expression}"
        time.sleep(0.1)


def test_submit_by_keyboard_watch_play_download_reuse_and_delete(
    live_server, page, celery_worker, tiny_model_for_browser
):
    cohort = CohortFactory(name="Studio cohort")
    QuotaPolicy.objects.create(cohort=cohort, credits_per_period=50)
    artist = MembershipFactory(cohort=cohort, user__email="viewer@example.org").user
    sign_in(page, live_server, artist.email)
    open_menu(page).get_by_role("link", name="Studio").click()
    assert page.get_by_text("50 available").is_visible()
    assert page.get_by_text("Your clips will appear here").is_visible()  # the empty studio teaches

    # Priced before a prompt is typed; only the preset's valid sizes and durations are offered.
    page.locator("#quote").filter(has_text="credits for 64x64, 9 frames").wait_for()
    tiny = presets()["tiny"]
    offered = page.locator("#id_size option").evaluate_all("options => options.map(o => o.value)")
    assert offered == [f"{short}|{aspect}" for short, aspect, _w, _h in resolutions_for(tiny)]
    durations = page.locator("#id_duration_s option").evaluate_all("options => options.map(o => o.value)")
    assert durations == [f"{frames / 8:g}" for frames in tiny.frame_counts]

    # By keyboard alone: focus the prompt, type, move through the settings with Tab and arrows, submit.
    page.locator("#id_prompt").focus()
    page.keyboard.type("a paper boat drifting down a rainy street")
    page.keyboard.press("Tab")  # preset
    page.keyboard.press("Tab")  # size
    assert page.evaluate("document.activeElement.id") == "id_size"
    page.keyboard.press("ArrowDown")  # the next valid size
    page.locator("#quote").filter(has_text="credits for 128x").wait_for()
    chosen_size = page.locator("#id_size").input_value()
    page.locator("#id_duration_s").focus()
    page.keyboard.press("ArrowDown")
    page.locator("#quote").filter(has_text="17 frames").wait_for()
    page.locator("button:has-text('Generate')").focus()
    page.keyboard.press("Enter")

    card = page.locator("li.generation").first
    card.locator(".badge", has_text="Succeeded").wait_for(timeout=90_000)  # htmx polls the card until done
    page.get_by_text("Your clip is ready").wait_for()  # announced in the page
    # The form kept its values.
    assert page.locator("#id_prompt").input_value() == "a paper boat drifting down a rainy street"
    assert page.locator("#id_size").input_value() == chosen_size
    assert page.locator("#id_duration_s").input_value() == "2.125"

    # The card opens a large player; small clips are scaled up, not shown at their pixel size.
    card.locator("[data-lightbox]").click()
    lightbox = page.locator("dialog#lightbox")
    lightbox.wait_for()
    wait_until(page, "document.querySelector('#lightbox video').readyState >= 1")
    assert page.evaluate("document.querySelector('#lightbox video').duration") == pytest.approx(17 / 8, abs=0.1)
    assert page.evaluate("document.querySelector('#lightbox video').getBoundingClientRect().width") >= 300
    with page.expect_download() as download:
        lightbox.get_by_role("link", name="Download MP4").click()
    data = download.value.path().read_bytes()
    generation = Generation.objects.get()
    assert data[4:8] == b"ftyp" and len(data) == generation.video_bytes
    assert download.value.suggested_filename == f"vernissage-{generation.seed}.mp4"

    # "Use these settings" fills the form from the clip, seed included.
    lightbox.get_by_role("link", name="Use these settings").click()
    page.wait_for_url(f"**/studio/?from={generation.public_id}#composer")
    assert page.locator("#id_seed").input_value() == str(generation.seed)
    assert page.locator("#id_prompt").input_value() == generation.prompt

    # Deleting asks first; cancelling keeps the clip.
    card = page.locator("li.generation").first
    card.get_by_role("button", name="Delete").click()
    dialog = page.locator("dialog#confirm-dialog")
    dialog.get_by_role("button", name="Cancel").click()
    generation.refresh_from_db()
    assert generation.deleted_at is None
    card.get_by_role("button", name="Delete").click()
    dialog.get_by_role("button", name="Delete clip").click()
    page.get_by_text("Deleted.").wait_for()
    generation.refresh_from_db()
    assert generation.deleted_at is not None
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
