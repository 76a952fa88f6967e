"""Image to video through the API: a start image uploaded (checked by content), a clip made from it
with the tiny model, its JSON, its files and its re-run; styles a cohort allows; the presets' modes."""

import hashlib
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generations import services, tasks
from generations.models import Generation, QuotaPolicy, StartImage
from inference.encode import read_mp4
from tests.support.clients import token_client
from tests.support.clips import SMALL

SUBMIT = dict(prompt="a heron lifts off", duration_s=1.125, resolution=64, aspect_ratio="1:1", fps=8)


def png(width=160, height=90, seed=1, kind="PNG") -> bytes:
    pixels = (np.random.default_rng(seed).random((height, width, 3)) * 255).astype("uint8")
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format=kind)
    return out.getvalue()


def upload(client, data: bytes, name="start.png"):
    return client.post("/api/v1/images/", {"file": io.BytesIO(data)}, format="multipart")


@pytest.fixture
def writer(artist):
    return token_client(artist, scopes=("generations:read", "generations:write"))[0]


def render_all() -> None:
    while Generation.objects.filter(status="queued").exists():
        tasks.render_next()


def metadata_of(generation: Generation, folder: Path) -> dict:
    """The metadata the inference module wrote into the stored MP4 (storage may be anything)."""
    local = folder / "clip.mp4"
    with generation.video.open("rb") as stored:
        local.write_bytes(stored.read())
    return read_mp4(local)[1]["comment"]


def test_a_clip_starts_from_an_uploaded_image_and_says_so(writer, artist, wake_ups, tmp_path):
    uploaded = upload(writer, png())
    assert uploaded.status_code == 201, uploaded.json()
    image = uploaded.json()
    stored = StartImage.objects.get(public_id=image["id"])
    assert image["sha256"] == hashlib.sha256(stored.file.read()).hexdigest()
    assert (image["width"], image["height"], image["content_type"]) == (160, 90, "image/png")

    text = writer.post("/api/v1/generations/", {**SUBMIT, "seed": 4}, format="json").json()
    made = writer.post(
        "/api/v1/generations/", {**SUBMIT, "seed": 4, "start_image": image["id"], "image_fit": "pad"}, format="json"
    )
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["mode"] == "image" and body["image_fit"] == "pad" and text["mode"] == "text"
    assert {k: body["start_image"][k] for k in ("id", "sha256", "width", "height")} == {
        "id": image["id"], "sha256": image["sha256"], "width": 160, "height": 90,
    }  # fmt: skip
    assert text["start_image"] is None and text["image_fit"] is None
    assert body["cost"] == text["cost"]  # priced like any clip

    generation = Generation.objects.get(public_id=body["id"])
    render_all()
    generation.refresh_from_db()
    assert generation.status == "succeeded", generation.failure_message
    metadata = metadata_of(generation, tmp_path)
    assert metadata["mode"] == "image"
    assert metadata["start_image"] == {"sha256": image["sha256"], "fit": "pad"}

    detail = writer.get(f"/api/v1/generations/{body['id']}/").json()
    shown = writer.get(detail["start_image"]["url"])
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    assert hashlib.sha256(b"".join(shown.streaming_content)).hexdigest() == image["sha256"]


def test_an_upload_is_checked_by_content_and_size_and_nothing_is_kept_when_refused(writer):
    gif = upload(writer, png(kind="GIF"))
    assert gif.status_code == 400 and "GIF" in gif.json()["error"]["fields"]["file"]
    text = upload(writer, b"just some words, not an image at all")
    assert text.status_code == 400 and "PNG, JPEG or WebP" in text.json()["error"]["fields"]["file"]
    big = upload(writer, b"\x89PNG\r\n\x1a\n" + bytes(20 * 1024 * 1024))
    assert big.status_code == 400 and "10 MB" in big.json()["error"]["message"]
    missing = writer.post("/api/v1/images/", {}, format="multipart")
    assert missing.status_code == 400 and missing.json()["error"]["fields"]["file"] == "required"
    assert StartImage.objects.count() == 0
    metadata_stripped = upload(writer, _jpeg_with_exif())
    assert metadata_stripped.status_code == 201
    stored = StartImage.objects.get(public_id=metadata_stripped.json()["id"])
    assert b"Exif" not in stored.file.read()


def _jpeg_with_exif() -> bytes:
    image = Image.fromarray((np.ones((40, 60, 3)) * 128).astype("uint8"))
    exif = Image.Exif()
    exif[0x010E] = "secret location notes"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    assert b"Exif" in out.getvalue()
    return out.getvalue()


def test_a_start_image_must_be_yours_and_the_preset_must_start_from_images(writer, make_artist):
    mine = upload(writer, png()).json()["id"]
    stranger = token_client(make_artist("stranger@example.org"), scopes=("generations:write",))[0]
    theirs = upload(stranger, png(seed=2)).json()["id"]
    refused = writer.post("/api/v1/generations/", {**SUBMIT, "start_image": theirs}, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["fields"]["start_image"] == "not one of your images"
    turbo = writer.post("/api/v1/generations/", {**SUBMIT, "start_image": mine, "preset": "turbo"}, format="json")
    assert turbo.status_code == 400 and "tiny" in turbo.json()["error"]["fields"]["start_image"]
    bad_fit = writer.post("/api/v1/generations/", {**SUBMIT, "start_image": mine, "image_fit": "x"}, format="json")
    assert bad_fit.status_code == 400 and "image_fit" in bad_fit.json()["error"]["fields"]
    assert Generation.objects.count() == 0


def test_a_style_the_cohort_allows_renders_and_is_named(writer, artist, cohort, wake_ups, tmp_path):
    presets = writer.get("/api/v1/presets/").json()
    tiny = next(p for p in presets if p["name"] == "tiny")
    turbo = next(p for p in presets if p["name"] == "turbo")
    assert tiny["modes"] == ["text", "image"] and turbo["modes"] == ["text"]
    assert {s["name"]: s["cohorts"] for s in tiny["styles"]} == {"ink": [], "grain": []}
    refused = writer.post("/api/v1/generations/", {**SUBMIT, "style": "ink"}, format="json")
    assert refused.status_code == 400 and "allows no style" in refused.json()["error"]["fields"]["style"]

    QuotaPolicy.objects.filter(cohort=cohort).update(allowed_styles=["ink"])
    tiny = next(p for p in writer.get("/api/v1/presets/").json() if p["name"] == "tiny")
    assert {s["name"]: s["cohorts"] for s in tiny["styles"]} == {"ink": [cohort.slug], "grain": []}
    grain = writer.post("/api/v1/generations/", {**SUBMIT, "style": "grain"}, format="json")
    assert grain.status_code == 400 and grain.json()["error"]["fields"]["style"] == "choose ink"
    inked = writer.post("/api/v1/generations/", {**SUBMIT, "style": "ink"}, format="json").json()
    assert inked["style"] == "ink" and inked["adapters"] == [{"name": "ink", "weight": 1.0}]
    generation = Generation.objects.get(public_id=inked["id"])
    tasks.render_next(generation.pk)
    generation.refresh_from_db()
    assert generation.status == "succeeded", generation.failure_message
    metadata = metadata_of(generation, tmp_path)
    assert metadata["adapters"] == [{"name": "ink", "weight": 1.0}]


def test_a_rerun_keeps_the_image_its_fit_and_the_style(artist, cohort, wake_ups):
    QuotaPolicy.objects.filter(cohort=cohort).update(allowed_styles=["ink"])
    image = services.start_image_upload(artist=artist, data=png())
    first, _ = services.generation_submit(
        artist=artist, cohort=cohort, prompt="a heron", start_image=image.public_id, image_fit="pad", style="ink",
        **SMALL,
    )  # fmt: skip
    again = services.generation_rerun(actor=artist, generation=first, seed="new")
    assert (again.start_image_id, again.image_fit, again.style) == (image.pk, "pad", "ink")
