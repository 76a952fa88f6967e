"""The container image end to end: `make image` builds it here (buildah on a Debian base made with
debootstrap), then web and worker run from it against this machine's PostgreSQL and Redis, and a clip
goes through the API. About three to six minutes on two cores, so it runs only when asked:
VERNISSAGE_IMAGE_TEST=1 (it needs buildah and debootstrap, and root), as .ci/run asks."""

import json
import os
import subprocess
import time
import urllib.request

import psycopg
import pytest

from config.env import BASE_DIR
from tests.services import TEST_DATABASE_URL

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(1800),  # a fresh machine makes the Debian base first
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.skipif(os.environ.get("VERNISSAGE_IMAGE_TEST") != "1", reason="set VERNISSAGE_IMAGE_TEST=1"),
]
TAG = "localhost/vernissage:test"
BUILDAH = ["buildah", "--storage-driver", "vfs"]


def request(url: str, token: str = "", body: dict | None = None) -> dict:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=10) as response:
        return json.loads(response.read())


def test_the_image_serves_the_api_and_renders_a_clip_against_this_machines_services(tmp_path, redis_database):
    subprocess.run(
        ["make", "image", f"TAG={TAG}"], cwd=BASE_DIR, check=True, timeout=1500, env={**os.environ, "TAG": TAG}
    )
    database = f"vernissage_image_{os.getpid()}"
    admin_url = TEST_DATABASE_URL.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}"')
        conn.execute(f'CREATE DATABASE "{database}"')
    container = subprocess.run([*BUILDAH, "from", TAG], capture_output=True, text=True, check=True).stdout.strip()
    port = 18000 + os.getpid() % 1000
    environment = {
        "DATABASE_URL": TEST_DATABASE_URL.rsplit("/", 1)[0] + f"/{database}",
        "CELERY_BROKER_URL": redis_database, "REDIS_URL": redis_database,
        "SECRET_KEY": "image-test-" * 6, "ALLOWED_HOSTS": "127.0.0.1", "PORT": str(port),
    }  # fmt: skip
    run = [*BUILDAH, "run", "--isolation", "chroot", *[f"--env={k}={v}" for k, v in environment.items()], container]
    processes = []
    try:
        setup = (
            "python manage.py migrate --noinput && python -m inference build-tiny /var/lib/vernissage/models/tiny-wan"
        )
        subprocess.run([*run, "--", "sh", "-c", setup], check=True, timeout=300, capture_output=True)
        subprocess.run([*run, "--", "python", "manage.py", "seed_demo"], check=True, timeout=300, capture_output=True)
        issued = subprocess.run(
            [*run, "--", "python", "manage.py", "issue_token", "artist@example.com", "--scopes", "generations:write",
             "generations:read"],
            check=True, timeout=120, capture_output=True, text=True,
        )  # fmt: skip
        token = issued.stdout.strip().splitlines()[-1]
        for command in (
            ["gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2"],
            ["celery", "-A", "config", "worker", "--queues", "default,gpu,signing,exports", "--concurrency", "1"],
        ):
            processes.append(
                subprocess.Popen([*run, "--", *command], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if request(f"{base}/readyz")["status"] == "ok":
                    break
            except OSError:
                time.sleep(1)
        body = {
            "prompt": "a lighthouse at dusk",
            "duration_s": 1.125,
            "resolution": 64,
            "aspect_ratio": "1:1",
            "fps": 8,
        }
        clip = request(f"{base}/api/v1/generations/", token, body)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and clip["status"] not in ("succeeded", "failed"):
            time.sleep(1)
            clip = request(f"{base}/api/v1/generations/{clip['id']}/", token)
        assert clip["status"] == "succeeded" and len(clip["video_sha256"]) == 64
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=60)
        subprocess.run([*BUILDAH, "rm", container], capture_output=True)
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
