"""Clips are private: permission-checked or signed and expiring, seekable with HTTP Range. The API around them."""

import pytest
from django.core import signing
from django.test import Client

from generations import services, tasks
from generations.media import SALT, signed_url
from generations.models import Generation
from tests.support.clients import api_client_for, sign_in, token_client
from tests.support.clips import SMALL


@pytest.fixture
def clip(wake_ups, artist, cohort) -> Generation:
    generation = services.generation_submit(artist=artist, cohort=cohort, prompt="a boat", **SMALL)[0]
    tasks.render_next(generation.pk)
    generation.refresh_from_db()
    assert generation.status == "succeeded"
    return generation


def whole(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_owner_streams_the_clip_with_ranges(clip, artist):
    browser = Client()
    sign_in(browser, artist)
    url = f"/media/g/{clip.public_id}/video/"
    full = browser.get(url)
    assert full.status_code == 200 and full["Content-Type"] == "video/mp4" and full["Accept-Ranges"] == "bytes"
    data = whole(full)
    assert len(data) == clip.video_bytes
    import hashlib

    assert hashlib.sha256(data).hexdigest() == clip.video_sha256

    part = browser.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert whole(part) == data[100:200]
    tail = browser.get(url, HTTP_RANGE="bytes=-50")
    assert tail.status_code == 206 and whole(tail) == data[-50:]
    open_ended = browser.get(url, HTTP_RANGE=f"bytes={len(data) - 10}-")
    assert whole(open_ended) == data[-10:]
    beyond = browser.get(url, HTTP_RANGE=f"bytes={len(data) + 5}-")
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{len(data)}"
    poster = browser.get(f"/media/g/{clip.public_id}/poster/")
    assert poster.status_code == 200 and poster["Content-Type"] == "image/jpeg"


def test_media_revalidates_with_etags_and_refuses_stale_ranges(clip, artist):
    """RFC 9110: 200 with validators, 304 while unchanged, 200 again once the file changes; an If-Range
    that no longer matches gets the whole current file, never a splice of two versions; HEAD answers."""
    browser = Client()
    sign_in(browser, artist)
    url = f"/media/g/{clip.public_id}/video/"
    first = browser.get(url)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag == f'"{clip.video_sha256}"' and modified and first["Cache-Control"].startswith("private")
    again = browser.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag and not again.content
    assert browser.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    resumed = browser.get(url, HTTP_RANGE="bytes=10-19", HTTP_IF_RANGE=etag)
    assert resumed.status_code == 206 and whole(resumed) == whole(first)[10:20]

    # The file changes (the same clip stored again, as a retried recording would).
    Generation.objects.filter(pk=clip.pk).update(video_sha256="0" * 64)
    changed = browser.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] == f'"{"0" * 64}"'
    stale = browser.get(url, HTTP_RANGE="bytes=10-19", HTTP_IF_RANGE=etag)
    assert stale.status_code == 200 and len(whole(stale)) == clip.video_bytes  # the whole file, not a splice

    for path in (url, f"/media/g/{clip.public_id}/poster/", signed_url(clip, "video"), signed_url(clip, "poster")):
        head = browser.head(path)
        assert head.status_code == 200 and int(head["Content-Length"]) > 0 and not head.content, path
        assert head["ETag"], path
    poster = browser.get(f"/media/g/{clip.public_id}/poster/")
    assert poster["ETag"].startswith('W/"')  # no stored hash: good for revalidation, not for If-Range
    assert browser.get(f"/media/g/{clip.public_id}/poster/", HTTP_IF_NONE_MATCH=poster["ETag"]).status_code == 304


def test_others_cannot_see_the_clip(clip, make_artist):
    stranger = Client()
    sign_in(stranger, make_artist())
    assert stranger.get(f"/media/g/{clip.public_id}/video/").status_code == 404
    assert Client().get(f"/media/g/{clip.public_id}/video/").status_code == 302  # to sign-in


def test_signed_urls_work_without_a_session_expire_and_cannot_be_forged(clip, artist, settings):
    client, _ = token_client(artist, scopes=["generations:read"])
    body = client.get(f"/api/v1/generations/{clip.public_id}/").json()
    video_path = body["video_url"].removeprefix("http://testserver")
    anonymous = Client()
    assert anonymous.get(video_path).status_code == 200
    token = video_path.rstrip("/").rsplit("/", 1)[1]
    forged = signing.dumps({"g": clip.pk, "k": "video"}, key="not-our-secret-key-" * 3, salt=SALT, compress=True)
    assert anonymous.get(f"/media/s/{forged}/").status_code == 404
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    assert anonymous.get(f"/media/s/{tampered}/").status_code == 404
    settings.MEDIA_URL_MAX_AGE_SECONDS = -1  # every signature is now too old
    assert anonymous.get(video_path).status_code == 404


def test_list_filter_detail_cancel_and_credits(clip, artist, cohort, make_artist):
    client = api_client_for(artist)
    queued = services.generation_submit(artist=artist, cohort=cohort, prompt="another", **SMALL)[0]
    listed = client.get("/api/v1/generations/").json()
    assert [g["id"] for g in listed["results"]] == [str(queued.public_id), str(clip.public_id)]
    assert listed["results"][0]["queue_position"] == 1 and listed["results"][0]["estimated_start"]
    only_done = client.get("/api/v1/generations/", {"status": "succeeded"}).json()["results"]
    assert [g["id"] for g in only_done] == [str(clip.public_id)]
    bad = client.get("/api/v1/generations/", {"status": "exploded"})
    assert bad.status_code == 400 and "status" in bad.json()["error"]["fields"]
    assert api_client_for(make_artist()).get(f"/api/v1/generations/{clip.public_id}/").status_code == 404
    canceled = client.post(f"/api/v1/generations/{queued.public_id}/cancel/")
    assert canceled.json()["status"] == "canceled"
    again = client.post(f"/api/v1/generations/{queued.public_id}/cancel/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_cancellable"
    credits = client.get("/api/v1/credits/").json()
    assert credits["available"] == 100 - clip.cost and credits["reserved"] == 0
    assert [e["kind"] for e in credits["ledger"]["results"]] == ["release", "reserve", "charge", "reserve", "grant"]


def test_a_read_only_token_cannot_submit(artist, cohort):
    client, _ = token_client(artist, scopes=["generations:read"])
    response = client.post("/api/v1/generations/", {"prompt": "x", **SMALL}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "insufficient_scope"
    writer, _ = token_client(artist, scopes=["generations:write"])
    created = writer.post("/api/v1/generations/", {"prompt": "x", **SMALL}, format="json")
    assert created.status_code == 201, created.json()


def test_api_submission_errors(artist, cohort):
    client = api_client_for(artist)
    response = client.post("/api/v1/generations/", {"prompt": "x", **SMALL, "resolution": 99}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "resolution": "choose 64p 1:1, 128p 1:1, 144p 16:9, 144p 9:16, 256p 1:1"
    }
    missing = client.post("/api/v1/generations/", {}, format="json")
    assert set(missing.json()["error"]["fields"]) == {"prompt", "duration_s", "resolution"}


def test_metrics_need_staff_or_the_scrape_token(clip, artist, admin, settings):
    assert Client().get("/metrics").status_code == 403
    settings.METRICS_TOKEN = "scrape-secret"
    scraped = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret")
    assert scraped.status_code == 200
    text = scraped.content.decode()
    assert 'vernissage_generations{lane="paid",status="succeeded"} 1.0' in text
    assert f"vernissage_credits_spent_total {float(clip.cost)}" in text
    staff = Client()
    sign_in(staff, admin)
    assert staff.get("/metrics").status_code == 200


def test_studio_page_and_queue_view(clip, artist, admin):
    browser = Client()
    sign_in(browser, artist)
    page = browser.get("/studio/").content.decode()
    assert "a boat" in page and "data-lightbox" in page and "available" in page
    card = browser.get("/studio/?part=credits", HTTP_HX_REQUEST="true").content.decode()
    assert card.lstrip().startswith('<p class="credits-line" id="credits"')
    assert f"<strong>{100 - clip.cost}</strong> available" in card and "0 reserved" in card
    quote = browser.post("/studio/quote/", {"preset": "tiny", "duration_s": "1.125", "size": "64|1:1", "fps": "8"})
    assert b"credits for 64x64, 9 frames" in quote.content
    # A frame rate change keeps the duration nearest to the one chosen, among those offered at the new rate.
    faster = browser.post("/studio/quote/", {"preset": "tiny", "duration_s": "1.125", "size": "64|1:1", "fps": "24"})
    assert b"64x64, 25 frames at 24 fps" in faster.content
    # Nonsense is moved to the nearest offer, and the price shown is for what is shown.
    odd = browser.post("/studio/quote/", {"duration_s": "soon", "size": "64|16:9", "fps": "x"})
    assert odd.status_code == 200 and b"credits for 64x64, 9 frames at 8 fps" in odd.content
    staff = Client()
    sign_in(staff, admin)
    queue = staff.get("/staff/queue/").content.decode()
    assert "painter@example.org" in queue and "GPU seconds today" in queue


def test_studio_form_says_what_to_fix(artist, cohort):
    browser = Client()
    sign_in(browser, artist)
    response = browser.post(
        "/studio/",
        {
            "cohort": cohort.pk,
            "prompt": "a boat",
            "preset": "tiny",
            "duration_s": "30",
            "size": "64|1:1",
            "fps": "8",
        },
    )
    assert response.status_code == 400
    assert b"Select a valid choice. 30 is not one of the available choices." in response.content
    assert b"a boat</textarea>" in response.content  # nothing typed is lost
    assert not Generation.objects.exists()


def test_a_polled_row_and_the_detail_show_the_queue_position(artist, cohort):
    queued = services.generation_submit(artist=artist, cohort=cohort, prompt="waiting", **SMALL)[0]
    browser = Client()
    sign_in(browser, artist)
    row = browser.get(f"/studio/g/{queued.public_id}/row/").content.decode()
    assert "#1 in line" in row and 'hx-trigger="every 1s"' in row
    detail = api_client_for(artist).get(f"/api/v1/generations/{queued.public_id}/").json()
    assert detail["queue_position"] == 1 and detail["estimated_start"]


def test_an_overlong_idempotency_key_is_a_400_not_a_500(artist, cohort):
    api = api_client_for(artist).post(
        "/api/v1/generations/", {"prompt": "a", **SMALL}, format="json", HTTP_IDEMPOTENCY_KEY="k" * 201
    )
    assert api.status_code == 400 and "Idempotency-Key" in api.json()["error"]["fields"]
    browser = Client()
    sign_in(browser, artist)
    page = browser.post(
        "/studio/",
        {"cohort": cohort.pk, "prompt": "a boat", "preset": "tiny", "duration_s": "1.125", "size": "64|1:1",
         "fps": "8", "idempotency_key": "k" * 500},
    )  # fmt: skip
    assert page.status_code == 400 and b"at most 200 characters" in page.content
    assert not Generation.objects.exists()


def test_staff_reading_others_prompts_in_the_list_is_recorded_for_the_artist(artist, make_artist, cohort, admin):
    """Found from outside: an admin could read every artist's prompts through the list with no record."""
    from generations.models import StaffAccess

    for prompt in ("a heron", "a kite"):
        services.generation_submit(artist=artist, cohort=cohort, prompt=prompt, **SMALL)
    other = make_artist()
    services.generation_submit(artist=other, cohort=cohort, prompt="a boat", **SMALL)
    own = api_client_for(artist).get("/api/v1/generations/")
    assert own.status_code == 200 and not StaffAccess.objects.exists()  # the artist's own list is theirs
    staff = api_client_for(admin)
    listed = staff.get("/api/v1/generations/")
    assert {row["prompt"] for row in listed.json()["results"]} == {"a heron", "a kite", "a boat"}
    recorded = StaffAccess.objects.filter(viewer=admin, via="list")
    assert sorted(recorded.values_list("generation__prompt", flat=True)) == ["a boat", "a heron", "a kite"]
    staff.get("/api/v1/generations/")  # again within a minute: not new records
    assert recorded.count() == 3


def test_a_turbo_clip_renders_in_four_steps_and_shows_its_adapter(wake_ups, artist, cohort):
    client = api_client_for(artist)
    created = client.post("/api/v1/generations/", {"prompt": "a heron", "preset": "turbo", **SMALL}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["preset"] == "turbo" and body["steps"] == 4
    assert body["adapters"] == [{"name": "tiny-style", "weight": 0.8}]
    generation = Generation.objects.get(public_id=body["id"])
    tasks.render_next(generation.pk)
    shown = client.get(f"/api/v1/generations/{body['id']}/").json()
    assert shown["status"] == "succeeded" and shown["adapters"] == body["adapters"]


def test_a_storage_that_keeps_no_times_still_gets_a_validator(tmp_path):
    """Django's base Storage leaves get_modified_time to the backend: without one the ETag is weak (the
    size) and no Last-Modified is claimed; a backend with times gives both."""
    from types import SimpleNamespace

    from django.core.files.storage import FileSystemStorage, Storage

    from generations.media import validators

    class Timeless(FileSystemStorage):
        get_modified_time = Storage.get_modified_time

    (tmp_path / "clip.mp4").write_bytes(b"x" * 10)
    timeless = SimpleNamespace(storage=Timeless(location=tmp_path), name="clip.mp4")
    assert validators(timeless) == ('W/"10-0"', None)
    dated = SimpleNamespace(storage=FileSystemStorage(location=tmp_path), name="clip.mp4")
    etag, modified = validators(dated)
    assert modified is not None and etag == f'W/"10-{int(modified)}"'
