"""The reviews API: every operation for every kind of caller (the permission matrix), the flow a client
follows, tokens for reviewers, staff access shown to the artist, and query counts that do not grow."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from generations.models import StaffAccess
from reviews import services
from reviews.models import Decision, Publication, PublicationRequest
from tests.support.clients import api_client_for, token_client
from tests.support.people import rendered, reviewer_in, signing_worker_runs
from tests.support.queries import assert_same_count, queries_for

ROLES = ("artist", "other_artist", "reviewer", "other_reviewer", "admin", "anonymous")


def client_as(team, role) -> APIClient:
    return APIClient() if role == "anonymous" else api_client_for(getattr(team, role))


def requested(team, *, title="Heron") -> PublicationRequest:
    generation = rendered(team.artist, team.cohort)
    return services.publication_request_create(artist=team.artist, generation=generation, title=title)


def rejected(team) -> PublicationRequest:
    request = requested(team)
    services.review_claim(reviewer=team.reviewer, request=request)
    services.review_decide(
        reviewer=team.reviewer, request=request, outcome="reject", reason_code="likeness", note="A real face."
    )
    return request


def published(team, capture) -> Publication:
    request = requested(team)
    services.review_claim(reviewer=team.reviewer, request=request)
    with capture(execute=True):
        services.review_decide(reviewer=team.reviewer, request=request, outcome="approve")
    signing_worker_runs()
    return Publication.objects.get(request=request)


def _create(team, role, capture):
    generation = rendered(team.artist, team.cohort)
    body = {"generation": str(generation.public_id), "title": "Heron", "show_prompt": True}
    return "post", reverse("api-publication-requests"), body


def _detail(team, role, capture):
    return "get", reverse("api-publication-request", args=[requested(team).pk]), None


def _withdraw(team, role, capture):
    return "post", reverse("api-publication-request-withdraw", args=[requested(team).pk]), None


def _appeal(team, role, capture):
    return "post", reverse("api-publication-request-appeal", args=[rejected(team).pk]), {"message": "Look again."}


def _queue(team, role, capture):
    requested(team)
    return "get", reverse("api-review-queue"), None


def _claim(team, role, capture):
    requested(team)
    return "post", reverse("api-review-claim"), None


def _decision(team, role, capture):
    request = requested(team)
    if role in ("reviewer", "admin"):  # the deciding reviewer holds the claim
        services.review_claim(reviewer=getattr(team, role), request=request)
    return (
        "post",
        reverse("api-decision", args=[request.pk]),
        {"outcome": "reject", "reason_code": "defect", "note": "Frame 4 is black."},
    )


def _reason_codes(team, role, capture):
    return "get", reverse("api-reason-codes"), None


def _publications(team, role, capture):
    published(team, capture)
    return "get", reverse("api-publications"), None


def _publication(team, role, capture):
    return "get", reverse("api-publication", args=[published(team, capture).public_id]), None


def _publication_withdraw(team, role, capture):
    return "post", reverse("api-publication-withdraw", args=[published(team, capture).public_id]), None


def _take_down(team, role, capture):
    public_id = published(team, capture).public_id
    return (
        "post",
        reverse("api-publication-take-down", args=[public_id]),
        {"reason_code": "defect", "note": "Frame 4 is black."},
    )


# operation: expected status for artist, other artist, reviewer of the cohort, reviewer of another
# cohort, admin, anonymous.
MATRIX = {
    "create request": (_create, (201, 400, 400, 400, 400, 401)),
    "read request": (_detail, (200, 404, 404, 404, 404, 401)),
    "withdraw request": (_withdraw, (200, 404, 404, 404, 404, 401)),
    "appeal": (_appeal, (200, 404, 404, 404, 404, 401)),
    "read queue": (_queue, (403, 403, 200, 200, 200, 401)),
    "claim next": (_claim, (403, 403, 200, 204, 200, 401)),
    "decide": (_decision, (403, 403, 201, 404, 201, 401)),
    "reason codes": (_reason_codes, (200, 200, 200, 200, 200, 200)),
    "gallery": (_publications, (200, 200, 200, 200, 200, 200)),
    "publication": (_publication, (200, 200, 200, 200, 200, 200)),
    "withdraw publication": (_publication_withdraw, (204, 404, 404, 404, 404, 401)),
    "take down": (_take_down, (403, 403, 204, 404, 204, 401)),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", list(MATRIX))
def test_permission_matrix(team, django_capture_on_commit_callbacks, operation, role):
    build, expected = MATRIX[operation]
    method, url, body = build(team, role, django_capture_on_commit_callbacks)
    response = getattr(client_as(team, role), method)(url, body, format="json")
    assert response.status_code == expected[ROLES.index(role)], (operation, role, response.content[:300])
    if operation == "read queue" and role != "anonymous" and response.status_code == 200:
        assert len(response.json()["results"]) == (0 if role == "other_reviewer" else 1)


def test_the_flow_a_client_follows(team, django_capture_on_commit_callbacks):
    artist, reviewer = api_client_for(team.artist), api_client_for(team.reviewer)
    generation = rendered(team.artist, team.cohort)
    reasons = APIClient().get(reverse("api-reason-codes")).json()["results"]
    assert [reason["code"] for reason in reasons] == ["defect", "likeness"]  # readable before submitting
    created = artist.post(
        reverse("api-publication-requests"),
        {"generation": str(generation.public_id), "title": "Heron", "caption": "At dusk.", "show_prompt": True},
        format="json",
    )
    assert created.status_code == 201 and created.json()["state"] == "pending"
    request_id = created.json()["id"]
    twice = artist.post(
        reverse("api-publication-requests"), {"generation": str(generation.public_id), "title": "Again"}, format="json"
    )
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "conflict"
    blank = artist.post(
        reverse("api-publication-requests"), {"generation": str(generation.public_id), "title": ""}, format="json"
    )
    assert blank.status_code == 400 and "title" in blank.json()["error"]["fields"]

    claim = reviewer.post(reverse("api-review-claim"))
    assert claim.status_code == 200 and claim.json()["id"] == request_id and claim.json()["claimed_by_you"]
    video = reviewer.get(claim.json()["video_url"])
    assert video.status_code == 200 and b"".join(video.streaming_content)[4:8] == b"ftyp"
    no_reason = reviewer.post(reverse("api-decision", args=[request_id]), {"outcome": "reject"}, format="json")
    assert no_reason.status_code == 400 and "reason_code" in no_reason.json()["error"]["fields"]
    with django_capture_on_commit_callbacks(execute=True):
        decided = reviewer.post(reverse("api-decision", args=[request_id]), {"outcome": "approve"}, format="json")
    assert decided.status_code == 201 and decided.json()["decision"] == "approved"
    assert signing_worker_runs() == 1  # after commit, on the signing queue
    again = reviewer.post(reverse("api-decision", args=[request_id]), {"outcome": "approve"}, format="json")
    assert again.status_code == 409
    assert reviewer.post(reverse("api-review-claim")).status_code == 204

    detail = artist.get(reverse("api-publication-request", args=[request_id])).json()
    assert detail["state"] == "approved" and detail["statements"][0]["automated"] is False
    public_id = detail["publication"]
    anonymous = APIClient()
    page = anonymous.get(reverse("api-publications")).json()
    assert [item["id"] for item in page["results"]] == [public_id]
    item = anonymous.get(reverse("api-publication", args=[public_id])).json()
    assert item["credit_line"] == "Mo Maker" and item["prompt"] == "a heron at dusk" and item["reviewed"] is True
    assert (
        item["preset"] == "tiny" and item["seed"] == 7 and item["platform_version"] and len(item["video_sha256"]) == 64
    )
    ranged = anonymous.get(item["video_url"], HTTP_RANGE="bytes=0-99")
    assert ranged.status_code == 206 and ranged["Content-Range"].startswith("bytes 0-99/")
    assert str(generation.public_id) not in item["video_url"]
    assert artist.post(reverse("api-publication-withdraw", args=[public_id])).status_code == 204
    assert anonymous.get(reverse("api-publication", args=[public_id])).status_code == 404
    assert anonymous.get(item["video_url"]).status_code == 404


def test_a_reviewers_token_needs_reviews_write_and_two_factor(team):
    requested(team)
    without_scope, _ = token_client(team.reviewer, scopes=["generations:read"])
    assert without_scope.post(reverse("api-review-claim")).json()["error"]["code"] == "insufficient_scope"
    with_scope, _ = token_client(team.reviewer, scopes=["reviews:write"])
    assert with_scope.post(reverse("api-review-claim")).status_code == 200
    no_totp = reviewer_in(team.cohort, "no-totp@example.org")
    no_totp.authenticator_set.all().delete()
    client, _ = token_client(no_totp, scopes=["reviews:write"])
    refused = client.post(reverse("api-review-claim"))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "mfa_required"


def test_staff_opening_a_private_clip_is_recorded_and_shown_to_the_artist(team):
    generation = rendered(team.artist, team.cohort)
    artist = api_client_for(team.artist)
    artist.get(reverse("api-generation", args=[generation.public_id]))
    artist.get(reverse("generation_page", args=[generation.public_id]))
    artist.get(reverse("media_view", args=[generation.public_id, "video"]))
    assert StaffAccess.objects.count() == 0  # the artist's own views are not recorded

    admin = api_client_for(team.admin)
    assert admin.get(reverse("generation_page", args=[generation.public_id])).status_code == 200
    body = admin.get(reverse("api-generation", args=[generation.public_id])).json()
    assert admin.get(body["poster_url"]).status_code == 200  # a signed URL made for the admin
    assert admin.get(reverse("media_view", args=[generation.public_id, "video"])).status_code == 200
    assert admin.get(reverse("media_view", args=[generation.public_id, "video"])).status_code == 200  # seeking
    vias = sorted(StaffAccess.objects.filter(viewer=team.admin).values_list("via", flat=True))
    assert vias == ["api", "page", "poster", "video"]

    shown = artist.get(reverse("api-generation", args=[generation.public_id])).json()["staff_access"]
    assert {entry["via"] for entry in shown} == {"api", "page", "poster", "video"}
    assert {entry["viewer"] for entry in shown} == {str(team.admin)}
    page = artist.get(reverse("generation_page", args=[generation.public_id])).content.decode()
    assert str(team.admin) in page and "Clip page" in page


def test_query_counts_of_queue_gallery_and_dashboard_do_not_grow_with_rows(team, django_capture_on_commit_callbacks):
    reviewer, admin, anonymous = api_client_for(team.reviewer), api_client_for(team.admin), APIClient()
    urls = {
        "queue api": (reviewer, reverse("api-review-queue")),
        "queue page": (reviewer, reverse("review_queue")),
        "gallery api": (anonymous, reverse("api-publications")),
        "gallery page": (anonymous, reverse("gallery")),
        "dashboard": (admin, reverse("review_dashboard")),
        "transparency": (api_client_for(team.artist), reverse("transparency", args=[team.cohort.slug])),
        "requests page": (api_client_for(team.artist), reverse("publication_requests")),
    }

    def grow(count):
        for index in range(count):
            published(team, django_capture_on_commit_callbacks)
            rejected(team)
            requested(team, title=f"Waiting {index}")

    grow(1)
    before = {name: queries_for(client, url) for name, (client, url) in urls.items()}
    grow(3)
    for name, (client, url) in urls.items():
        assert_same_count(before[name], queries_for(client, url), what=name)
    assert Decision.objects.count() == 8


def test_hostile_input_gets_a_clear_400_or_404_never_a_500(team):
    artist, reviewer = api_client_for(team.artist), api_client_for(team.reviewer)
    huge = "9" * 30
    assert artist.get(f"/api/v1/publication-requests/{huge}/").status_code == 404
    assert reviewer.post(f"/api/v1/publication-requests/{huge}/decision/", {"outcome": "approve"}).status_code == 404
    assert APIClient().get("/api/v1/publications/not-a-uuid/").status_code == 404
    for body in ({"generation": "x", "title": "t"}, {"generation": [], "title": {}}, {"title": "t\x00"}):
        response = artist.post(reverse("api-publication-requests"), body, format="json")
        assert response.status_code == 400 and response.json()["error"]["fields"], body
    request = requested(team)
    services.review_claim(reviewer=team.reviewer, request=request)
    for body in ({"outcome": "maybe"}, {"outcome": "reject", "reason_code": "no-such-reason"}, {"outcome": True}):
        response = reviewer.post(reverse("api-decision", args=[request.pk]), body, format="json")
        assert response.status_code == 400 and response.json()["error"]["fields"], body
    bad_cursor = APIClient().get(reverse("api-publications"), {"cursor": "%%%"})
    assert bad_cursor.status_code == 400
    assert reviewer.get(reverse("api-review-queue"), {"older_than_hours": "soon"}).status_code == 400
    assert APIClient().get(reverse("gallery"), {"page": "-1"}).status_code == 200


def test_gallery_media_is_cacheable_by_shared_caches_and_answers_head(team, django_capture_on_commit_callbacks):
    publication = published(team, django_capture_on_commit_callbacks)
    signed_in = api_client_for(team.artist)  # a session: the response must still not vary by cookie
    for kind in ("video", "poster"):
        url = reverse("gallery_media", args=[publication.public_id, kind])
        response = signed_in.get(url)
        assert response.status_code == 200 and response["Cache-Control"] == "public, max-age=300"
        assert "cookie" not in response.get("Vary", "").lower() and "Set-Cookie" not in response
        assert APIClient().get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
        head = APIClient().head(url)
        assert head.status_code == 200 and head["Content-Length"] == response["Content-Length"] and not head.content
    video = APIClient().get(reverse("gallery_media", args=[publication.public_id, "video"]))
    assert video["ETag"] == f'"{publication.video_sha256}"'


def test_metrics_show_the_build_the_review_queue_and_webhook_deliveries(team, settings):
    from prometheus_client.parser import text_string_to_metric_families

    from generations.models import WebhookDelivery

    requested(team, title="Waiting")
    waiting = requested(team, title="Late")
    PublicationRequest.objects.filter(pk=waiting.pk).update(deadline_at=waiting.created_at)
    WebhookDelivery.objects.create(generation=waiting.generation, event="generation.succeeded", url="https://x/")
    settings.METRICS_TOKEN = "scrape-secret"
    text = APIClient().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret").content.decode()
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    slug = (("cohort", team.cohort.slug),)
    assert samples[("vernissage_review_queue_depth", slug)] == 2
    assert samples[("vernissage_review_queue_overdue", slug)] == 1
    assert samples[("vernissage_review_queue_oldest_age_seconds", slug)] >= 0
    assert samples[("vernissage_webhook_deliveries", (("outcome", "retrying"),))] == 1
    build = [key for key in samples if key[0] == "vernissage_build_info"]
    assert len(build) == 1 and dict(build[0][1])["version"] == settings.PLATFORM_VERSION
