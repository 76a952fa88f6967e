"""The review desk at 1280x800: the player and the decision side by side above the fold, five decisions in a
row without going back to the list, an undo inside the window, and the next request claimed after it."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Membership, User
from generations.demo import demo_rendered_clip
from generations.models import QuotaPolicy
from reviews import services
from reviews.models import Decision, Publication, PublicationRequest
from tests.support.browser import sign_in, watch_for_violations
from tests.support.clients import with_totp
from tests.support.factories import CohortFactory, MembershipFactory

pytestmark = [pytest.mark.browser]

ITEM_AFTER_DECISION = re.compile(r".*/review/(\d+)/\?undo=(\d+)$")


def inside_viewport(locator, width=1280, height=800) -> bool:
    box = locator.bounding_box()
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= width
        and (box["y"] + box["height"] <= height)
    )


def test_five_decisions_in_a_row_an_undo_and_the_sixth_claimed_next(live_server, browser):
    cohort = CohortFactory(name="Desk cohort")
    QuotaPolicy.objects.create(cohort=cohort, credits_per_period=50)
    artist = MembershipFactory(cohort=cohort, user__email="maker@example.org").user
    reviewer = MembershipFactory(
        cohort=cohort, role=Membership.Role.REVIEWER, user__role=User.Role.REVIEWER, user__email="desk@example.org"
    ).user
    totp = with_totp(reviewer)
    requests = [
        services.publication_request_create(
            artist=artist,
            generation=demo_rendered_clip(artist, cohort, f"clip number {n}", hue=n / 7),
            title=f"Clip {n}",
        )
        for n in range(1, 7)
    ]
    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    desk = context.new_page()
    desk.set_default_timeout(15_000)
    violations = watch_for_violations(desk)
    sign_in(desk, base, reviewer.email, totp)
    desk.goto(f"{base}/review/")
    queue = desk.locator("#main table")
    assert queue.locator("img").count() == 6  # posters in the list
    desk.keyboard.press("n")  # claim the first
    desk.wait_for_url(re.compile(r".*/review/\d+/$"))

    # Player and decision side by side, both above the fold.
    player = desk.locator("video.player")
    approve = desk.get_by_role("button", name="Approve")
    assert inside_viewport(player) and inside_viewport(approve)
    assert inside_viewport(desk.get_by_role("button", name="Reject"))
    assert approve.bounding_box()["x"] > player.bounding_box()["x"] + player.bounding_box()["width"] - 1

    decided = []
    for n in range(5):
        current = int(re.search(r"/review/(\d+)/", desk.url).group(1))
        if n % 2:
            desk.get_by_role("button", name="Approve").click()
        else:
            desk.keyboard.press("a")
        desk.wait_for_url(lambda url, current=current: f"/review/{current}/" not in url)
        match = ITEM_AFTER_DECISION.match(desk.url)
        assert match, f"after decision {n + 1} the desk went to {desk.url}, not the next request"
        decided.append(current)
        desk.locator("[data-undo]").wait_for()
    assert decided == [r.pk for r in requests[:5]]
    assert int(match.group(1)) == requests[5].pk  # the sixth is open and claimed
    assert PublicationRequest.objects.get(pk=requests[5].pk).claimed_by == reviewer
    assert Decision.objects.filter(held_until__isnull=False).count() == 5

    desk.keyboard.press("u")  # undo the fifth, inside the window
    desk.wait_for_url(f"{base}/review/{requests[4].pk}/")
    desk.get_by_text("Undone").wait_for()
    fifth, sixth = (PublicationRequest.objects.get(pk=r.pk) for r in requests[4:])
    assert fifth.state == "in_review" and fifth.claimed_by == reviewer  # the lease is back
    assert fifth.lease_expires_at > timezone.now()
    assert sixth.state == "pending" and sixth.claimed_by is None
    # The first four take effect when their window passes; the undone fifth publishes nothing.
    assert services.review_decisions_release(now=timezone.now() + services.UNDO_WINDOW + timedelta(seconds=1)) == 4
    assert set(Publication.objects.values_list("request_id", flat=True)) == {r.pk for r in requests[:4]}

    desk.keyboard.press("a")  # decided again: the sixth is claimed next
    desk.wait_for_url(ITEM_AFTER_DECISION)
    assert int(ITEM_AFTER_DECISION.match(desk.url).group(1)) == requests[5].pk
    assert PublicationRequest.objects.get(pk=requests[5].pk).claimed_by == reviewer
    assert Decision.objects.filter(request=requests[4]).count() == 1
    assert violations == []
    context.close()
