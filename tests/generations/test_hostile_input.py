"""Hostile input from an unauthenticated or artist request gets a 4xx in the error shape, never a 500."""

import pytest
from django.test import Client

from generations import services, tasks
from generations.models import Generation
from tests.support.clients import api_client_for, token_client
from tests.support.clips import SMALL

NESTED = "[" * 100_000 + "]" * 100_000
JSON_ENDPOINTS = [
    ("anonymous", "/api/v1/tokens/revoke-exposed/"),
    ("artist", "/api/v1/generations/"),
    ("artist", "/api/v1/generations/quote/"),
    ("artist", "/api/v1/tokens/"),
]


def client_for(who, artist):
    return api_client_for(None if who == "anonymous" else artist)


def assert_error_shape(response, status, code=None):
    assert response.status_code == status, response.content[:300]
    error = response.json()["error"]
    assert set(error) >= {"code", "message", "fields"}
    if code:
        assert error["code"] == code, error
    return error


@pytest.mark.parametrize(("who", "path"), JSON_ENDPOINTS)
def test_deeply_nested_json_is_a_400(artist, who, path):
    response = client_for(who, artist).post(path, NESTED, content_type="application/json")
    assert_error_shape(response, 400, "malformed_request")


@pytest.mark.parametrize(("who", "path"), JSON_ENDPOINTS)
def test_an_oversized_body_is_a_413(artist, who, path):
    body = '{"prompt": "' + "x" * 2_700_000 + '"}'
    response = client_for(who, artist).post(path, body, content_type="application/json")
    assert_error_shape(response, 413, "payload_too_large")


@pytest.mark.parametrize(("who", "path"), JSON_ENDPOINTS)
def test_two_thousand_form_fields_are_a_400(artist, who, path):
    body = "&".join(f"f{n}=x" for n in range(2000))
    response = client_for(who, artist).post(path, body, content_type="application/x-www-form-urlencoded")
    assert_error_shape(response, 400, "malformed_request")


@pytest.fixture
def clip(wake_ups, artist, cohort):
    generation = services.generation_submit(artist=artist, cohort=cohort, prompt="a boat", **SMALL)[0]
    tasks.render_next(generation.pk)
    generation.refresh_from_db()
    return generation


def test_absurd_ranges_are_416(clip, artist):
    signed_in = api_client_for(artist)
    huge = "9" * 5000
    video = f"/media/g/{clip.public_id}/video/"
    signed = signed_in.get(f"/api/v1/generations/{clip.public_id}/").json()["video_url"]
    for url in (video, signed):
        for header in (f"bytes={huge}-", f"bytes=0-{huge}", f"bytes=-{huge}"):
            response = Client().get(url, HTTP_RANGE=header) if url == signed else signed_in.get(url, HTTP_RANGE=header)
            if header.startswith(f"bytes={huge}"):
                assert response.status_code == 416, header
            else:  # the whole clip: a last position past the end means "to the end"
                assert response.status_code == 206, header


def test_a_non_ascii_bearer_on_metrics_is_a_401(db, settings):
    settings.METRICS_TOKEN = "scrape-token"
    response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer s\u00e9crete")
    assert response.status_code == 401
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/generations/", "/api/v1/credits/"])
@pytest.mark.parametrize("cursor", ["garbage", "cD0yMDI2LTEzLTQ1", "cD14eXo%3D", "bz0tNQ==", "%00"])
def test_a_tampered_cursor_is_a_400_naming_it(artist, cohort, path, cursor):
    client, _ = token_client(artist, scopes=("generations:read",))
    error = assert_error_shape(client.get(f"{path}?cursor={cursor}"), 400, "invalid")
    assert "cursor" in error["fields"]


@pytest.mark.parametrize("value", ["%00", "x%00y", "%C0%80", "a" * 300])
def test_a_bad_cohort_parameter_is_a_400_naming_it(artist, cohort, value):
    client, _ = token_client(artist, scopes=("generations:read",))
    error = assert_error_shape(client.get(f"/api/v1/credits/?cohort={value}"), 400, "invalid")
    assert "cohort" in error["fields"]


@pytest.mark.parametrize("path", ["/api/v1/generations/", "/api/v1/generations/quote/"])
@pytest.mark.parametrize("value", [True, False, [1], {"s": 1}])
def test_a_duration_must_be_a_number(artist, cohort, path, value):
    client, _ = token_client(artist, scopes=("generations:read", "generations:write"))
    body = {"prompt": "a boat", **SMALL, "duration_s": value}
    error = assert_error_shape(client.post(path, body, format="json"), 400, "invalid")
    assert "duration_s" in error["fields"]


STRING_NUMBERS = [("duration_s", "1"), ("duration_s", "1.125"), ("resolution", "64"), ("fps", "8"), ("aspect_ratio", 1)]


@pytest.mark.parametrize(
    ("path", "field", "value"),
    [("/api/v1/generations/quote/", *case) for case in STRING_NUMBERS]
    + [("/api/v1/generations/", *case) for case in [*STRING_NUMBERS, ("seed", "7")]],
)
def test_numbers_in_strings_are_refused_in_json_as_the_schema_says(artist, cohort, path, field, value):
    """Found from outside: "duration_s": "1" was accepted though the schema says number."""
    client, _ = token_client(artist, scopes=("generations:read", "generations:write"))
    body = {"prompt": "a boat", **SMALL, field: value}
    error = assert_error_shape(client.post(path, body, format="json"), 400, "invalid")
    assert field in error["fields"]


def test_form_and_query_data_are_text_and_still_read_as_numbers(artist, cohort):
    client, _ = token_client(artist, scopes=("generations:read", "generations:write"))
    form = {"prompt": "a boat", "duration_s": "1.125", "resolution": "64", "aspect_ratio": "1:1", "fps": "8"}
    assert client.post("/api/v1/generations/quote/", form).status_code == 200  # form-encoded
    assert client.post("/api/v1/generations/", form).status_code == 201
    assert client.get("/api/v1/generations/", {"page_size": "5"}).status_code == 200


@pytest.mark.parametrize("value", [{}, [], 20260101, True])
def test_a_date_or_text_that_is_not_a_string_is_a_400(db, value):
    from tests.support.clients import with_totp
    from tests.support.factories import UserFactory

    admin = UserFactory(role="admin")
    with_totp(admin)
    client = api_client_for(admin)
    for body in ({"name": "x", "slug": "x-1", "ends_on": value}, {"name": value, "slug": "x-2"}):
        error = assert_error_shape(client.post("/api/v1/cohorts/", body, format="json"), 400, "invalid")
        assert set(error["fields"]) & {"ends_on", "name"}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/generations/", '{"prompt": "a boat", "duration_s": 1.125, "resolution": 64, "fps": 8, "seed": 5.0}'),
        ("/api/v1/generations/", '{"prompt": "a boat", "duration_s": 1.125, "resolution": 64, "fps": 8, "seed": 1e3}'),
        ("/api/v1/generations/", '{"prompt": "a boat", "duration_s": 1.125, "resolution": 64.0, "fps": 8}'),
        ("/api/v1/generations/quote/", '{"prompt": "a boat", "duration_s": 1.125, "resolution": 64, "fps": 8e0}'),
    ],
)
def test_an_integer_is_written_as_one_not_as_an_integral_float(artist, cohort, path, body):
    """Found from outside: "seed": 5.0 and 1e3 were taken though the schema says integer."""
    client, _ = token_client(artist, scopes=("generations:read", "generations:write"))
    answer = client.post(path, body, content_type="application/json")
    error = assert_error_shape(answer, 400, "invalid")
    assert {"seed", "resolution", "fps"} & set(error["fields"])
    assert not Generation.objects.exists()


def test_the_schema_says_which_fields_an_outcome_needs():
    from drf_spectacular.generators import SchemaGenerator

    schemas = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    decision = schemas["DecisionInputRequest"]["allOf"][0]
    assert decision["if"]["properties"]["outcome"]["enum"] == ["reject", "request_changes"]
    assert decision["then"]["required"] == ["reason_code", "note"]
    rules = schemas["TriageInputRequest"]["allOf"]
    triage = {rule["if"]["properties"]["outcome"]["enum"][0]: rule["then"] for rule in rules}
    assert triage["duplicate"]["required"] == ["duplicate_of"] and triage["wont_fix"]["required"] == ["reason"]
