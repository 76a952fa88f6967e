"""The review policy belongs to reviews: migrated from the cohort row with every value kept, changed
through one service (admins only, checked, audited) from the staff cohort page and the API."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from accounts.models import AuditEvent
from core.errors import ApplicationError
from reviews import selectors, services
from reviews.models import ReviewPolicy
from tests.support.clients import api_client_for, sign_in

BEFORE = [("accounts", "0006_outbound_email"), ("reviews", "0006_signing_attempts")]
AFTER = [("accounts", "0007_review_settings_moved_to_reviews"), ("reviews", "0007_review_policy")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_cohorts_review_settings():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Cohort = old.get_model("accounts", "Cohort")
    strict = Cohort.objects.create(name="Strict", slug="strict", review_deadline_hours=24, appeal_window_days=30)
    lenient = Cohort.objects.create(name="Lenient", slug="lenient", publish_after_deadline=True)
    try:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(AFTER)
        new = MigrationExecutor(connection).loader.project_state(AFTER).apps
        policies = {
            p.cohort_id: (p.deadline_hours, p.publish_after_deadline, p.appeal_window_days)
            for p in new.get_model("reviews", "ReviewPolicy").objects.all()
        }
        assert policies == {strict.pk: (24, False, 30), lenient.pk: (72, True, 180)}
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_a_cohort_without_a_policy_follows_the_defaults(team):
    policy = selectors.review_policy_of(team.cohort)
    assert (policy.deadline_hours, policy.publish_after_deadline, policy.appeal_window_days) == (72, False, 180)
    assert not ReviewPolicy.objects.exists()


def test_the_service_refuses_non_admins_and_bad_values_and_audits_changes(team):
    with pytest.raises(ApplicationError) as not_admin:
        services.review_policy_save(actor=team.reviewer, cohort=team.cohort, deadline_hours=1)
    assert not_admin.value.status == 403
    with pytest.raises(ApplicationError) as zero:
        services.review_policy_save(actor=team.admin, cohort=team.cohort, deadline_hours=0)
    assert "deadline_hours" in zero.value.fields
    with pytest.raises(ApplicationError) as unknown:
        services.review_policy_save(actor=team.admin, cohort=team.cohort, capacity=3)
    assert unknown.value.fields == {"capacity": "unknown"}
    assert not ReviewPolicy.objects.exists()  # nothing half-written

    services.review_policy_save(actor=team.admin, cohort=team.cohort, deadline_hours=24, appeal_window_days=30)
    policy = ReviewPolicy.objects.get(cohort=team.cohort)
    assert (policy.deadline_hours, policy.appeal_window_days) == (24, 30)
    entry = AuditEvent.objects.get(action="review.policy_changed")
    assert entry.data == {"deadline_hours": [72, 24], "appeal_window_days": [180, 30]}


def test_admins_edit_it_on_the_cohort_page_and_members_read_it(team):
    browser = Client()
    sign_in(browser, team.admin)
    page = browser.get(f"/staff/cohorts/{team.cohort.pk}/").content.decode()
    assert f"/staff/cohorts/{team.cohort.pk}/review-policy/" in page  # drawn in place by htmx, a link without it
    fragment = browser.get(f"/staff/cohorts/{team.cohort.pk}/review-policy/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and b"<html" not in fragment.content and b"deadline_hours" in fragment.content

    url = f"/staff/cohorts/{team.cohort.pk}/review-policy/"
    bad = browser.post(url, {"deadline_hours": "0", "appeal_window_days": "30"})
    assert bad.status_code == 400 and "greater than or equal to 1" in bad.content.decode()
    saved = browser.post(url, {"deadline_hours": "48", "publish_after_deadline": "on", "appeal_window_days": "30"})
    assert saved.status_code == 302 and saved["Location"] == f"/staff/cohorts/{team.cohort.pk}/"
    assert selectors.review_policy_of(ReviewPolicy.objects.get().cohort).deadline_hours == 48

    member = Client()
    sign_in(member, team.artist)
    assert member.get(url).status_code == 403
    transparency = member.get(f"/cohorts/{team.cohort.slug}/transparency/").content.decode()
    assert "within 48 hours" in transparency and "within 30 days" in transparency


def test_the_api_reads_and_changes_it_for_admins_only(team):
    url = f"/api/v1/cohorts/{team.cohort.pk}/review-policy/"
    assert api_client_for(team.reviewer).get(url).status_code == 403
    admin = api_client_for(team.admin)
    assert admin.get(url).json() == {
        "deadline_hours": 72, "publish_after_deadline": False, "appeal_window_days": 180, "out_of_court_body": ""
    }  # fmt: skip
    refused = admin.patch(url, {"deadline_hours": "12"}, format="json")
    assert refused.status_code == 400 and "deadline_hours" in refused.json()["error"]["fields"]
    changed = admin.patch(url, {"publish_after_deadline": True, "out_of_court_body": "Settle-It EU"}, format="json")
    assert changed.status_code == 200 and changed.json()["publish_after_deadline"] is True
    assert changed.json()["out_of_court_body"] == "Settle-It EU"
    assert admin.get(f"/api/v1/cohorts/{team.cohort.pk + 1000}/review-policy/").status_code == 404
