"""Weights read-only to everyone but the downloader, in every stack's render (and with the benchmark on).

The download Job alone mounts the cache read-write; the benchmark mounts results/ (what it writes) and its model
directory read-only; the smoke test mounts none of it; the graph's pods run as a UID that does not own the
weights (the Dynamo operator's volumeMounts have no readOnly field, so the owner's UID is what keeps them out).
"""

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from offline.checks.operator_pods import graph_deployments
from offline.report import manifests
from offline.run import Run
from specs.model_layout import CACHE_OWNER_UID
from specs.smoke_spec import RESULTS_ROOT
from tests.support import render, stack_values, stacks


def _pods(run: Run) -> Iterator[tuple[str, dict[str, Any]]]:
    """The pods the stack runs itself (the graph's, made by the operator, are checked by their UID below)."""
    for m in manifests(run):
        if m["kind"] in ("Job", "DaemonSet", "Deployment", "StatefulSet"):
            role = m["spec"]["template"]["metadata"].get("labels", {}).get("app.kubernetes.io/name", "")
            yield f"{role}:{m['metadata']['name']}", m["spec"]["template"]["spec"]


def _cache_mounts(pod: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    claims = {v["name"]: v["persistentVolumeClaim"] for v in pod.get("volumes") or [] if "persistentVolumeClaim" in v}
    for c in [*(pod.get("initContainers") or []), *pod["containers"]]:
        for mount in c.get("volumeMounts") or []:
            if mount["name"] in claims:
                yield c["name"], mount, claims[mount["name"]]


def _with_benchmark() -> Run:
    serving = stack_values("h200-sglang-8")["serving"]
    serving["benchmark"] = {"enabled": True}
    return render("h200-sglang-8", f"serving={json.dumps(serving)}")


def _check(run: Run) -> list[str]:
    writers = []
    for name, pod in _pods(run):
        for container, mount, claim in _cache_mounts(pod):
            read_only = mount.get("readOnly") or claim.get("readOnly")
            if read_only:
                continue
            if mount.get("subPath") == RESULTS_ROOT:
                continue  # the benchmark's results, beside the weights, never the weights
            writers.append(f"{name}/{container}:{mount['mountPath']}")
    return writers


@pytest.mark.parametrize("stack", stacks())
def test_only_the_download_job_mounts_the_weights_writable(stack: str, rendered: Callable[[str], Run]) -> None:
    writers = _check(rendered(stack))
    assert writers, "the download Job writes the cache: nothing found means the walk is vacuous"
    assert all(w.startswith("model-download:") for w in writers), writers


def test_the_benchmark_mounts_only_results_writable_and_its_model_read_only() -> None:
    run = _with_benchmark()
    (bench,) = [pod for name, pod in _pods(run) if name.startswith("benchmark:")]
    mounts = {m["mountPath"]: m for _, m, _ in _cache_mounts(bench)}
    assert len(mounts) == 2
    (model,) = [m for m in mounts.values() if m["subPath"].startswith("models/")]
    assert model["readOnly"] is True and model["mountPath"] == f"/cache/{model['subPath']}"
    assert mounts["/cache/results"] == {"name": "model-cache", "mountPath": "/cache/results", "subPath": "results"}
    assert all(w.startswith("model-download:") for w in _check(run)), _check(run)


def test_the_smoke_test_mounts_nothing_of_the_cache(sglang8: Run) -> None:
    (smoke,) = [pod for name, pod in _pods(sglang8) if name.startswith("smoke-test:")]
    assert list(_cache_mounts(smoke)) == []
    assert not any("persistentVolumeClaim" in v for v in smoke.get("volumes") or [])


@pytest.mark.parametrize("stack", stacks())
def test_the_graphs_pods_do_not_run_as_the_owner_of_the_weights(stack: str, rendered: Callable[[str], Run]) -> None:
    (dgd,) = [m for m in manifests(rendered(stack)) if m["kind"] == "DynamoGraphDeployment"]
    uids = set()
    for d in graph_deployments(dgd):
        pod = d["spec"]["template"]["spec"]
        for c in pod["containers"]:
            uids.add(
                (c.get("securityContext") or {}).get("runAsUser", (pod.get("securityContext") or {}).get("runAsUser"))
            )
    assert uids and None not in uids and CACHE_OWNER_UID not in uids, uids
