"""The container image's recipe, the compose file and the Kubernetes manifests, checked offline: the
manifests against Kubernetes' own schemas (kubernetes-validate, strict), the compose file against the
services and commands the image provides."""

import re

import kubernetes_validate
import pytest
import yaml
from django.conf import settings

from config.env import BASE_DIR

MANIFESTS = sorted((BASE_DIR / "deploy" / "kubernetes").glob("*.yaml"))
DOCUMENTS = [doc for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text()) if doc]
KIND_NAMES = [f"{doc['kind']}/{doc['metadata']['name']}" for doc in DOCUMENTS]


@pytest.mark.parametrize("document", DOCUMENTS, ids=KIND_NAMES)
def test_each_manifest_is_valid_kubernetes(document):
    kubernetes_validate.validate(document, "1.37.0", strict=True)


def _deployments() -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in DOCUMENTS if doc["kind"] == "Deployment"}


def test_web_pods_probe_as_the_docs_say_and_workers_have_the_grace_to_hand_jobs_back():
    deployments = _deployments()
    web = deployments["vernissage-web"]["spec"]["template"]["spec"]["containers"][0]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    config = next(doc for doc in DOCUMENTS if doc["kind"] == "ConfigMap")["data"]
    grace = int(config["GENERATION_SHUTDOWN_GRACE_SECONDS"])
    gpu = deployments["vernissage-worker-gpu"]["spec"]["template"]["spec"]
    assert gpu["terminationGracePeriodSeconds"] > grace + 10
    assert gpu["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"
    queues = {
        queue
        for deployment in deployments.values()
        for container in deployment["spec"]["template"]["spec"]["containers"]
        if "worker" in container.get("command", [])
        for queue in container["command"][container["command"].index("--queues") + 1].split(",")
    }
    assert queues == set(settings.WORKER_QUEUES)  # every queue has a consumer
    assert deployments["vernissage-beat"]["spec"]["replicas"] == 1
    budgets = {doc["metadata"]["name"] for doc in DOCUMENTS if doc["kind"] == "PodDisruptionBudget"}
    assert budgets == {"vernissage-web", "vernissage-worker-gpu"}


def test_the_compose_file_runs_every_part_with_health_checks():
    compose = yaml.safe_load((BASE_DIR / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker", "beat"}
    for name in ("postgres", "redis", "web", "worker"):
        assert services[name]["healthcheck"]["test"], name
    images = {services[name]["image"] for name in ("migrate", "web", "worker", "beat")}
    assert images == {"localhost/vernissage:dev"}
    worker = services["worker"]["command"]
    assert worker[:3] == ["celery", "-A", "config"] and set(worker[worker.index("--queues") + 1].split(",")) == {
        *settings.WORKER_QUEUES
    }  # fmt: skip
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    environment = services["web"]["environment"]
    assert environment["DATABASE_URL"].startswith("postgres://") and environment["CELERY_BROKER_URL"].startswith(
        "redis://"
    )


def test_the_containerfile_is_multi_stage_on_a_debian_base_and_runs_unprivileged():
    recipe = (BASE_DIR / "Containerfile").read_text()
    assert re.search(r"^ARG BASE=docker\.io/library/debian:bookworm-slim$", recipe, re.MULTILINE)
    assert len(re.findall(r"^FROM ", recipe, re.MULTILINE)) == 2
    assert re.search(r"^USER 10001$", recipe, re.MULTILINE)
    assert "gunicorn config.wsgi" in recipe and "torch==2.13.0" in recipe
