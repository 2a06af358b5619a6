"""The download Job as rendered: hardened, token as a file, logic shipped as a ConfigMap, waited on."""

import json
from pathlib import Path
from typing import Any

import pytest

from config import versions
from in_pod.weights import errors
from offline.report import manifests
from offline.run import Run
from tests.support import render, stack_values


@pytest.fixture(scope="module")
def job(sglang8: Run) -> dict[str, Any]:
    (j,) = [m for m in manifests(sglang8) if m["kind"] == "Job" and is_download(m)]
    return j


def is_download(m: dict[str, Any]) -> bool:
    return bool(m["metadata"].get("labels", {}).get("app.kubernetes.io/name") == "model-download")


def pod(job: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = job["spec"]["template"]["spec"]
    return spec


def test_the_downloader_runs_non_root_on_a_read_only_root(job: dict[str, Any]) -> None:
    for c in [*pod(job)["containers"], pod(job)["initContainers"][1]]:
        sc = c["securityContext"]
        assert sc["runAsNonRoot"] is True and sc["runAsUser"] == 10001
        assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"] == {"drop": ["ALL"]} and sc["seccompProfile"] == {"type": "RuntimeDefault"}
        assert {"name": "tmp", "mountPath": "/tmp"} in c["volumeMounts"]


def test_only_prepare_cache_runs_as_root_with_chown_alone(job: dict[str, Any]) -> None:
    prepare = pod(job)["initContainers"][0]
    assert prepare["name"] == "prepare-cache"
    cc = f"compile-cache/sglang-{versions.DYNAMO_RUNTIME_TAG}-h200"
    assert prepare["command"][-1] == (
        "cd /cache && mkdir -p models results && chown 10001:10001 models results"
        # The engines' compile caches, keyed by engine, image and GPU, owned by the serving pods' user (UID 1000).
        f" && mkdir -p {cc} && chown 1000:1000 {cc}"
    )
    assert prepare["securityContext"]["capabilities"] == {"drop": ["ALL"], "add": ["CHOWN"]}
    assert prepare["securityContext"]["readOnlyRootFilesystem"] is True
    assert job["metadata"]["annotations"]["checkov.io/skip1"].startswith("CKV_K8S_25=")


def test_the_token_is_a_mounted_file_never_an_env_value(job: dict[str, Any]) -> None:
    (download,) = pod(job)["containers"]
    env = {e["name"]: e for e in download["env"]}
    assert env["HF_TOKEN_PATH"]["value"] == "/var/run/secrets/huggingface/token"
    assert "HF_TOKEN" not in env
    assert [e["valueFrom"] for e in download["env"] if "valueFrom" in e] == [
        {"fieldRef": {"fieldPath": "metadata.labels['batch.kubernetes.io/controller-uid']"}}  # the Job's uid only
    ]
    assert {"name": "hf-token", "mountPath": "/var/run/secrets/huggingface", "readOnly": True} in download[
        "volumeMounts"
    ]


def test_the_logic_is_the_projects_package_shipped_as_a_config_map(sglang8: Run, job: dict[str, Any]) -> None:
    (download,) = pod(job)["containers"]
    assert download["command"] == ["python", "-m", "weights"]
    env = {e["name"]: e.get("value") for e in download["env"]}
    assert env["PYTHONPATH"] == "/opt/dsr1:/deps"
    (volume,) = [v for v in pod(job)["volumes"] if v["name"] == "script"]
    (cm,) = [
        m
        for m in manifests(sglang8)
        if m["kind"] == "ConfigMap" and m["metadata"]["name"] == volume["configMap"]["name"]
    ]
    package = Path(errors.__file__).parent
    modules = {p.name: p.read_text() for p in package.glob("*.py")}
    assert {k: v for k, v in cm["data"].items() if k != "requirements.txt"} == modules
    assert {i["key"]: i["path"] for i in volume["configMap"]["items"]} == {
        **{name: f"weights/{name}" for name in modules},
        "requirements.txt": "requirements.txt",
    }


def test_the_parallelism_and_the_deadline_reach_the_downloader(job: dict[str, Any]) -> None:
    (download,) = pod(job)["containers"]
    env = {e["name"]: e.get("value") for e in download["env"]}
    assert env["DSR1_CONNECTIONS"] == "16" and env["DSR1_PART_BYTES"] == str(512 * 1024**2)
    assert env["DSR1_DEADLINE_SECONDS"] == str(job["spec"]["activeDeadlineSeconds"])


def test_images_are_pinned_by_digest(job: dict[str, Any]) -> None:
    images = {c["image"] for c in [*pod(job)["containers"], *pod(job)["initContainers"]]}
    assert images == {versions.DOWNLOADER_IMAGE} and "@sha256:" in versions.DOWNLOADER_IMAGE


def test_limits_deadline_and_retries(job: dict[str, Any]) -> None:
    assert job["spec"]["activeDeadlineSeconds"] == 6 * 3600 and job["spec"]["backoffLimit"] == 6
    for c in [*pod(job)["containers"], *pod(job)["initContainers"]]:
        assert c["resources"]["limits"]["memory"] and c["resources"]["requests"]["cpu"]


def test_permanent_download_failures_fail_the_job_without_retries(job: dict[str, Any]) -> None:
    rules = job["spec"]["podFailurePolicy"]["rules"]
    assert rules[0] == {
        "action": "FailJob",
        "onExitCodes": {"containerName": "download", "operator": "In", "values": [errors.EXIT_PERMANENT]},
    }
    assert pod(job)["restartPolicy"] == "Never"  # podFailurePolicy requires it
    assert rules[1] == {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}


def test_the_fast_path_checks_sizes_unless_hashes_are_asked_for(job: dict[str, Any]) -> None:
    (download,) = pod(job)["containers"]
    assert {"name": "DSR1_VERIFY", "value": "size"} in download["env"]


def test_a_changed_job_is_deleted_before_it_is_replaced(sglang8: Run) -> None:
    (reg,) = [
        r for r in sglang8.registrations if r.type == "kubernetes:batch/v1:Job" and r.name == "model-download-job"
    ]
    assert reg.options["deleteBeforeReplace"] is True


def test_no_ingress_and_only_https_egress(sglang8: Run) -> None:
    (np,) = [
        m for m in manifests(sglang8) if m["kind"] == "NetworkPolicy" and m["metadata"]["name"].startswith("download-")
    ]
    assert np["spec"]["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in np["spec"]
    ports = {p["port"] for rule in np["spec"]["egress"] for p in rule["ports"]}
    assert ports == {443}  # DNS: the namespace-wide allow-dns (specs/network_policies.py)


def test_model_verify_hashes_reaches_the_jobs_fast_path() -> None:
    model = {**stack_values("h200-sglang-8")["model"], "verify": "hashes"}
    run = render("h200-sglang-8", f"model={json.dumps(model)}")
    (j,) = [m for m in manifests(run) if m["kind"] == "Job" and is_download(m)]
    (download,) = pod(j)["containers"]
    assert {"name": "DSR1_VERIFY", "value": "hashes"} in download["env"]
