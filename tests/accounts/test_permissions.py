"""Who may open which page and call which endpoint, for every kind of person."""

import pytest
from allauth.mfa.models import Authenticator

from accounts.services import token_create
from tests.support.clients import api_client_for

ROLES = ["anonymous", "artist", "other_artist", "reviewer", "other_reviewer", "admin"]
EVERYONE_SIGNED_IN = {"anonymous": "login", **{role: 200 for role in ROLES[1:]}}
ADMINS_ONLY_PAGE = {"anonymous": "login", "admin": 200, **{role: 403 for role in ROLES[1:5]}}
ADMINS_ONLY_API = {"anonymous": 401, "admin": 200, **{role: 403 for role in ROLES[1:5]}}

# (method, path template, body, expected by role)
MATRIX = [
    ("get", "/", None, {role: 200 for role in ROLES}),
    ("get", "/tokens/", None, EVERYONE_SIGNED_IN),
    ("get", "/profile/", None, EVERYONE_SIGNED_IN),
    ("get", "/terms/", None, EVERYONE_SIGNED_IN),
    ("get", "/notifications/", None, EVERYONE_SIGNED_IN),
    ("get", "/staff/cohorts/", None, ADMINS_ONLY_PAGE),
    ("get", "/staff/cohorts/{cohort}/", None, ADMINS_ONLY_PAGE),
    ("get", "/staff/cohorts/{cohort}/members/", None, ADMINS_ONLY_PAGE),
    ("get", "/staff/cohorts/{cohort}/invitations/", None, ADMINS_ONLY_PAGE),
    ("get", "/staff/audit/", None, ADMINS_ONLY_PAGE),
    ("get", "/staff/switches/", None, ADMINS_ONLY_PAGE),
    ("post", "/staff/cohorts/{cohort}/do/pause/", {}, {**ADMINS_ONLY_PAGE, "admin": 302}),
    ("post", "/staff/cohorts/{cohort}/do/revoke_tokens/", {}, {**ADMINS_ONLY_PAGE, "admin": 302}),
    ("post", "/staff/cohorts/{cohort}/members/bulk/", {"action": "suspend"}, {**ADMINS_ONLY_PAGE, "admin": 302}),
    ("get", "/staff/cohorts/{cohort}/quota/", None, ADMINS_ONLY_PAGE),
    ("get", "/staff/", None, ADMINS_ONLY_PAGE),
    ("post", "/staff/switches/", {"generation_paused": "on", "reason": "x"}, {**ADMINS_ONLY_PAGE, "admin": 302}),
    ("get", "/api/v1/me/", None, {**EVERYONE_SIGNED_IN, "anonymous": 401}),
    ("get", "/api/v1/tokens/", None, {**EVERYONE_SIGNED_IN, "anonymous": 401}),
    (
        "post", "/api/v1/tokens/", {"name": "t", "scopes": ["generations:read"]},
        {"anonymous": 401, **{role: 201 for role in ROLES[1:]}},
    ),
    (
        "post", "/api/v1/tokens/{artist_token}/revoke/", None,
        {"anonymous": 401, "artist": 200, "other_artist": 404, "reviewer": 404, "other_reviewer": 404, "admin": 200},
    ),
    (
        "post", "/api/v1/tokens/{artist_token}/reactivate/", None,
        {"anonymous": 401, "artist": 400, "other_artist": 404, "reviewer": 404, "other_reviewer": 404, "admin": 403},
    ),
    ("post", "/api/v1/tokens/revoke-exposed/", {"token": "vnsg_x"}, {role: 200 for role in ROLES}),
    ("get", "/api/v1/cohorts/", None, ADMINS_ONLY_API),
    ("post", "/api/v1/cohorts/", {"name": "New", "slug": "new-one"}, {**ADMINS_ONLY_API, "admin": 201}),
    ("get", "/api/v1/cohorts/{cohort}/", None, ADMINS_ONLY_API),
    ("patch", "/api/v1/cohorts/{cohort}/", {"status": "paused"}, ADMINS_ONLY_API),
    ("get", "/api/v1/cohorts/{cohort}/invitations/", None, ADMINS_ONLY_API),
    ("post", "/api/v1/cohorts/{cohort}/invitations/", {"emails": ["x@example.org"]}, {**ADMINS_ONLY_API, "admin": 201}),
]  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "body", "expected"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_permission_matrix(world, role, method, path, body, expected):
    artist_token, _ = token_create(user=world.artist, name="artist's", scopes=["generations:read"])
    url = path.format(cohort=world.cohort.pk, artist_token=artist_token.pk)
    client = api_client_for(None if role == "anonymous" else getattr(world, role))
    if url.startswith("/api/"):
        response = getattr(client, method)(url, body, format="json")
    else:
        response = getattr(client, method)(url, body or {})
    want = expected[role]
    if want == "login":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], response.status_code
    else:
        assert response.status_code == want, getattr(response, "content", b"")[:300]
    if url.startswith("/api/") and response.status_code >= 400:
        assert set(response.json()["error"]) >= {"code", "message", "fields"}


def test_staff_pages_require_two_factor(world):
    Authenticator.objects.filter(user=world.admin).delete()
    client = api_client_for(world.admin)
    response = client.get("/staff/cohorts/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    api = client.get("/api/v1/cohorts/")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "mfa_required"
