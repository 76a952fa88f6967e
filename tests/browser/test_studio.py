"""An artist signs in, submits a prompt, watches the progress bar reach done and plays the clip."""

import pytest

from generations.models import Generation, QuotaPolicy
from tests.factories import PASSWORD, CohortFactory, MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.redis]


def test_submit_watch_and_play(live_server, page, celery_worker, tiny_model_for_browser):
    cohort = CohortFactory(name="Studio cohort")
    QuotaPolicy.objects.create(cohort=cohort, credits_per_period=50)
    artist = MembershipFactory(cohort=cohort, user__email="viewer@example.org").user

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(artist.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("link", name="Studio").click()
    assert page.get_by_text("50 available").is_visible()

    page.locator("#quote").filter(has_text="credits for 64x64, 9 frames").wait_for()  # priced before typing
    page.locator("#id_size").select_option("128|1:1")
    page.locator("#quote").filter(has_text="credits for 128x128, 9 frames").wait_for()
    page.locator("#id_duration_s").select_option("2.125")
    page.locator("#quote").filter(has_text="credits for 128x128, 17 frames").wait_for()
    page.locator("#id_prompt").fill("a paper boat drifting down a rainy street")
    page.get_by_role("button", name="Generate").click()

    row = page.locator("tr.generation").first
    row.locator(".status", has_text="Succeeded").wait_for(timeout=90_000)  # htmx polls the row until done
    video = row.locator("video")
    video.wait_for()
    page.wait_for_function("document.querySelector('tr.generation video').readyState >= 1", timeout=30_000)
    duration = page.evaluate("document.querySelector('tr.generation video').duration")
    assert duration == pytest.approx(17 / 8, abs=0.1)
    generation = Generation.objects.get()
    assert generation.status == "succeeded" and generation.progress == 100
