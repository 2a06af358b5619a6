"""The download runs on a node chosen for its network, only the download lands there, and the Job waits for it and
for the cache's CSI driver; without the download node, the Job stays on the system nodes."""

from collections.abc import Callable
from typing import Any

import pytest

from config.errors import ConfigError
from offline.mocks import Registration
from offline.report import inputs, manifests
from offline.run import Run
from program.config_source import load_stack_config
from specs import download_node
from specs.scheduling import SYSTEM_LABELS
from tests.support import render, stack_values

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


def _one(run: Run, type_: str, name: str) -> Registration:
    (found,) = [r for r in run.registrations if r.type == type_ and r.name == name]
    return found


def _download_pod(run: Run) -> dict[str, Any]:
    (job,) = [
        m
        for m in manifests(run)
        if m["kind"] == "Job" and m["metadata"].get("labels", {}).get("app.kubernetes.io/name") == "model-download"
    ]
    spec: dict[str, Any] = job["spec"]["template"]["spec"]
    return spec


def test_one_tainted_network_node_for_the_download(sglang8: Run) -> None:
    group = _one(sglang8, NODE_GROUP, "cluster-download-nodes")
    data = inputs(group)
    assert data["instanceTypes"] == [download_node.DEFAULT_TYPE]
    assert data["scalingConfig"] == {"desiredSize": 1, "minSize": 0, "maxSize": 1}
    assert data["labels"] == download_node.LABELS
    assert data["taints"] == [{"key": "dsr1.io/download", "value": "true", "effect": "NO_SCHEDULE"}]
    # Scaled to 0 by hand after the download (downloadNodeScaleDown): a later `up` leaves the size alone.
    assert group.options["ignoreChanges"] == ["scalingConfig.desiredSize"]
    assert "--nodegroup-name cluster-download-nodes" in sglang8.outputs["downloadNodeScaleDown"]
    assert "desiredSize=0" in sglang8.outputs["downloadNodeScaleDown"]


def test_only_the_download_job_tolerates_the_download_node(sglang8: Run) -> None:
    tolerating = [
        m["metadata"]["name"]
        for m in manifests(sglang8)
        if any(
            t.get("key") == "dsr1.io/download"
            for t in (m.get("spec", {}).get("template", {}).get("spec", {}).get("tolerations") or [])
        )
    ]
    assert len(tolerating) == 1 and tolerating[0].startswith("download-")
    pod = _download_pod(sglang8)
    affinity = pod["affinity"]["nodeAffinity"]
    (required,) = affinity["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert required["matchExpressions"] == [{"key": "dsr1.io/pool", "operator": "In", "values": ["download", "system"]}]
    (preferred,) = affinity["preferredDuringSchedulingIgnoredDuringExecution"]
    assert preferred["preference"]["matchExpressions"][0]["values"] == ["download"]
    assert "nodeSelector" not in pod


def test_the_download_waits_for_its_node_and_the_caches_csi_driver(sglang8: Run) -> None:
    (job,) = [
        r for r in sglang8.registrations if r.type == "kubernetes:batch/v1:Job" and r.name == "model-download-job"
    ]
    node = _one(sglang8, NODE_GROUP, "cluster-download-nodes")
    csi = _one(sglang8, "aws:eks/addon:Addon", "cluster-aws-fsx-csi-driver")
    assert node.urn in job.dependencies and csi.urn in job.dependencies
    (gate,) = [r for r in sglang8.registrations if r.type == "kubernetes:batch/v1:Job" and r.name == "gpu-gate-job"]
    assert csi.urn in gate.dependencies


def test_the_download_rate_uses_the_download_nodes_internet_share(sglang8: Run) -> None:
    inputs_ = sglang8.outputs["timeToEndpoint"]["inputs"]
    assert inputs_["download_node"] == "c6in.8xlarge" and inputs_["node_internet_mbps"] == 3125.0
    # Below 32 vCPUs traffic leaving the VPC gets 5 Gbps (AWS EC2 instance network bandwidth).
    assert download_node.internet_mbps("m7i.4xlarge") == 625.0
    assert download_node.internet_mbps("c6in.16xlarge") == 6250.0
    assert download_node.internet_mbps("x9.unknown") is None


def test_without_the_download_node_the_job_stays_on_the_system_nodes(rendered: Callable[[str], Run]) -> None:
    run = render("h200-sglang-8", "target.downloadNode.enabled=false")
    assert not [r for r in run.registrations if r.type == NODE_GROUP and r.name == "cluster-download-nodes"]
    pod = _download_pod(run)
    assert pod["nodeSelector"] == SYSTEM_LABELS and "affinity" not in pod
    est = run.outputs["timeToEndpoint"]
    assert est["inputs"]["download_node"] == "m7i.4xlarge" and est["download"]["mbps"] == 625.0
    assert "downloadNodeScaleDown" not in run.outputs


def test_a_download_node_type_of_unknown_network_is_refused_with_its_fix() -> None:
    values = stack_values("h200-sglang-8")
    values["target"] = {**values["target"], "downloadNode": {"instanceType": "c7gn.8xlarge"}}  # Graviton: not x86
    with pytest.raises(ConfigError) as err:
        load_stack_config(values, "us-east-1")
    (problem,) = err.value.problems
    assert problem.key == "dsr1:target.downloadNode" and "c6in.8xlarge" in problem.fix
