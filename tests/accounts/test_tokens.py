"""Personal API tokens: format, storage, lifetime, scopes, last use."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts import tokens
from accounts.models import ApiToken, AuditEvent
from accounts.services import token_create, token_revoke
from core.errors import ApplicationError
from tests.support.clients import api_client_for, token_client


def test_token_format_is_recognisable_and_checksummed():
    plaintext = tokens.new_token()
    assert plaintext.startswith("vnsg_") and len(plaintext) == 5 + 30 + 6
    assert tokens.is_well_formed(plaintext)
    # One changed character breaks the checksum: scanners can reject it offline.
    broken = plaintext[:-8] + ("A" if plaintext[-8] != "A" else "B") + plaintext[-7:]
    assert not tokens.is_well_formed(broken)
    assert not tokens.is_well_formed("ghp_" + plaintext[5:])
    assert len({tokens.new_token() for _ in range(1000)}) == 1000


def test_plaintext_is_stored_nowhere(world):
    _, plaintext = token_create(user=world.artist, name="laptop", scopes=["generations:read"])
    secret_part = plaintext[len("vnsg_") + 4 :]  # everything after the visible prefix
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                assert secret_part not in " ".join(str(value) for value in row), table


def test_me_with_a_token_records_last_use(world):
    client, plaintext = token_client(world.artist, HTTP_USER_AGENT="curl/8.0")
    response = client.get("/api/v1/me/", REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["email"] == world.artist.email
    assert body["memberships"][0]["cohort"]["slug"] == world.cohort.slug
    assert body["token"]["prefix"] == tokens.visible_prefix(plaintext)
    token = ApiToken.objects.get()
    assert token.last_used_ip == "198.51.100.7"
    assert token.last_used_user_agent == "curl/8.0"
    assert token.last_used_at is not None


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Bearer nonsense", "invalid_token"),
        pytest.param("Bearer " + tokens.new_token(), "invalid_token", id="well-formed-but-unknown"),
        ("Bearer", "invalid_token"),
    ],
)
def test_bad_tokens_get_401(world, header, code):
    client = api_client_for(None)
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == code
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_is_refused_on_the_next_request(world):
    client, _ = token_client(world.artist)
    assert client.get("/api/v1/me/").status_code == 200
    token_revoke(actor=world.artist, token=ApiToken.objects.get(), reason="test")
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_revoked"


def test_expired_token_is_refused(world):
    client, _ = token_client(world.artist)
    ApiToken.objects.update(
        created_at=timezone.now() - timedelta(days=91), expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"


def test_token_lifetime_defaults_to_90_days_and_caps_at_365(world):
    token, _ = token_create(user=world.artist, name="default", scopes=["generations:read"])
    assert (token.expires_at - token.created_at).days == 90
    with pytest.raises(ApplicationError) as excinfo:
        token_create(user=world.artist, name="forever", scopes=["generations:read"], days=366)
    assert "days" in excinfo.value.fields


def test_missing_scope_is_403(world):
    client, _ = token_client(world.artist, scopes=["generations:read"])
    # Creating tokens needs a signed-in session whatever the scopes: a token cannot breed tokens.
    response = client.post("/api/v1/tokens/", {"name": "x", "scopes": ["generations:read"]}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "session_required"


def test_artists_cannot_take_the_staff_scope(world):
    client = api_client_for(world.artist)
    response = client.post("/api/v1/tokens/", {"name": "x", "scopes": ["reviews:write"]}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"scopes": "not allowed: reviews:write"}
    reviewer = api_client_for(world.reviewer)
    response = reviewer.post("/api/v1/tokens/", {"name": "x", "scopes": ["reviews:write"]}, format="json")
    assert response.status_code == 201


def test_create_through_the_api_shows_the_token_once(world):
    client = api_client_for(world.artist)
    response = client.post(
        "/api/v1/tokens/", {"name": "script", "scopes": ["generations:read"], "days": 30}, format="json"
    )
    assert response.status_code == 201
    plaintext = response.json()["token"]
    assert tokens.is_well_formed(plaintext)
    listed = client.get("/api/v1/tokens/").json()["results"]  # the API's one list shape
    assert "token" not in listed[0]
    assert listed[0]["prefix"] == plaintext[:9]
    assert AuditEvent.objects.filter(action="token.created", subject_user=world.artist).exists()


def test_owner_and_admin_revoke_others_cannot(world):
    token, _ = token_create(user=world.artist, name="x", scopes=["generations:read"])
    assert api_client_for(world.other_artist).post(f"/api/v1/tokens/{token.pk}/revoke/").status_code == 404
    assert api_client_for(world.admin).post(f"/api/v1/tokens/{token.pk}/revoke/").status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_issue_token_command_prints_the_token_once(world):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "issue_token", world.artist.email, "--scopes", "generations:read", "--days", "7", stdout=out, stderr=err
    )
    plaintext = out.getvalue().strip()
    assert tokens.is_well_formed(plaintext)
    assert "shown this once" in err.getvalue()
    token = ApiToken.objects.get()
    assert (token.expires_at - token.created_at).days == 7
    client = api_client_for(None)
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code == 200


def test_a_read_only_token_cannot_revoke_its_owners_other_tokens(world):
    reader, reader_plaintext = token_client(world.artist, scopes=("generations:read",))
    other, _ = token_create(user=world.artist, name="other", scopes=["generations:read"])
    refused = reader.post(f"/api/v1/tokens/{other.pk}/revoke/")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_scope"
    other.refresh_from_db()
    assert other.status == "active"
    manager, _ = token_client(world.artist, scopes=("tokens:write",))
    assert manager.post(f"/api/v1/tokens/{other.pk}/revoke/").status_code == 200
    own = ApiToken.objects.get(secret_hash=tokens.hash_secret(reader_plaintext))
    assert reader.post(f"/api/v1/tokens/{own.pk}/revoke/").status_code == 200  # a token may always revoke itself


def test_a_token_made_on_the_page_is_shown_once_and_a_refresh_makes_no_second(world):
    from django.test import Client

    from tests.support.clients import sign_in

    browser = Client()
    sign_in(browser, world.artist)
    created = browser.post("/tokens/", {"name": "laptop", "scopes": ["generations:read"], "days": 30})
    assert created.status_code == 302 and created["Location"] == "/tokens/"
    page = browser.get("/tokens/").content.decode()
    token = ApiToken.objects.get(user=world.artist)
    assert 'id="new-token">vnsg_' in page and token.prefix in page
    again = browser.get("/tokens/").content.decode()  # the refresh
    assert 'id="new-token"' not in again
    assert ApiToken.objects.filter(user=world.artist).count() == 1
    assert "vnsg_" not in str(dict(browser.session))  # nothing of it left in the session


def test_every_write_in_the_schema_names_the_scope_or_who_may_call_it(db):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    unnamed = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in ("post", "put", "patch", "delete")
        and not any(word in operation.get("description", "") for word in ("scope", "Who:", "Public:"))
    ]
    assert unnamed == []
