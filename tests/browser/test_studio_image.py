"""Image to video in the studio: the image fields show only for a preset that starts from images, an
upload becomes a clip whose page shows the image and its hash, a file the studio cannot take is refused
at its field, and "Use these settings" starts from the same image again."""

import hashlib
import io

import numpy as np
import pytest
from PIL import Image

from generations.models import Generation, QuotaPolicy, StartImage
from tests.browser.test_studio import sign_in
from tests.support.factories import CohortFactory, MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.redis]


def png(kind="PNG") -> bytes:
    out = io.BytesIO()
    Image.fromarray((np.random.default_rng(9).random((90, 160, 3)) * 255).astype("uint8")).save(out, format=kind)
    return out.getvalue()


def test_an_artist_starts_a_clip_from_an_image(live_server, page, celery_worker, tiny_model_for_browser):
    cohort = CohortFactory(name="Image cohort")
    QuotaPolicy.objects.create(cohort=cohort, credits_per_period=50, allowed_styles=["ink"])
    artist = MembershipFactory(cohort=cohort, user__email="photo@example.org").user
    sign_in(page, live_server, artist.email)
    page.goto(f"{live_server.url}/studio/")
    fields = page.locator("fieldset.start-image")
    assert fields.is_visible()  # tiny starts from a prompt or an image
    page.locator("#id_preset").select_option("turbo")
    page.locator("#settings[data-image='no']").wait_for(state="attached")
    assert not fields.is_visible()  # turbo starts from a prompt only: no image fields
    assert page.locator("#id_style").count() == 0  # and offers no style
    page.locator("#id_preset").select_option("tiny")
    page.locator("#settings[data-image='yes']").wait_for(state="attached")
    assert fields.is_visible()
    assert page.locator("#id_style option").all_inner_texts() == ["None", "ink"]  # what the cohort allows

    # A GIF is refused at the field; nothing is queued.
    page.locator("#id_prompt").fill("the heron in this photo takes off")
    page.locator("#id_start_image_file").set_input_files(
        files=[{"name": "heron.gif", "mimeType": "image/gif", "buffer": png("GIF")}]
    )
    page.get_by_role("button", name="Generate").click()
    page.locator(".field-error", has_text="GIF").first.wait_for()
    assert Generation.objects.count() == 0 and StartImage.objects.count() == 0

    data = png()
    page.locator("#id_start_image_file").set_input_files(
        files=[{"name": "heron.png", "mimeType": "image/png", "buffer": data}]
    )
    page.get_by_label("Pad: keep the whole image, with black bars").check()
    page.locator("#id_style").select_option("ink")
    page.get_by_role("button", name="Generate").click()
    card = page.locator("li.generation").first
    card.locator(".badge", has_text="Succeeded").wait_for(timeout=90_000)
    generation = Generation.objects.get()
    assert (generation.image_fit, generation.style, generation.mode) == ("pad", "ink", "image")

    card.locator("a.prompt").click()
    page.wait_for_url(f"**/studio/g/{generation.public_id}/")
    facts = page.locator(".start-image-facts")
    sha = generation.start_image.sha256
    assert sha in facts.inner_text() and "padded" in facts.inner_text()
    assert page.evaluate("document.querySelector('.start-image-facts img').naturalWidth") == 160
    assert sha == hashlib.sha256(generation.start_image.file.read()).hexdigest()

    # Its settings again: the same image is kept (shown), no new upload needed.
    page.goto(f"{live_server.url}/studio/?from={generation.public_id}")
    kept = page.locator("input[name='keep_image']")
    assert kept.is_checked() and kept.get_attribute("value") == str(generation.start_image.public_id)
    page.get_by_role("button", name="Generate").click()
    page.locator("li.generation .badge", has_text="Succeeded").nth(1).wait_for(timeout=90_000)
    again = Generation.objects.order_by("-id").first()
    assert again.start_image_id == generation.start_image_id and again.image_fit == "pad"
    assert StartImage.objects.count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
