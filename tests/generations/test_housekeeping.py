"""Beat tasks, the start-up check, demo credits, deleting and staff cancelling."""

import io
from datetime import timedelta

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import AuditEvent, Membership, User
from generations import services, tasks
from generations.checks import broker_outlasts_the_longest_job
from generations.models import CreditAccount, Generation, LedgerEntry, PromptRule
from tests.support.clips import SMALL
from tests.support.factories import MembershipFactory

pytestmark = pytest.mark.usefixtures("wake_ups")


def test_refill_tops_up_once_per_period(artist, cohort):
    account = services.credit_account_open(user=artist, cohort=cohort)
    services.generation_submit(artist=artist, cohort=cohort, prompt="a", **SMALL)
    tasks.refill_credits()
    tasks.refill_credits()
    assert LedgerEntry.objects.filter(account=account, kind="grant").count() == 1  # the period is not over
    CreditAccount.objects.filter(pk=account.pk).update(period_ends_at=timezone.now() - timedelta(seconds=1))
    tasks.refill_credits()
    tasks.refill_credits()
    account.refresh_from_db()
    grants = list(LedgerEntry.objects.filter(account=account, kind="grant").values_list("amount", flat=True))
    assert len(grants) == 2 and account.available == 100  # topped up to the allowance, not doubled
    assert account.period_ends_at > timezone.now() + timedelta(days=6)


def test_visibility_timeout_must_outlast_the_longest_job(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
    settings.GENERATION_TIME_LIMIT_SECONDS = 3600
    [error] = broker_outlasts_the_longest_job(None)
    assert error.id == "generations.E001"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 7200}
    assert broker_outlasts_the_longest_job(None) == []
    assert not [m for m in run_checks() if m.id == "generations.E001"]


def test_seed_demo_gives_the_demo_artists_credits(db):
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    balances = dict(CreditAccount.objects.values_list("user__email", "available"))
    # 200 each, and 20 more for the demo artist's confirmed high-severity bug report (feedback's demo step).
    assert balances == {"artist@example.com": 220, "artist2@example.com": 200}
    artist = User.objects.get(email="artist@example.com")
    generation, _ = services.generation_submit(
        artist=artist, cohort=artist.memberships.get().cohort, prompt="first clip", **SMALL
    )
    assert generation.status == "queued"


def test_delete_removes_the_files_and_keeps_the_record(artist, cohort):
    generation = services.generation_submit(artist=artist, cohort=cohort, prompt="a", **SMALL)[0]
    tasks.render_next(generation.pk)
    generation.refresh_from_db()
    storage, name = generation.video.storage, generation.video.name
    assert storage.exists(name)
    services.generation_delete(actor=artist, generation=generation)
    generation.refresh_from_db()
    assert not storage.exists(name) and generation.deleted_at and not generation.video
    assert LedgerEntry.objects.filter(generation=generation, kind="charge").exists()


def test_reviewers_cancel_in_their_cohorts_only(artist, cohort):
    reviewer = MembershipFactory(cohort=cohort, role=Membership.Role.REVIEWER, user__role="reviewer").user
    outsider = MembershipFactory(role=Membership.Role.REVIEWER, user__role="reviewer").user
    generation = services.generation_submit(artist=artist, cohort=cohort, prompt="a", **SMALL)[0]
    from tests.support.clients import api_client_for, with_totp

    with_totp(outsider)
    assert api_client_for(outsider).post(f"/api/v1/generations/{generation.public_id}/cancel/").status_code == 404
    # Without two-factor the reviewer's staff powers are off: the job is not theirs to see.
    assert api_client_for(reviewer).post(f"/api/v1/generations/{generation.public_id}/cancel/").status_code == 404
    with_totp(reviewer)
    response = api_client_for(reviewer).post(f"/api/v1/generations/{generation.public_id}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "canceled"
    assert AuditEvent.objects.filter(action="generation.canceled", actor=reviewer, subject_user=artist).exists()
    assert Generation.objects.get().status == "canceled"


def test_operators_adjust_credits_once_per_key(artist, cohort):
    out = io.StringIO()
    call_command("adjust_credits", artist.email, cohort.slug, "25", "--note", "bug bounty", "--key", "k1", stdout=out)
    call_command("adjust_credits", artist.email, cohort.slug, "25", "--note", "bug bounty", "--key", "k1", stdout=out)
    assert "125 available" in out.getvalue().splitlines()[-1]
    with pytest.raises(CommandError, match="you have 125 available"):
        call_command("adjust_credits", artist.email, cohort.slug, "-1000", "--note", "oops", stdout=out)


@pytest.mark.parametrize(("amount", "note", "field"), [(0, "thanks", "amount"), (5, "  ", "note")])
def test_every_credit_adjustment_moves_credits_and_says_why(artist, cohort, admin, amount, note, field):
    """The rule lives in the service, so the staff page, the command and the contribution ledger all keep it."""
    from core.errors import ApplicationError

    with pytest.raises(ApplicationError) as refused:
        services.credits_adjust_by_staff(actor=admin, user=artist, cohort=cohort, amount=amount, note=note)
    assert field in refused.value.fields
    with pytest.raises(CommandError, match="other than zero" if field == "amount" else "Say why"):
        call_command("adjust_credits", artist.email, cohort.slug, str(amount), "--note", note, stdout=io.StringIO())
    assert not LedgerEntry.objects.filter(kind="adjustment").exists()


def test_staff_writes_outside_the_pages_are_audited(artist, cohort, admin):
    out = io.StringIO()
    call_command("adjust_credits", artist.email, cohort.slug, "5", "--note", "thanks", "--key", "k9", stdout=out)
    call_command("adjust_credits", artist.email, cohort.slug, "5", "--note", "thanks", "--key", "k9", stdout=out)
    event = AuditEvent.objects.get(action="credits.adjusted")  # once, as the ledger entry
    assert event.subject_user == artist and event.data["amount"] == 5 and event.cohort == cohort

    from django.test import Client

    from tests.support.clients import sign_in

    admin.is_staff = admin.is_superuser = True
    admin.save()
    site = Client()
    sign_in(site, admin)
    added = site.post(
        "/django-admin/generations/promptrule/add/",
        {"pattern": "famous person", "reason": "likeness", "cohort": "", "created_at_0": "2026-11-26",
         "created_at_1": "12:00:00"},
    )  # fmt: skip
    assert added.status_code == 302, added.content[:500]
    rule = PromptRule.objects.get()
    created = AuditEvent.objects.get(action="prompt_rule.created")
    assert created.actor == admin and created.data["fields"]["pattern"] == "famous person"
    site.post(f"/django-admin/generations/promptrule/{rule.pk}/delete/", {"post": "yes"})
    assert not PromptRule.objects.exists()
    assert AuditEvent.objects.filter(action="prompt_rule.deleted", actor=admin).exists()
    # Quotas have rules and a page of their own (/staff/cohorts/<id>/quota/): the admin only shows them.
    policy = cohort.quota_policy
    refused = site.post(
        f"/django-admin/generations/quotapolicy/{policy.pk}/change/", {"cohort": cohort.pk, "credits_per_period": 250}
    )
    assert refused.status_code == 403
    policy.refresh_from_db()
    assert policy.credits_per_period != 250
