"""An artist with something of everything an export holds."""

import io

import pytest
from PIL import Image

from accounts.services import consents_set
from feedback import services as feedback
from generations.models import StaffAccess
from generations.services import generation_delete
from reviews import services as reviews
from tests.support.board import bug
from tests.support.people import published, rendered


def png() -> bytes:
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(picture, "PNG")
    return picture.getvalue()


@pytest.fixture
def seeded(board):
    team = board
    artist = team.artist
    published(team, title="Heron")  # a clip in the gallery, with its signed copy
    kept = rendered(artist, team.cohort, prompt="a fox in snow")
    gone = rendered(artist, team.cohort, prompt="deleted later")
    generation_delete(actor=artist, generation=gone)
    refused = reviews.publication_request_create(artist=artist, generation=kept, title="Fox")
    reviews.review_claim(reviewer=team.reviewer, request=refused)
    decision = reviews.review_decide(
        reviewer=team.reviewer, request=refused, outcome="reject", reason_code="likeness", note="A face."
    )
    reviews.appeal_create(artist=artist, request=refused, message="It is my own face.")
    StaffAccess.objects.create(generation=kept, viewer=team.reviewer, via="page")
    report = bug(team, attachments=[("../screen shot.png", png())])
    feedback.report_comment(author=team.reviewer, report=report, body="Reproduced.", as_staff=True)
    feedback.report_comment(author=artist, report=report, body="Thanks!", as_staff=False)
    feedback.report_triage(actor=team.reviewer, report=report, outcome="confirmed", reason="Real bug.")
    consents_set(user=artist, choices={"training_use": True, "credit_name": "Mo M."})
    team.decision = decision
    return team
