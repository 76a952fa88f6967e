"""Every list endpoint and page reads in a number of queries that does not grow with its rows."""

import pytest
from django.test import Client

from accounts.services import audit_record, invitations_create, notify, token_create
from generations import services
from generations.models import Generation, QuotaOverride
from tests.support.clients import sign_in, with_totp
from tests.support.clips import SMALL
from tests.support.factories import CohortFactory, MembershipFactory, UserFactory
from tests.support.queries import Queries, assert_same_count, queries_for


@pytest.fixture
def scene(wake_ups, db):
    cohort = CohortFactory()
    artist = MembershipFactory(cohort=cohort).user
    QuotaOverride.objects.create(user=artist, cohort=cohort, credits_per_period=10_000, max_queued_per_artist=100)
    admin = UserFactory(role="admin")
    with_totp(admin)

    def add_rows(n: int):
        for i in range(n):
            generation = services.generation_submit(artist=artist, cohort=cohort, prompt=f"clip {i}", **SMALL)[0]
            if i % 2:
                Generation.objects.filter(pk=generation.pk).update(status="succeeded", progress=100)
            token_create(user=artist, name=f"t{i}", scopes=["generations:read"])
            MembershipFactory(cohort=cohort)
            invitations_create(
                actor=admin, cohort=cohort, emails=[f"inv{i}-{id(add_rows)}@example.org"], base_url="http://x/"
            )
            audit_record(action="test.event", actor=admin, subject_user=artist, cohort=cohort)
            notify(user=artist, kind="test", title=f"note {i}")

    return cohort, artist, admin, add_rows


PAGES = [
    ("artist", "/api/v1/generations/"),
    ("artist", "/api/v1/generations/?status=queued"),
    ("artist", "/api/v1/credits/"),
    ("artist", "/api/v1/tokens/"),
    ("artist", "/studio/"),
    ("artist", "/tokens/"),
    ("artist", "/profile/"),
    ("artist", "/notifications/"),
    ("admin", "/api/v1/cohorts/"),
    ("admin", "/api/v1/cohorts/{cohort}/invitations/"),
    ("admin", "/staff/cohorts/"),
    ("admin", "/staff/cohorts/{cohort}/members/"),
    ("admin", "/staff/cohorts/{cohort}/invitations/"),
    ("admin", "/staff/audit/"),
    ("admin", "/staff/queue/"),
    ("admin", "/staff/"),
    ("artist", "/studio/?status=queued"),
    ("artist", "/credits/"),
]


@pytest.mark.parametrize(("who", "path"), PAGES)
def test_query_count_does_not_grow_with_rows(scene, who, path, monkeypatch):
    cohort, artist, admin, add_rows = scene
    monkeypatch.setattr("generations.views._live_workers", lambda: [])  # the broker ping is not a query
    client = Client()
    sign_in(client, artist if who == "artist" else admin)
    url = path.format(cohort=cohort.pk)
    add_rows(1)
    one = queries_for(client, url)
    add_rows(19)
    assert_same_count(one, queries_for(client, url))


def test_the_polled_credits_card_reads_the_same_for_one_cohort_or_three(db):
    artist = UserFactory()
    client = Client()
    sign_in(client, artist)

    def join() -> None:
        membership = MembershipFactory(user=artist)
        services.credit_account_open(user=artist, cohort=membership.cohort)  # as activating it does

    def card_queries() -> Queries:
        return queries_for(client, "/studio/?part=credits", HTTP_HX_REQUEST="true")

    join()
    one = card_queries()
    join()
    join()
    three = card_queries()
    assert_same_count(one, three)
    assert not any(q.startswith(("INSERT", "UPDATE")) for q in three.sql)  # a poll reads; nothing is written
