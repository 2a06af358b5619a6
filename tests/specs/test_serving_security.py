"""The serving pods' hardening as the graph carries it: digests, sizing, and the switches with their skips."""

import json
from collections.abc import Callable
from typing import Any

from offline.report import manifests
from offline.run import Run
from tests.support import render, stack_values

DIGEST = "sha256:" + "ab" * 32


def _graph(run: Run) -> dict[str, Any]:
    (dgd,) = [m for m in manifests(run) if m["kind"] == "DynamoGraphDeployment"]
    return dict(dgd)


def _serving(stack: str, **fields: Any) -> str:
    return f"serving={json.dumps({**stack_values(stack)['serving'], **fields})}"


def _skips(service: dict[str, Any]) -> set[str]:
    return {v.split("=", 1)[0] for v in service["annotations"].values()}


def test_workers_get_their_share_of_the_node(sglang8: Run) -> None:
    decode = _graph(sglang8)["spec"]["services"]["decode"]
    # p5en.48xlarge: 192 vCPUs, 2,048 GiB; a worker on all 8 GPUs gets 85% of both.
    assert decode["resources"]["requests"] == {"cpu": "163", "memory": "1740Gi"}
    assert decode["resources"]["limits"]["cpu"] == "163" and decode["resources"]["limits"]["gpu"] == "8"
    assert not {"CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12", "CKV_K8S_13"} & _skips(decode)


def test_unsized_workers_on_an_existing_cluster_say_why(rendered: Callable[[str], Run]) -> None:
    prefill = _graph(rendered("dev"))["spec"]["services"]["prefill"]
    assert "cpu" not in prefill["resources"].get("requests", {})
    assert {"CKV_K8S_11", "CKV_K8S_13"} <= _skips(prefill)


def test_a_digest_pins_every_service_image_and_drops_the_skip() -> None:
    services = _graph(render("h200-sglang-8", _serving("h200-sglang-8", imageDigest=DIGEST)))["spec"]["services"]
    assert {"Frontend", "prefill", "decode"} <= set(services)
    for service in services.values():
        assert service["extraPodSpec"]["mainContainer"]["image"].endswith(f":1.6.1-efa@{DIGEST}")
        assert "CKV_K8S_43" not in _skips(service)


def test_the_privileged_switch_is_visible_in_the_skips() -> None:
    run = render("h200-sglang-8", _serving("h200-sglang-8", security={"privilegedWorkers": True}))
    services = _graph(run)["spec"]["services"]
    decode = services["decode"]["extraPodSpec"]["mainContainer"]["securityContext"]
    assert decode["privileged"] is True
    assert "CKV_K8S_16" in _skips(services["decode"])
    assert services["Frontend"]["extraPodSpec"]["mainContainer"]["securityContext"]["privileged"] is False


def test_efa_workers_get_the_privilege_efa_needs_and_only_that(sglang8: Run, rendered: Callable[[str], Run]) -> None:
    """Dynamo's EFA guide, Step 5: privileged + IPC_LOCK for fi_mr_reg on CUDA VRAM; on EFA pools' workers only."""
    services = _graph(sglang8)["spec"]["services"]
    for role in ("prefill", "decode"):
        sc = services[role]["extraPodSpec"]["mainContainer"]["securityContext"]
        assert sc["privileged"] is True and sc["capabilities"] == {"drop": ["ALL"], "add": ["IPC_LOCK"]}, role
        assert sc["runAsNonRoot"] and sc["runAsUser"] == 1000 and sc["seccompProfile"] == {"type": "RuntimeDefault"}
        assert {"CKV_K8S_16", "CKV_K8S_20", "CKV_K8S_25", "CKV_K8S_37"} <= _skips(services[role])
        assert "fi_mr_reg" in " ".join(services[role]["annotations"].values())
    frontend = services["Frontend"]["extraPodSpec"]["mainContainer"]["securityContext"]
    assert frontend["privileged"] is False and frontend["capabilities"] == {"drop": ["ALL"]}
    for role, service in _graph(rendered("dev"))["spec"]["services"].items():  # no EFA: fully hardened
        sc = service["extraPodSpec"]["mainContainer"]["securityContext"]
        assert sc["privileged"] is False and sc["capabilities"] == {"drop": ["ALL"]}, role


def test_hardened_by_default(rendered: Callable[[str], Run]) -> None:
    services = _graph(rendered("dev"))["spec"]["services"]  # off EFA: nothing the fabric needs is added
    assert {"Frontend", "prefill", "decode"} <= set(services)
    for name, service in services.items():
        pod = service["extraPodSpec"]
        sc = pod["mainContainer"]["securityContext"]
        assert sc["runAsNonRoot"] and sc["readOnlyRootFilesystem"] and not sc["allowPrivilegeEscalation"], name
        assert sc["capabilities"] == {"drop": ["ALL"]}, name
        mounts = {m["mountPath"] for m in pod["mainContainer"]["volumeMounts"]}
        assert {"/home/dynamo", "/tmp"} <= mounts, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
