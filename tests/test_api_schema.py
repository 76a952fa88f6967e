"""Schemathesis against the live schema: every operation, every default check, 50 examples each."""

import uuid

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode

from accounts.models import ApiToken, Membership, User
from accounts.services import token_create
from config.wsgi import application
from core.errors import ApplicationError
from generations import pricing
from generations.demo import demo_rendered_clip
from generations.models import Generation, QuotaPolicy
from reviews.models import ReasonCode
from tests.support.clients import with_totp
from tests.support.factories import CohortFactory, MembershipFactory

pytestmark = [pytest.mark.slow]

# The schema as the running site serves it; every example is a request through the same WSGI application.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture
def caller(db, settings):
    """A program admin with two-factor who is also an artist with credits, so every operation can succeed.
    Requests keep the database connection (as Django's test client does): it holds the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    settings.API_RATE_PER_TOKEN_PER_MINUTE = settings.API_RATE_PER_USER_PER_MINUTE = 10**6
    cohort = CohortFactory(slug="schema-cohort", leak_max_submissions_per_minute=10**6)
    QuotaPolicy.objects.create(cohort=cohort, credits_per_period=10**8, max_queued_per_artist=10**6)
    admin = MembershipFactory(
        cohort=cohort, role=Membership.Role.ARTIST, user__role=User.Role.ADMIN, user__email="schema@example.org"
    ).user
    with_totp(admin)
    ReasonCode.objects.create(code="defect", label="Defect", description="Broken.", policy_clause="3.1")
    demo_rendered_clip(admin, cohort, "a clip to publish", hue=0.5)
    yield admin
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _offered(body: dict) -> bool:
    """Whether the preset offers this combination (resolution with aspect, duration at the frame rate): the
    one rule a JSON schema cannot state, checked by the server's own pricing plan."""
    try:
        pricing.plan(
            preset_name=body.get("preset", "tiny"), duration_s=body["duration_s"], resolution=body["resolution"],
            aspect_ratio=body.get("aspect_ratio", "1:1"), fps=body.get("fps"),
        )  # fmt: skip
    except ApplicationError:
        return False
    return True


@schema.hook
def filter_case(context, case):
    """Positive examples keep the rules the schema cannot state; negative ones are left as generated."""
    positive = case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE
    if positive and case.query and "cursor" in case.query:
        return False  # a cursor is opaque: only the server's own next and previous links carry a valid one
    if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE or not isinstance(case.body, dict):
        return True
    path, body = case.operation.path, case.body
    if path in ("/api/v1/generations/", "/api/v1/generations/quote/") and case.method == "POST":
        # A callback URL must resolve to a public address: no generated one does (see test_webhooks.py).
        return (
            body.get("cohort", "schema-cohort") == "schema-cohort" and _offered(body) and not body.get("callback_url")
        )
    if path.startswith("/api/v1/cohorts/") and body.get("starts_on") and body.get("ends_on"):
        return str(body["ends_on"]) >= str(body["starts_on"])
    if path == "/api/v1/reports/" and case.method == "POST":  # in the caller's cohort; a bug says how bad
        return (
            body.get("cohort", "schema-cohort") == "schema-cohort"
            and (body.get("kind") != "bug" or body.get("severity"))
            and not body.get("generations")
        )
    if path.endswith("/decision/"):  # a refusal names a published reason
        return body.get("outcome") == "approve" or body.get("reason_code") == "defect"
    return True


def fresh_idempotency_key(case) -> None:
    """A positive submission is a new request: examples that happen to share a key would be refused as a
    key reused for another request (422), a rule no schema states."""
    positive = case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE
    if positive and case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = uuid.uuid4().hex


def name_own_clip(case) -> None:
    """A positive request to publish names the caller's own rendered clip (a random id names nobody's)."""
    positive = case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE
    if positive and case.operation.path == "/api/v1/publication-requests/" and isinstance(case.body, dict):
        clip = Generation.objects.get(artist__email="schema@example.org", status="succeeded")
        case.body["generation"] = str(clip.public_id)


@schema.parametrize()
@hypothesis_settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_schema(case, caller):
    _, plaintext = token_create(
        user=caller, name="schemathesis", scopes=list(ApiToken.Scope.values), second_factor=True
    )
    name_own_clip(case)
    fresh_idempotency_key(case)
    case.call_and_validate(headers={"Authorization": f"Bearer {plaintext}"})
