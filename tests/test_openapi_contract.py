"""The served schema is a contract tools can hold us to: valid OpenAPI 3.1, truthful about what every
answer contains, and complete enough for a generated client to page, poll and download."""

from openapi_spec_validator import OpenAPIV31SpecValidator

from tests.support.openapi import served_schema

RESPONSES = ("Generation", "GenerationDetail", "Me", "StaffAccess", "Statement", "Contribution", "TokenOutput")


def test_the_schema_is_valid_openapi():
    assert [error.message for error in OpenAPIV31SpecValidator(served_schema()).iter_errors()] == []


def test_every_paginated_list_takes_a_cursor_and_is_named_as_a_list():
    schema = served_schema()
    pages = {name for name, component in schema["components"]["schemas"].items()
             if {"next", "previous", "results"} <= set(component.get("properties", {}))}  # fmt: skip
    listed = 0
    for path, operations in schema["paths"].items():
        get = operations.get("get", {})
        answer = get.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {})
        if answer.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1] in pages:
            listed += 1
            assert "cursor" in {parameter["name"] for parameter in get["parameters"]}, path
            assert get["operationId"].endswith("_list"), path
    assert listed >= 10


def test_what_is_always_in_an_answer_is_required_and_typed():
    components = served_schema()["components"]["schemas"]
    for name in RESPONSES:
        component = components[name]
        assert set(component["required"]) == set(component["properties"]), name
    generation = components["Generation"]["properties"]
    assert generation["estimated_start"]["format"] == "date-time" and generation["retry_of"]["format"] == "uuid"
    assert generation["callback_url"]["type"] == "string"  # one type: "" matched two branches of a oneOf
    assert served_schema()["servers"][0]["url"].startswith("http")


def test_enum_members_get_names_a_generated_client_can_use():
    aspect = served_schema()["components"]["schemas"]["AspectRatioEnum"]
    assert aspect["x-enum-varnames"] == ["ASPECT_RATIO_1_1", "ASPECT_RATIO_16_9", "ASPECT_RATIO_9_16"]
