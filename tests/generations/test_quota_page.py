"""Admins edit a cohort's quota policy, per-artist overrides and credit grants on one page, audited."""

import uuid

import pytest
from django.test import Client

from accounts.models import AuditEvent
from generations import services
from generations.models import CreditAccount, QuotaOverride, QuotaPolicy
from tests.support.clients import sign_in
from tests.support.factories import UserFactory


@pytest.fixture
def desk(admin) -> Client:
    client = Client()
    sign_in(client, admin)
    return client


def test_the_policy_is_saved_audited_and_bad_values_say_what_to_fix(desk, cohort):
    url = f"/staff/cohorts/{cohort.pk}/quota/"
    assert desk.get(url).status_code == 200
    sent = {
        "form": "policy", "policy-credits_per_period": "250", "policy-period_days": "14",
        "policy-max_running_per_artist": "2", "policy-max_queued_per_artist": "8", "policy-weight": "1.5",
    }  # fmt: skip
    assert desk.post(url, sent).status_code == 302
    policy = QuotaPolicy.objects.get(cohort=cohort)
    assert (policy.credits_per_period, policy.period_days, policy.weight) == (250, 14, 1.5)
    event = AuditEvent.objects.get(action="quota.policy_changed")
    assert event.data["credits_per_period"][1] == 250

    # Styles the cohort's artists may pick: those the presets offer, as checkboxes.
    page = desk.get(url).content.decode()
    assert 'value="ink"' in page and 'value="grain"' in page
    assert desk.post(url, {**sent, "policy-allowed_styles": ["ink"]}).status_code == 302
    assert QuotaPolicy.objects.get(cohort=cohort).allowed_styles == ["ink"]
    assert AuditEvent.objects.filter(action="quota.policy_changed").order_by("-id").first().data["allowed_styles"] == [
        [],
        ["ink"],
    ]
    unknown = desk.post(url, {**sent, "policy-allowed_styles": ["neon"]})
    assert unknown.status_code == 400 and QuotaPolicy.objects.get(cohort=cohort).allowed_styles == ["ink"]

    bad = desk.post(url, {**sent, "policy-weight": "0", "policy-period_days": "-3"})
    page = bad.content.decode()
    assert bad.status_code == 400 and "above 0" in page and "Ensure this value is greater than or equal to 0" in page
    assert QuotaPolicy.objects.get(cohort=cohort).weight == 1.5  # nothing half-written


def test_an_override_and_a_grant_reach_the_artist(desk, cohort, artist):
    url = f"/staff/cohorts/{cohort.pk}/quota/"
    response = desk.post(
        url, {"form": "override", "override-artist": artist.pk, "override-max_queued_per_artist": "20"}
    )
    assert response.status_code == 302
    override = QuotaOverride.objects.get(user=artist, cohort=cohort)
    assert override.max_queued_per_artist == 20 and override.credits_per_period is None

    key = uuid.uuid4().hex
    grant = {"form": "grant", "grant-artist": artist.pk, "grant-amount": "40", "grant-note": "Thanks for the bug hunt",
             "grant-key": key}  # fmt: skip
    before = services.credit_account_open(user=artist, cohort=cohort).available
    assert desk.post(url, grant).status_code == 302
    assert desk.post(url, grant).status_code == 302  # a double submit grants once
    account = CreditAccount.objects.get(user=artist, cohort=cohort)
    assert account.available == before + 40
    assert account.entries.filter(kind="adjustment", note="Thanks for the bug hunt").count() == 1
    assert AuditEvent.objects.filter(action="credits.adjusted", subject_user=artist).count() == 1

    too_much = desk.post(url, {**grant, "grant-key": uuid.uuid4().hex, "grant-amount": "-100000"})
    assert too_much.status_code == 400 and f"you have {before + 40} available" in too_much.content.decode()
    assert CreditAccount.objects.get(pk=account.pk).available == before + 40  # refused: nothing taken

    stranger = UserFactory()  # not an artist of this cohort: cannot be chosen
    refused = desk.post(url, {**grant, "grant-key": uuid.uuid4().hex, "grant-artist": stranger.pk})
    assert refused.status_code == 400 and "Select a valid choice" in refused.content.decode()

    for nonsense in ("abc", "", "99999999999999999999"):
        assert desk.post(url, {"form": "remove_override", "override_id": nonsense}).status_code == 404
    response = desk.post(url, {"form": "remove_override", "override_id": override.pk})
    assert response.status_code == 302 and not QuotaOverride.objects.filter(pk=override.pk).exists()


def test_only_admins_reach_it(cohort, artist):
    client = Client()
    sign_in(client, artist)
    assert client.get(f"/staff/cohorts/{cohort.pk}/quota/").status_code == 403


def test_the_relaxed_lane_is_opened_on_the_quota_page_with_its_price_and_caps(desk, cohort):
    url = f"/staff/cohorts/{cohort.pk}/quota/"
    assert "Relaxed lane" in desk.get(url).content.decode()
    sent = {
        "form": "policy", "policy-credits_per_period": "100", "policy-period_days": "7",
        "policy-max_running_per_artist": "1", "policy-max_queued_per_artist": "5", "policy-weight": "1",
        "policy-relaxed_lane": "on", "policy-relaxed_cost_percent": "25", "policy-relaxed_max_queued_per_artist": "2",
        "policy-relaxed_per_day": "10",
    }  # fmt: skip
    assert desk.post(url, sent).status_code == 302
    policy = QuotaPolicy.objects.get(cohort=cohort)
    assert (policy.relaxed_lane, policy.relaxed_cost_percent, policy.relaxed_per_day) == (True, 25, 10)
    assert AuditEvent.objects.get(action="quota.policy_changed").data["relaxed_lane"] == [False, True]
    refused = desk.post(url, {**sent, "policy-relaxed_cost_percent": "150"})
    assert refused.status_code == 400 and "At most 100" in refused.content.decode()
