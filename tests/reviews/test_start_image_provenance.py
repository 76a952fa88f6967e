"""A clip made from a start image is published with the image as an ingredient of its Content
Credentials: the c2pa.created action points at the ingredient and states the image's SHA-256."""

import io

import numpy as np
from django.test import Client
from PIL import Image

from generations import services as generation_services
from reviews import credentials, services
from reviews.models import Publication
from tests.support.people import rendered, signing_worker_runs


def png() -> bytes:
    out = io.BytesIO()
    Image.fromarray((np.random.default_rng(5).random((90, 160, 3)) * 255).astype("uint8")).save(out, format="PNG")
    return out.getvalue()


def test_the_start_image_is_an_ingredient_of_the_published_clip(team):
    image = generation_services.start_image_upload(artist=team.artist, data=png())
    generation = rendered(team.artist, team.cohort)
    generation.start_image, generation.image_fit = image, "crop"
    generation.save(update_fields=["start_image", "image_fit"])
    request = services.publication_request_create(artist=team.artist, generation=generation, title="From a photo")
    services.review_claim(reviewer=team.reviewer, request=request)
    services.review_decide(reviewer=team.reviewer, request=request, outcome="approve")
    assert signing_worker_runs() == 1

    publication = Publication.objects.get(request=request)
    assert publication.provenance["mode"] == "image"
    assert publication.provenance["start_image"] == {"sha256": image.sha256, "width": 160, "height": 90, "fit": "crop"}
    manifest = credentials.read_manifest(publication.video.path)
    active = manifest["manifests"][manifest["active_manifest"]]
    actions = next(a["data"] for a in active["assertions"] if a["label"].startswith("c2pa.actions"))["actions"]
    created = next(action for action in actions if action["action"] == "c2pa.created")
    assert created["parameters"]["start_image_sha256"] == image.sha256
    (link,) = created["parameters"]["ingredients"]  # the builder's hashed link to the ingredient assertion
    assert link["url"].endswith("c2pa.ingredient.v3") and link["hash"]
    (ingredient,) = active["ingredients"]
    assert ingredient["title"] == "Start image" and ingredient["relationship"] == "inputTo"
    assert ingredient["format"] == "image/png" and image.sha256 in ingredient["description"]
    assert [status["code"] for status in manifest["validation_status"]] == ["signingCredential.untrusted"]

    page = Client().get(f"/gallery/{publication.public_id}/")
    assert page.status_code == 200 and image.sha256 in page.content.decode()
