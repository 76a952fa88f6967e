"""Bad input gets a 400 naming the field (or a page saying what to fix), never a 500."""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.clients import api_client_for, sign_in

API_CASES = [
    ("post", "/api/v1/tokens/", {}, "artist", {"name", "scopes"}),
    ("post", "/api/v1/tokens/", {"name": "x", "scopes": ["nope"]}, "artist", {"scopes.0"}),
    ("post", "/api/v1/tokens/", {"name": "x", "scopes": ["generations:read"], "days": 0}, "artist", {"days"}),
    ("post", "/api/v1/tokens/", {"name": "x", "scopes": "generations:read"}, "artist", {"scopes"}),
    ("post", "/api/v1/tokens/", {"name": "  ", "scopes": ["generations:read"]}, "artist", {"name"}),
    ("post", "/api/v1/tokens/revoke-exposed/", {}, "anonymous", {"token"}),
    ("post", "/api/v1/cohorts/", {"name": "x"}, "admin", {"slug"}),
    ("post", "/api/v1/cohorts/", {"name": "x", "slug": "has spaces"}, "admin", {"slug"}),
    ("post", "/api/v1/cohorts/", {"name": "x", "slug": "x", "capacity": -1}, "admin", {"capacity"}),
    ("post", "/api/v1/cohorts/", {"name": "x", "slug": "x", "status": "melted"}, "admin", {"status"}),
    ("post", "/api/v1/cohorts/", {"name": "x", "slug": "x", "starts_on": "2026-02-01", "ends_on": "2026-01-01"},
     "admin", {"ends_on"}),
    ("patch", "/api/v1/cohorts/{cohort}/", {"starts_on": "yesterday"}, "admin", {"starts_on"}),
    ("post", "/api/v1/cohorts/{cohort}/invitations/", {"emails": []}, "admin", {"emails"}),
    ("post", "/api/v1/cohorts/{cohort}/invitations/", {"emails": ["a@example.org"], "role": "boss"}, "admin", {"role"}),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "role", "fields"), API_CASES)
def test_api_names_the_bad_field(world, method, path, body, role, fields):
    client = api_client_for(None if role == "anonymous" else getattr(world, role))
    response = getattr(client, method)(path.format(cohort=world.cohort.pk), body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == fields
    assert error["message"]


def test_duplicate_slug_is_a_conflict_not_a_500(world):
    response = api_client_for(world.admin).post(
        "/api/v1/cohorts/", {"name": "x", "slug": world.cohort.slug}, format="json"
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict" and error["fields"] == {"slug": "taken"}


def test_a_bad_leak_threshold_names_its_field(world):
    client = api_client_for(world.admin)
    response = client.post("/api/v1/cohorts/", {"name": "x", "slug": "new-one", "leak_max_addresses": 0}, format="json")
    assert response.status_code == 400 and set(response.json()["error"]["fields"]) == {"leak_max_addresses"}
    patched = client.patch(f"/api/v1/cohorts/{world.cohort.pk}/", {"leak_max_addresses": 0}, format="json")
    assert patched.status_code == 400 and set(patched.json()["error"]["fields"]) == {"leak_max_addresses"}


def test_malformed_json(world):
    client = api_client_for(world.artist)
    response = client.post("/api/v1/tokens/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


def test_unknown_api_path_and_method(world):
    client = api_client_for(world.artist)
    missing = client.get("/api/v1/nothing-here/")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong = client.delete("/api/v1/me/")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    body=st.dictionaries(
        st.sampled_from(["name", "scopes", "days", "x"]),
        st.none() | st.integers() | st.text(max_size=20) | st.lists(st.text(max_size=10), max_size=3),
    )
)
def test_token_creation_never_500s(world, body):
    response = api_client_for(world.artist).post("/api/v1/tokens/", body, format="json")
    assert response.status_code in (201, 400), response.content


def test_token_page_says_what_to_fix(world):
    browser = Client()
    sign_in(browser, world.artist)
    response = browser.post("/tokens/", {"name": "", "days": 999})
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required" in page
    assert "less than or equal to 365" in page


def test_cohort_form_says_what_to_fix(world):
    browser = Client()
    sign_in(browser, world.admin)
    response = browser.post(
        "/staff/cohorts/",
        {"name": "C", "slug": world.cohort.slug, "status": "active", "capacity": "lots",
         "leak_max_addresses": 5, "leak_address_window_minutes": 10, "leak_max_submissions_per_minute": 30},
    )  # fmt: skip
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a whole number" in page
    assert "already exists" in page


def test_consents_and_terms(world):
    from accounts.models import ConsentRecord, TermsAcceptance
    from accounts.services import terms_publish

    browser = Client()
    sign_in(browser, world.artist)
    assert api_client_for(world.artist).get("/api/v1/me/").json()["consents"] == {
        "training_use": False,
        "credit_name": "",
        "contact": False,
    }
    browser.post("/profile/", {"training_use": "on", "credit_name": "Ari", "contact": ""})
    browser.post("/profile/", {"credit_name": "Ari K."})
    history = list(
        ConsentRecord.objects.filter(user=world.artist).order_by("recorded_at", "id").values_list("kind", "value")
    )
    assert history == [
        ("training_use", True),
        ("credit_name", "Ari"),
        ("training_use", False),
        ("credit_name", "Ari K."),
    ]
    assert api_client_for(world.artist).get("/api/v1/me/").json()["consents"]["credit_name"] == "Ari K."

    terms = terms_publish(actor=world.admin, cohort=world.cohort, body="Be kind.")
    assert api_client_for(world.artist).get("/api/v1/me/").json()["terms_pending"] == [
        {"cohort": world.cohort.slug, "version": 1}
    ]
    assert b"Be kind." in browser.get("/terms/").content
    browser.post("/terms/", {"terms_id": terms.pk})
    assert TermsAcceptance.objects.filter(user=world.artist, terms=terms).exists()
    assert api_client_for(world.artist).get("/api/v1/me/").json()["terms_pending"] == []
    refused = browser.post("/terms/", {"terms_id": "abc"}, follow=True)
    assert b"not waiting for your acceptance" in refused.content
