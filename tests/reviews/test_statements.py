"""Statements of reasons carry the DSA's fields (Art. 17 and the EU Transparency Database's), state the
facts, name every route of redress, and export per cohort and month in the Transparency Database's shape."""

import json
from pathlib import Path

import jsonschema
from django.urls import reverse
from django.utils import timezone

from core.errors import ApplicationError
from reviews import services
from reviews.models import ReasonCode
from tests.support.clients import api_client_for
from tests.support.people import published, rendered

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "transparency_statements.json").read_text())


def refused(team, *, title="Heron", outcome="reject", reason="likeness", note="A real person's face, frames 2-9."):
    generation = rendered(team.artist, team.cohort)
    request = services.publication_request_create(artist=team.artist, generation=generation, title=title)
    services.review_claim(reviewer=team.reviewer, request=request)
    services.review_decide(reviewer=team.reviewer, request=request, outcome=outcome, reason_code=reason, note=note)
    return request


def test_a_refusal_states_the_facts_the_ground_and_every_route_of_redress(team):
    ReasonCode.objects.filter(code="likeness").update(
        category="STATEMENT_CATEGORY_NON_CONSENSUAL_BEHAVIOUR", ground_url="https://example.org/policy#likeness"
    )
    services.review_policy_save(actor=team.admin, cohort=team.cohort, out_of_court_body="Settle-It EU, settle.example")
    request = refused(team)
    (statement,) = (
        api_client_for(team.artist).get(reverse("api-publication-request", args=[request.pk])).json()["statements"]
    )
    assert statement["facts"] == "A real person's face, frames 2-9."
    assert statement["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    assert statement["category"] == "STATEMENT_CATEGORY_NON_CONSENSUAL_BEHAVIOUR"
    assert statement["decision_visibility"] == ["DECISION_VISIBILITY_OTHER"]
    assert statement["content_type"] == ["CONTENT_TYPE_VIDEO"] and statement["source_type"] == "SOURCE_VOLUNTARY"
    assert statement["automated_detection"] is False
    assert statement["automated_decision"] == "AUTOMATED_DECISION_NOT_AUTOMATED"
    assert "DE" in statement["territorial_scope"] and statement["ground_url"].startswith("https://")
    assert statement["puid"] == str(request.generation.public_id) and statement["id"].startswith("decision-")
    routes = " ".join(statement["redress_routes"])
    assert "internal appeal" in routes and "Settle-It EU" in routes and "courts" in routes


def test_a_refusal_without_facts_is_refused(team):
    try:
        refused(team, note="  ")
    except ApplicationError as exc:
        assert exc.fields == {"note": "required to reject or request changes"}
    else:
        raise AssertionError("a negative decision without facts was accepted")


def test_the_month_exports_in_the_transparency_databases_shape(team):
    refused(team, title="One")
    refused(team, title="Two", outcome="request_changes", reason="defect", note="Frames 4-6 are black.")
    ReasonCode.objects.filter(code="defect").update(ground="DECISION_GROUND_ILLEGAL_CONTENT")
    period = f"{timezone.now():%Y-%m}"
    exported = api_client_for(team.admin).get(reverse("api-transparency-export", args=[team.cohort.pk, period]))
    assert exported.status_code == 200
    body = exported.json()
    jsonschema.validate(body, SCHEMA)
    assert len(body["statements"]) == 2  # approvals restrict nothing: they are not statements
    assert {statement["decision_ground"] for statement in body["statements"]} == {
        "DECISION_GROUND_INCOMPATIBLE_CONTENT", "DECISION_GROUND_ILLEGAL_CONTENT"
    }  # fmt: skip
    download = api_client_for(team.admin).get(reverse("transparency_export", args=[team.cohort.pk, period]))
    assert download.status_code == 200 and json.loads(download.content) == body
    assert (
        api_client_for(team.reviewer).get(reverse("api-transparency-export", args=[team.cohort.pk, period])).status_code
        == 403
    )
    assert (
        api_client_for(team.admin).get(reverse("api-transparency-export", args=[team.cohort.pk, "2026-13"])).status_code
        == 400
    )


def test_a_take_down_through_the_api_is_a_statement_in_the_export_and_appealable_through_the_api(team):
    request = published(team)
    public_id = request.publication.public_id
    take_down = reverse("api-publication-take-down", args=[public_id])
    reviewer = api_client_for(team.reviewer)
    no_facts = reviewer.post(take_down, {"reason_code": "likeness"}, format="json")
    assert no_facts.status_code == 400 and "note" in no_facts.json()["error"]["fields"]
    assert (
        reviewer.post(take_down, {"reason_code": "likeness", "note": "A real face."}, format="json").status_code == 204
    )

    artist = api_client_for(team.artist)
    statements = artist.get(reverse("api-publication-request", args=[request.pk])).json()["statements"]
    assert [(s["stage"], s["decision_visibility"]) for s in statements] == [
        ("review", []), ("take_down", ["DECISION_VISIBILITY_CONTENT_REMOVED"]),
    ]  # fmt: skip
    assert statements[1]["appeal_until"] and statements[1]["facts"] == "A real face."

    period = f"{timezone.now():%Y-%m}"
    body = api_client_for(team.admin).get(reverse("api-transparency-export", args=[team.cohort.pk, period])).json()
    jsonschema.validate(body, SCHEMA)
    (exported,) = body["statements"]  # the approval restricts nothing; the take-down does
    assert exported["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert exported["decision_facts"] == "A real face." and exported["platform_statement_id"] == statements[1]["id"]

    appealed = artist.post(
        reverse("api-publication-request-appeal", args=[request.pk]), {"message": "It is my face."}, format="json"
    )
    assert appealed.status_code == 200
    assert (appealed.json()["stage"], appealed.json()["appeal"]["message"]) == ("take_down_appeal", "It is my face.")


def test_once_appealed_the_statement_says_so_instead_of_offering_the_appeal(team):
    request = refused(team)
    artist = api_client_for(team.artist)
    assert "You may appeal once" in artist.get(reverse("publication_requests")).content.decode()
    services.appeal_create(artist=team.artist, request=request, message="It is my own face.")
    page = artist.get(reverse("publication_requests")).content.decode()
    assert "You may appeal once" not in page and "Appeal this decision" not in page
    assert "You appealed on" in page and "Another reviewer decides" in page
    (statement,) = artist.get(reverse("api-publication-request", args=[request.pk])).json()["statements"]
    assert statement["redress"].startswith("You appealed on")
