"""Kill switches take effect on the next request; every admin action leaves an audit event."""

import io

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from accounts.models import AuditEvent, Cohort, Membership
from accounts.selectors import program_switches
from accounts.services import audit_record, generation_pause_set, membership_set_status, user_suspend
from core.errors import ApplicationError
from tests.support.clients import api_client_for, sign_in, token_client, with_totp


def test_suspending_an_account_cuts_its_live_session_and_tokens(world):
    browser = Client()
    sign_in(browser, world.artist)
    assert browser.get("/tokens/").status_code == 200
    api, _ = token_client(world.artist)
    assert api.get("/api/v1/me/").status_code == 200

    staff = Client()
    sign_in(staff, world.admin)
    membership = Membership.objects.get(user=world.artist)
    response = staff.post(
        f"/staff/cohorts/{world.cohort.pk}/members/",
        {"membership": membership.pk, "action": "suspend_account", "reason": "token shared on a forum"},
    )
    assert response.status_code == 302

    page = browser.get("/tokens/")
    assert page.status_code == 403
    assert b"token shared on a forum" in page.content
    assert browser.get("/tokens/").status_code == 302  # signed out: back to the sign-in page
    refused = api.get("/api/v1/me/")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "account_suspended"
    event = AuditEvent.objects.get(action="user.suspended")
    assert (event.actor, event.subject_user, event.data["reason"]) == (
        world.admin,
        world.artist,
        "token shared on a forum",
    )


def test_suspension_needs_a_reason(world):
    staff = Client()
    sign_in(staff, world.admin)
    membership = Membership.objects.get(user=world.artist)
    response = staff.post(
        f"/staff/cohorts/{world.cohort.pk}/members/", {"membership": membership.pk, "action": "suspend"}, follow=True
    )
    assert b"Say why" in response.content
    membership.refresh_from_db()
    assert membership.status == "active"


def test_membership_suspension_is_recorded_with_reason_and_actor(world):
    membership = Membership.objects.get(user=world.artist)
    membership_set_status(actor=world.admin, membership=membership, status="suspended", reason="paused by request")
    membership.refresh_from_db()
    assert (membership.status, membership.status_reason, membership.status_set_by) == (
        "suspended",
        "paused by request",
        world.admin,
    )
    me = api_client_for(world.artist).get("/api/v1/me/").json()
    assert me["memberships"][0]["status"] == "suspended"


def test_pausing_a_cohort_shows_on_the_admin_pages(world):
    staff = Client()
    sign_in(staff, world.admin)
    staff.post(f"/staff/cohorts/{world.cohort.pk}/do/pause/")
    world.cohort.refresh_from_db()
    assert world.cohort.status == Cohort.Status.PAUSED
    assert b"Paused" in staff.get("/staff/cohorts/").content
    assert AuditEvent.objects.filter(action="cohort.status_changed", cohort=world.cohort).exists()


def test_pausing_all_generation_is_shown_and_audited(world):
    staff = Client()
    sign_in(staff, world.admin)
    staff.post("/staff/switches/", {"generation_paused": "on", "reason": "GPU maintenance"})
    assert b"Generation is paused for everyone: GPU maintenance" in staff.get("/staff/cohorts/").content
    assert AuditEvent.objects.filter(action="generation.paused", actor=world.admin).exists()
    refused = staff.post("/staff/switches/", {"generation_paused": "on", "reason": ""}, follow=True)
    assert b"Say why generation is paused" in refused.content


def test_a_pause_reason_longer_than_the_column_is_a_form_error_not_a_500(world):
    """Found from outside: the page read its reason without its form, and PostgreSQL refused the write."""
    staff = Client()
    sign_in(staff, world.admin)
    audited = AuditEvent.objects.count()
    refused = staff.post("/staff/switches/", {"generation_paused": "on", "reason": "x" * 501})
    assert refused.status_code == 400
    assert b"at most 500 characters" in refused.content and b'aria-invalid="true"' in refused.content
    assert AuditEvent.objects.count() == audited and not program_switches().generation_paused
    with pytest.raises(ApplicationError) as too_long:
        generation_pause_set(actor=world.admin, paused=True, reason="x" * 501)
    assert too_long.value.fields == {"reason": "too long"}


def test_setting_the_switch_to_what_it_already_is_changes_and_audits_nothing(world):
    staff = Client()
    sign_in(staff, world.admin)
    staff.post("/staff/switches/", {"generation_paused": "on", "reason": "GPU maintenance"})
    audited = AuditEvent.objects.count()
    again = staff.post("/staff/switches/", {"generation_paused": "on", "reason": "GPU maintenance"}, follow=True)
    assert b"Nothing changed: generation is already paused." in again.content
    assert AuditEvent.objects.count() == audited
    staff.post("/staff/switches/", {"reason": "GPU maintenance"})  # resumed: a change
    assert AuditEvent.objects.count() == audited + 1
    again = staff.post("/staff/switches/", {"reason": ""}, follow=True)
    assert b"Nothing changed: generation is already running." in again.content
    assert AuditEvent.objects.count() == audited + 1
    assert generation_pause_set(actor=world.admin, paused=False).changed_by == world.admin
    assert AuditEvent.objects.count() == audited + 1  # the service, too, writes nothing for no change


def test_audit_page_filters(world):
    audit_record(action="token.created", actor=world.artist, subject_user=world.artist)
    audit_record(action="cohort.updated", actor=world.admin, cohort=world.cohort)
    audit_record(action="cohort.updated", actor=world.admin, cohort=world.other_cohort)
    staff = Client()
    sign_in(staff, world.admin)
    page = staff.get("/staff/audit/", {"action": "cohort.", "cohort": world.cohort.pk}).content.decode()
    # In plain words, with the code beside them for search.
    assert page.count('Cohort updated <code class="muted">cohort.updated</code>') == 1
    assert "token.created" not in page
    page = staff.get("/staff/audit/", {"actor": "artist-a"}).content.decode()
    assert "token.created" in page and "cohort.updated" not in page
    assert "API token created" in page

    bad = staff.get("/staff/audit/", {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert bad.status_code == 400
    assert b"must not be before" in bad.content
    assert staff.get("/staff/audit/", {"date_from": "not a date"}).status_code == 400


def test_the_profile_lists_security_events_in_plain_words(world):
    audit_record(action="auth.second_factor_added", actor=world.artist, subject_user=world.artist)
    audit_record(action="mfa.something_new", actor=world.artist, subject_user=world.artist)
    artist = Client()
    sign_in(artist, world.artist)
    page = artist.get("/profile/").content.decode()
    assert 'Two-factor authentication turned on <code class="muted">auth.second_factor_added</code>' in page
    assert "Mfa something new" in page  # a code without its own words still reads as words


def test_artists_see_the_events_about_their_own_account(world):
    audit_record(action="token.suspended", subject_user=world.artist, data={"reason": "x"})
    audit_record(action="token.suspended", subject_user=world.other_artist, data={"reason": "y"})
    browser = Client()
    sign_in(browser, world.artist)
    page = browser.get("/profile/").content.decode()
    assert page.count("token.suspended") == 1


@pytest.mark.postgres
def test_audit_events_cannot_be_changed_or_deleted(world):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger under test is PostgreSQL's")
    user_suspend(actor=world.admin, user=world.other_artist, reason="test")
    event = AuditEvent.objects.get(action="user.suspended")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="nothing.happened")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk, action="user.suspended").exists()


def test_member_actions_with_bad_input_explain_and_change_nothing(world):
    staff = Client()
    sign_in(staff, world.admin)
    for body in ({"membership": "abc", "action": "suspend"}, {"membership": "1", "action": "explode"}, {}):
        response = staff.post(f"/staff/cohorts/{world.cohort.pk}/members/", body, follow=True)
        assert response.status_code == 200
        assert b"Choose a member and an action" in response.content
    assert (
        staff.post(
            f"/staff/cohorts/{world.cohort.pk}/members/", {"membership": 999999, "action": "suspend"}
        ).status_code
        == 404
    )


def test_reading_the_switches_never_writes_them(world):
    from accounts.models import ProgramSwitches
    from accounts.services import generation_pause_set

    staff = Client()
    sign_in(staff, world.admin)
    page = staff.get("/staff/switches/")
    assert page.status_code == 200 and b"running" in page.content
    assert not ProgramSwitches.objects.exists()  # the defaults were shown, nothing was saved
    generation_pause_set(actor=world.admin, paused=True, reason="maintenance")
    assert b"paused (maintenance)" in staff.get("/staff/switches/").content


@pytest.mark.parametrize(
    "model", ["accounts/auditevent", "generations/creditaccount", "generations/ledgerentry", "generations/generation"]
)
def test_the_operator_admin_shows_the_ledger_jobs_and_audit_log_but_cannot_change_them(world, model):
    from accounts.models import User

    operator = User.objects.create_superuser("ops@example.org", "ops-password-1")
    with_totp(operator)
    site = Client()
    sign_in(site, operator)
    audit_record(action="test.event", actor=world.admin)
    assert site.get(f"/django-admin/{model}/").status_code == 200
    assert site.get(f"/django-admin/{model}/add/").status_code == 403


def test_operators_pause_and_resume_generation_from_the_command_line(world):
    from django.core.management import CommandError, call_command

    from accounts.selectors import program_switches

    out = io.StringIO()
    with pytest.raises(CommandError, match="Say why"):
        call_command("generation_pause", "--reason", "  ", stdout=out)
    call_command("generation_pause", "--reason", "GPU maintenance", stdout=out)
    switches = program_switches()
    assert switches.generation_paused and switches.generation_paused_reason == "GPU maintenance"
    assert AuditEvent.objects.filter(action="generation.paused", data__reason="GPU maintenance").exists()
    call_command("generation_pause", "--resume", stdout=out)
    assert not program_switches().generation_paused
    assert AuditEvent.objects.filter(action="generation.resumed").exists()
    assert "Generation resumed" in out.getvalue()


def test_members_are_found_by_email_and_changed_in_bulk_all_or_none(world):
    staff = Client()
    sign_in(staff, world.admin)
    url = f"/staff/cohorts/{world.cohort.pk}/members/"
    found = staff.get(url, {"q": world.artist.email[:6]}).content.decode()
    assert world.artist.email in found and world.reviewer.email not in found
    assert "Nobody" in staff.get(url, {"q": "no-such-person"}).content.decode()

    members = list(Membership.objects.filter(cohort=world.cohort))
    ids = [m.pk for m in members]
    refused = staff.post(f"{url}bulk/", {"memberships": ids, "action": "suspend"}, follow=True)
    assert b"Say why" in refused.content  # a suspension needs a reason: nobody was suspended
    assert not Membership.objects.filter(pk__in=ids, status="suspended").exists()

    done = staff.post(f"{url}bulk/", {"memberships": ids, "action": "suspend", "reason": "season over"}, follow=True)
    assert f"{len(ids)} members: suspended".encode() in done.content
    assert Membership.objects.filter(pk__in=ids, status="suspended").count() == len(ids)
    assert AuditEvent.objects.filter(action="membership.suspended").count() == len(ids)

    nothing = staff.post(f"{url}bulk/", {"action": "reactivate"}, follow=True)
    assert b"Tick at least one member first." in nothing.content
    stranger = staff.post(f"{url}bulk/", {"memberships": [999999], "action": "reactivate"}, follow=True)
    assert b"Select a valid choice" in stranger.content  # a member of another cohort, or nobody


@pytest.mark.parametrize("reason", ["", "   "])
def test_the_service_refuses_a_pause_without_a_reason_and_changes_nothing(world, reason):
    from accounts.selectors import program_switches
    from accounts.services import generation_pause_set
    from core.errors import ApplicationError

    with pytest.raises(ApplicationError) as refused:
        generation_pause_set(actor=world.admin, paused=True, reason=reason)
    assert refused.value.fields == {"reason": "required"}
    assert not program_switches().generation_paused
    assert not AuditEvent.objects.filter(action="generation.paused").exists()
