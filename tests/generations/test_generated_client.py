"""A client generated from the served schema by openapi-python-client (as an integrator would make one)
submits, pages with the cursor of a next link, polls and downloads, with no hand-written request."""

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from accounts.services import token_create
from generations import tasks
from generations.models import Generation
from tests.support.clips import SMALL
from tests.support.openapi import served_schema

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def vernissage_client(tmp_path_factory):
    """The package openapi-python-client writes from the schema /api/schema/ serves."""
    folder = tmp_path_factory.mktemp("generated")
    schema = folder / "schema.json"
    schema.write_text(json.dumps(served_schema(), default=str))
    tools = Path(sys.executable).parent  # the generator formats its output with ruff from the same place
    subprocess.run(
        [tools / "openapi-python-client", "generate", "--path", schema, "--output-path", folder / "vernissage_client",
         "--meta", "none"],
        check=True, capture_output=True, timeout=300, env={**os.environ, "PATH": f"{tools}:{os.environ['PATH']}"},
    )  # fmt: skip
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("vernissage_client")
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name.startswith("vernissage_client")]:
            del sys.modules[name]


def test_a_generated_client_submits_pages_polls_and_downloads(vernissage_client, live_server, wake_ups, artist):
    from vernissage_client.api.media import media_signed_retrieve
    from vernissage_client.api.v1 import v1_generations_create, v1_generations_list, v1_generations_retrieve
    from vernissage_client.models import AspectRatioEnum, SubmitRequest

    _, token = token_create(
        user=artist, name="generated", scopes=["generations:read", "generations:write"], second_factor=True
    )
    client = vernissage_client.AuthenticatedClient(base_url=live_server.url, token=token)
    submitted = [
        v1_generations_create.sync(client=client, body=SubmitRequest.from_dict({"prompt": f"a kite {n}", **SMALL}))
        for n in range(3)
    ]
    assert [generation.status.value for generation in submitted] == ["queued"] * 3
    assert AspectRatioEnum.ASPECT_RATIO_1_1.value == "1:1"  # named members, not VALUE_0

    first = v1_generations_list.sync(client=client, page_size=2)
    assert len(first.results) == 2 and first.next_
    cursor = parse_qs(urlsplit(first.next_).query)["cursor"][0]
    second = v1_generations_list.sync(client=client, page_size=2, cursor=cursor)
    listed = [generation.id for generation in first.results + second.results]
    assert sorted(map(str, listed)) == sorted(str(generation.id) for generation in submitted)

    job = submitted[0]
    tasks.render_next(Generation.objects.get(public_id=job.id).pk)  # a GPU worker takes the job
    polled = v1_generations_retrieve.sync(str(job.id), client=client)
    while polled.status.value in ("queued", "running"):
        polled = v1_generations_retrieve.sync(str(job.id), client=client)
    assert polled.status.value == "succeeded" and polled.video_url

    token_in_link = urlsplit(polled.video_url).path.rstrip("/").rsplit("/", 1)[-1]
    video = media_signed_retrieve.sync_detailed(token_in_link, client=client)
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    assert len(video.content) == Generation.objects.get(public_id=job.id).video_bytes
