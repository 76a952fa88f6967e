"""The served OpenAPI schema as a contract: every API response a test checks must match it (openapi-core)."""

from __future__ import annotations

import functools

from drf_spectacular.generators import SchemaGenerator
from openapi_core import OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse


@functools.cache
def served_schema() -> dict:
    """What /api/schema/ serves, made once per test process."""
    return SchemaGenerator().get_schema(request=None, public=True)


@functools.cache
def _openapi() -> OpenAPI:
    import json

    spec = json.loads(json.dumps(served_schema(), default=str))
    spec["servers"] = [{"url": "/"}]  # the test client's host is not the site's public one
    return OpenAPI.from_dict(spec)


class _AnsweredRequest(DjangoOpenAPIRequest):
    """The request side of a response check: which operation answered. Its body is not needed (and may
    be unreadable: too large, or already streamed as a multipart upload)."""

    @property
    def body(self) -> bytes:
        return b""

    @property
    def content_type(self) -> str:
        return "application/json"


def matches_schema(response):
    """Raise (with openapi-core's reasons) unless ``response`` (a test client's) is what the schema says
    its operation answers; return it, so calls read ``matches_schema(client.get(...)).json()``."""
    _openapi().validate_response(_AnsweredRequest(response.wsgi_request), DjangoOpenAPIResponse(response))
    return response


def _checked_request(original):
    """Client.request, with every /api/v1/ JSON answer checked against the served schema."""

    @functools.wraps(original)
    def request(self, **request):
        response = original(self, **request)
        is_json = response.get("Content-Type", "").startswith("application/json")
        # An unknown path (404) or method (405) has no operation to hold it to; test_api_schema and
        # test_bad_input check those answers' shape.
        has_operation = response.wsgi_request.resolver_match is not None and response.status_code != 405
        api = request.get("PATH_INFO", "").startswith("/api/v1/")
        if api and is_json and has_operation and response.status_code < 500:
            matches_schema(response)
        return response

    return request


def check_every_api_response() -> None:
    """From now on every test client's API call is held to the schema (tests/conftest.py turns it on)."""
    from django.test import Client

    if not getattr(Client.request, "checks_the_schema", False):
        Client.request = _checked_request(Client.request)
        Client.request.checks_the_schema = True
