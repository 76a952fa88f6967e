"""The Django admin is no back door: a matrix over every registered model admin, as an operator with every
power (superuser, second factor). Only configuration with no person behind it may be changed there, and
each change is audited (tests/generations/test_housekeeping.py); everything else is read-only, shows no
secret and no artist's prompt."""

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.admin_bases import SECRET_FIELDS, AuditedAdmin
from accounts.models import ApiToken, User
from accounts.services import token_create
from generations.models import PromptRule, QuotaOverride
from tests.support.clients import sign_in, with_totp
from tests.support.people import rendered

EDITABLE = {PromptRule}  # blocked prompt terms: a list of words, no person's rows
REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.fixture
def operator(db):
    user = User.objects.create_superuser("ops@example.org", "ops-password-1", display_name="Ops")
    with_totp(user)
    return user


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=[m._meta.label for m, _ in REGISTERED])
def test_every_model_admin_is_read_only_or_audited_and_hides_secrets(operator, model, model_admin):
    request = RequestFactory().get("/django-admin/")
    request.user = operator
    if model in EDITABLE:
        assert isinstance(model_admin, AuditedAdmin)
    else:
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
        assert not model_admin.get_actions(request)  # no bulk delete either
    assert not SECRET_FIELDS & set(model_admin.get_fields(request))
    if model._meta.label == "mfa.Authenticator":
        assert "data" not in model_admin.get_fields(request)  # the TOTP secret
    assert not {"prompt", "negative_prompt"} & set(model_admin.get_fields(request))
    assert not {"prompt", "negative_prompt"} & {field.split("__")[-1] for field in model_admin.search_fields}


def test_through_the_site_a_quota_override_or_a_revoked_token_cannot_be_changed(team, operator):
    site = Client()
    sign_in(site, operator)
    added = site.post(
        "/django-admin/generations/quotaoverride/add/",
        {"user": operator.pk, "cohort": team.cohort.pk, "credits_per_period": 100000},
    )
    assert added.status_code == 403 and not QuotaOverride.objects.exists()

    token, _ = token_create(user=team.artist, name="laptop", scopes=["generations:read"])
    ApiToken.objects.filter(pk=token.pk).update(webhook_secret="whsec-do-not-show-me")
    from accounts.services import token_revoke

    token_revoke(actor=team.artist, token=token, reason="lost")
    url = reverse("admin:accounts_apitoken_change", args=[token.pk])
    page = site.get(url).content.decode()
    assert "whsec-do-not-show-me" not in page and token.secret_hash not in page
    changed = site.post(url, {"revoked_at": "", "expires_at_0": "2099-01-01", "expires_at_1": "00:00:00"})
    assert changed.status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is not None

    user_page = site.get(reverse("admin:accounts_user_change", args=[team.artist.pk])).content.decode()
    assert team.artist.password not in user_page
    assert site.post(reverse("admin:accounts_user_change", args=[team.artist.pk]), {"role": "admin"}).status_code == 403
    team.artist.refresh_from_db()
    assert team.artist.role == "artist"


def test_no_prompt_is_read_in_the_admin(team, operator):
    clip = rendered(team.artist, team.cohort, prompt="a private heron at dawn")
    site = Client()
    sign_in(site, operator)
    for url in (
        reverse("admin:generations_generation_changelist"),
        reverse("admin:generations_generation_changelist") + "?q=heron",
        reverse("admin:generations_generation_change", args=[clip.pk]),
    ):
        answer = site.get(url)
        assert answer.status_code == 200 and "private heron" not in answer.content.decode(), url

