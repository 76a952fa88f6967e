"""The review desk's pages read in a number of queries that does not grow with the requests waiting, the
decisions held for undo, or the publications in the gallery."""

from django.test import Client

from reviews import services
from tests.support.clients import sign_in
from tests.support.people import rendered
from tests.support.queries import assert_same_count, queries_for


def test_the_queue_the_desk_and_the_numbers_read_the_same_for_one_request_or_six(team):
    reviewer = Client()
    sign_in(reviewer, team.reviewer)
    admin = Client()
    sign_in(admin, team.admin)

    def wait(n: int, first: int):
        for i in range(first, first + n):
            request = services.publication_request_create(
                artist=team.artist, generation=rendered(team.artist, team.cohort, prompt=f"clip {i}"), title=f"Clip {i}"
            )
            if i % 2:  # a decided one, held for undo, beside each waiting one
                services.review_claim(reviewer=team.reviewer, request=request)
                services.review_decide(
                    reviewer=team.reviewer, request=request, outcome="approve", hold=services.UNDO_WINDOW
                )

    wait(2, 0)
    held = services.review_claim_next(reviewer=team.reviewer)
    item = f"/review/{held.pk}/"
    reviewer.get(item)  # the first look is written to the artist's staff-access log; later ones are not
    one = {url: queries_for(client, url) for client, url in ((reviewer, "/review/"), (reviewer, item))}
    numbers = queries_for(admin, "/staff/reviews/")
    wait(10, 2)
    for url, fewer in one.items():
        assert_same_count(fewer, queries_for(reviewer, url), what=url)
    assert_same_count(numbers, queries_for(admin, "/staff/reviews/"), what="review numbers")
