"""checkov over every stack's rendered manifests, and over the graph's services as the Deployments the Dynamo
operator creates from them (offline/checks/operator_pods.py): zero failed checks, every skipped check has its reason.

checkov runs once per session, as one subprocess over all stacks (its pins conflict with the Pulumi SDK's, so
`make test` installs it into .venv-checkov and passes its path in CHECKOV).
"""

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline.checks.operator_pods import graph_deployments
from offline.report import manifests
from offline.run import Run
from specs.security_skips import DOWNLOAD_JOB_SKIPS, checkov_annotations
from tests.conftest import RENDER_TOKEN
from tests.support import ROOT, render, stack_values, stacks

CANARY = "canary.yaml"
SWITCHED = "h200-sglang-8-switches"
CANARY_JOB = {
    "apiVersion": "batch/v1",
    "kind": "Job",
    "metadata": {"name": "bare", "namespace": "x", "annotations": checkov_annotations(DOWNLOAD_JOB_SKIPS)},
    "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "python"}]}}},
}
CHECKOV = os.environ.get("CHECKOV") or str(ROOT / ".venv-checkov" / "bin" / "checkov")


def _checkov() -> str:
    found = shutil.which(CHECKOV)
    if found is None:
        pytest.skip(f"checkov not found at {CHECKOV}: `make test` installs it into .venv-checkov")
    return str(Path(found).resolve())  # the scan runs in the manifests' directory


def scan(directory: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [_checkov(), "-d", str(directory), "--framework", "kubernetes", "-o", "json", "--compact", "--skip-download"],
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
        cwd=directory,
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]  # 1: some check failed
    reports = json.loads(result.stdout)
    return reports if isinstance(reports, list) else [reports]


@pytest.fixture(scope="session")
def scan_inputs(rendered: Callable[[str], Run]) -> dict[str, list[dict[str, Any]]]:
    """Every stack's manifests and the operator's Deployments, and the escape hatches: privileged workers and a
    writable root are still explained, never silent failures."""
    runs = {stack: rendered(stack) for stack in stacks()}
    serving = {**stack_values("h200-sglang-8")["serving"]}
    serving["security"] = {"privilegedWorkers": True, "readOnlyRootFilesystem": False}
    runs[SWITCHED] = render("h200-sglang-8", f"hfToken={RENDER_TOKEN}", f"serving={json.dumps(serving)}")
    inputs = {}
    for stack, run in runs.items():
        docs = manifests(run)
        (dgd,) = [m for m in docs if m["kind"] == "DynamoGraphDeployment"]
        inputs[stack] = [*docs, *graph_deployments(dgd)]
    return inputs


def _strip_skips(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_skips(v) for k, v in value.items() if not str(k).startswith("checkov.io/skip")}
    if isinstance(value, list):
        return [_strip_skips(v) for v in value]
    return value


@pytest.fixture(scope="session")
def unskipped(scan_inputs: dict[str, list[dict[str, Any]]], tmp_path_factory: pytest.TempPathFactory) -> set[Any]:
    """(file, resource, check) of every failure once every skip annotation is removed."""
    directory = tmp_path_factory.mktemp("checkov-unskipped")
    for stack, docs in scan_inputs.items():
        (directory / f"{stack}.yaml").write_text(yaml.safe_dump_all(_strip_skips(docs), sort_keys=False))
    return {
        (Path(c["file_path"]).name, c["resource"], c["check_id"])
        for report in scan(directory)
        for c in report["results"].get("failed_checks", [])
    }


@pytest.fixture(scope="session")
def scanned(
    scan_inputs: dict[str, list[dict[str, Any]]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[Any]]:
    directory = tmp_path_factory.mktemp("checkov")
    for stack, docs in scan_inputs.items():
        (directory / f"{stack}.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
    (directory / CANARY).write_text(yaml.safe_dump(CANARY_JOB))
    results: dict[str, list[Any]] = {"passed_checks": [], "failed_checks": [], "skipped_checks": []}
    for report in scan(directory):
        for k, found in results.items():
            found += report["results"].get(k, [])
    canary = [c for c in results["failed_checks"] if c["file_path"].endswith(CANARY)]
    results["failed_checks"] = [c for c in results["failed_checks"] if c not in canary]
    results["canary_failed"] = canary
    return results


def test_checkov_finds_no_unexplained_failure(scanned: dict[str, list[Any]]) -> None:
    failed = sorted(
        f"{c['file_path']}: {c['check_id']} {c['resource']} ({c['check_name']})" for c in scanned["failed_checks"]
    )
    assert failed == []
    assert len(scanned["passed_checks"]) > 100  # it did scan every stack's objects


def test_the_serving_pods_were_scanned(scanned: dict[str, list[Any]]) -> None:
    """Each stack's frontend, prefill and decode Deployments passed the hardening checks (not skipped past them)."""
    by_resource: dict[tuple[str, str, str], set[str]] = {}
    for c in scanned["passed_checks"]:
        kind, namespace, name = c["resource"].split(".")[:3]  # CKV2 checks name the Deployment's pods "Pod."
        stack = c["file_path"].rsplit("/", 1)[-1].removesuffix(".yaml")  # two stacks may share a graph's names
        if kind in ("Deployment", "Pod") and stack in stacks():
            by_resource.setdefault((stack, namespace, name), set()).add(c["check_id"])
    serving = {r: ids for r, ids in by_resource.items() if r[2].endswith(("-frontend", "-prefill", "-decode"))}
    assert len(serving) == 3 * len(stacks())
    hardened = {"CKV_K8S_20", "CKV_K8S_22", "CKV_K8S_23", "CKV_K8S_28", "CKV_K8S_31", "CKV_K8S_37", "CKV2_K8S_6"}
    # EFA workers are privileged with IPC_LOCK (Dynamo's EFA guide, specs/efa_worker.py): those two checks are
    # skipped with that reason (test_efa_workers_skip_only_the_privilege_checks), the rest still pass.
    efa_skipped = {"CKV_K8S_20", "CKV_K8S_23", "CKV_K8S_37"}
    efa_stacks = {s for s in stacks() if stack_values(s)["gpuPool"].get("fabric", "efa") == "efa"}
    for resource, ids in serving.items():
        efa_worker = resource[2].endswith(("-prefill", "-decode")) and resource[0] in efa_stacks
        expected = hardened - efa_skipped if efa_worker else hardened
        assert expected <= ids, (resource, expected - ids)


def test_efa_workers_skip_only_the_privilege_checks(scanned: dict[str, list[Any]]) -> None:
    efa = [
        c
        for c in scanned["skipped_checks"]
        if "fi_mr_reg" in str((c.get("check_result") or {}).get("suppress_comment"))
    ]
    assert {c["check_id"] for c in efa} >= {"CKV_K8S_16", "CKV_K8S_20"}
    # the workers, and the fabric check's KV transfer, which runs in the decode worker's own pod spec
    worker = ("-prefill", "-decode", "fabric-check-kv")
    assert all(c["resource"].split(".")[2].endswith(worker) for c in efa), [
        c["resource"] for c in efa if not c["resource"].split(".")[2].endswith(worker)
    ]


def test_the_switches_are_skipped_with_their_reasons(scanned: dict[str, list[Any]]) -> None:
    skipped = {c["check_id"] for c in scanned["skipped_checks"] if c["file_path"].endswith(f"{SWITCHED}.yaml")}
    assert {"CKV_K8S_16", "CKV_K8S_20", "CKV_K8S_22"} <= skipped


def test_every_skipped_check_has_a_reason(scanned: dict[str, list[Any]]) -> None:
    assert scanned["skipped_checks"]
    for c in scanned["skipped_checks"]:
        assert len((c.get("check_result") or {}).get("suppress_comment") or "") > 20, c["check_id"]


def test_the_scan_fails_an_unexplained_finding(scanned: dict[str, list[Any]]) -> None:
    """The canary (a bare Job with the download Job's skips) is reported for what it does not skip, and not for
    what it does: a clean scan of the stacks is not an accident."""
    failed = {c["check_id"] for c in scanned["canary_failed"]}
    assert "CKV_K8S_14" in failed  # image without a tag
    assert not failed & set(DOWNLOAD_JOB_SKIPS)


def test_every_skip_suppresses_a_real_failure(scanned: dict[str, list[Any]], unskipped: set[Any]) -> None:
    """The smallest skip that works: each skipped (object, check) fails once its skip annotation is removed, so no
    skip is decoration (and none covers an object that would pass)."""
    skipped = {
        (Path(c["file_path"]).name, c["resource"], c["check_id"])
        for c in scanned["skipped_checks"]
        if not c["file_path"].endswith(CANARY)
    }
    assert skipped
    assert not skipped - unskipped, sorted(skipped - unskipped)
