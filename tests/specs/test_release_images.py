"""The stack's release in what it renders: image tags (`-efa` on EFA), the EFA worker env, the platform chart."""

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from config import versions
from offline.report import manifests, summary
from offline.run import Run
from program.config_source import load_stack_config
from specs import dynamo_release, efa_worker
from tests.support import REFERENCE, render, require_reference, stack_values, stacks
from validation import releases


def _graph(run: Run) -> dict[str, Any]:
    (dgd,) = [m for m in manifests(run) if m["kind"] == "DynamoGraphDeployment"]
    return dict(dgd)


def _platform(run: Run) -> dict[str, Any]:
    (release,) = [m for m in manifests(run) if m["kind"] == "Release" and m["chart"]["name"] == "dynamo-platform"]
    return dict(release)


def _env(service: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in service.get("envs", [])}


@pytest.mark.parametrize("stack", stacks())
def test_one_release_across_chart_and_images(stack: str, rendered: Callable[[str], Run]) -> None:
    run = rendered(stack)
    efa = stack_values(stack)["gpuPool"].get("fabric", "efa") == "efa"
    tag = versions.DYNAMO_RELEASE + ("-efa" if efa else "")
    images = {s["extraPodSpec"]["mainContainer"]["image"] for s in _graph(run)["spec"]["services"].values()}
    backend = stack_values(stack)["serving"]["backend"]
    assert images == {f"{versions.DYNAMO_RUNTIME_IMAGES[backend]}:{tag}"}
    assert _platform(run)["chart"]["version"] == versions.DYNAMO_RELEASE
    prepull = [m for m in manifests(run) if m["kind"] == "DaemonSet" and "prepull" in m["metadata"]["name"]]
    assert all(c["image"].endswith(f":{tag}") for d in prepull for c in d["spec"]["template"]["spec"]["containers"])


def test_efa_workers_get_the_guides_env_and_the_engines_nixl_backend(
    sglang8: Run, rendered: Callable[[str], Run]
) -> None:
    services = _graph(sglang8)["spec"]["services"]
    for role in ("prefill", "decode"):
        env = _env(services[role])
        assert {k: env[k] for k in efa_worker.EFA_ENV} == efa_worker.EFA_ENV
        assert env["SGLANG_DISAGGREGATION_NIXL_BACKEND"] == "LIBFABRIC"
    assert "FI_PROVIDER" not in _env(services["Frontend"])
    gb200 = _graph(rendered("gb200"))["spec"]["services"]["decode"]
    assert _env(gb200)["FI_PROVIDER"] == "efa" and "TRTLLM_NIXL_KVCACHE_BACKEND" not in _env(gb200)  # NVLink KV
    dev = _graph(rendered("dev"))["spec"]["services"]["decode"]
    assert not _env(dev)  # no EFA: nothing of it


def test_trtllm_selects_libfabric_where_its_kv_crosses_efa() -> None:
    assert efa_worker.worker_env("trtllm", "efa", compute_domain=False)["TRTLLM_NIXL_KVCACHE_BACKEND"] == "LIBFABRIC"
    assert "TRTLLM_NIXL_KVCACHE_BACKEND" not in efa_worker.worker_env("trtllm", "efa", compute_domain=True)
    assert efa_worker.worker_env("vllm", "roce", compute_domain=False) == {}


def test_a_missing_efa_variant_falls_back_to_the_plain_image_and_says_so() -> None:
    rel = versions.DYNAMO_RELEASES[versions.DYNAMO_RELEASE]
    without = type(rel)(**{**rel.__dict__, "efa_images": frozenset({"vllm"})})
    assert dynamo_release.worker_tag(without, "sglang", "efa") == rel.version
    assert "no sglang `-efa` image" in (dynamo_release.efa_image_note(without, "sglang", "efa") or "")
    assert dynamo_release.worker_tag(without, "vllm", "efa") == rel.version + "-efa"
    assert dynamo_release.efa_image_note(rel, "sglang", "efa") is None


def test_bundled_grove_and_kai_get_the_staleness_setting_and_nats_is_explicit(rendered: Callable[[str], Run]) -> None:
    multi = _platform(rendered("h200-vllm-16"))["values"]
    assert multi["global"]["grove"]["install"] and multi["global"]["kai-scheduler"]["install"]
    assert multi["kai-scheduler"]["scheduler"]["args"]["default-staleness-grace-period"] == "-1s"
    assert multi["global"]["nats"]["install"] is False
    at_1_3 = _platform(render("h200-vllm-16", "dynamo.version=1.3.0"))["values"]  # vLLM: no 1.3.0 issue refuses
    assert at_1_3["global"]["nats"]["install"] is True and "scheduler" not in at_1_3["kai-scheduler"]


def test_the_render_summary_names_the_release_and_the_efa_privilege(sglang8: Run) -> None:
    text = summary(sglang8)
    assert "Dynamo 1.6.1: dynamo-platform chart 1.6.1" in text and "sglang-runtime:1.6.1-efa" in text
    assert "privileged + IPC_LOCK" in text and "fi_mr_reg" in text
    assert "pulumi config set --path 'dsr1:dynamo.deployedVersion' 1.6.1" in text  # how the next upgrade is checked
    recorded = summary(render("h200-sglang-8", "dynamo.deployedVersion=1.6.1"))
    assert "dynamo.deployedVersion' 1.6.1" not in recorded


def test_the_gb200_kv_stays_off_libfabric_so_its_fi_mr_reg_issue_does_not_refuse(
    rendered: Callable[[str], Run],
) -> None:
    gb200 = load_stack_config(stack_values("gb200"), "us-east-1")
    sglang = load_stack_config(stack_values("h200-sglang-8"), "us-east-1")
    assert "nixl-libfabric" not in releases.stack_features(gb200)
    assert "nixl-libfabric" in releases.stack_features(sglang)
    assert "wide-ep-decode" in releases.stack_features(gb200)
    assert "EFA workers: the KV stays on NVLink" in summary(rendered("gb200"))


@pytest.mark.parametrize("backend", sorted(versions.DYNAMO_RUNTIME_IMAGES))
def test_the_release_wheels_own_graphs_run_the_same_images(backend: str) -> None:
    """ai-dynamo 1.6.1's profiler DGD templates (exact wheel content, shared reference dynamo-1.6) name each backend's
    runtime image as `<repository>:<release>`, and are v1beta1 graphs (why v1alpha1 here: specs/graph_spec.py)."""
    path = REFERENCE / f"dynamo-1.6/components/src/dynamo/profiler/templates/dgd/{backend}/disagg.yaml"
    (dgd,) = [d for d in yaml.safe_load_all(require_reference(path).read_text()) if d]
    images = {str(v) for k, v in _items(dgd) if k == "image"}
    assert images == {f"{versions.DYNAMO_RUNTIME_IMAGES[backend]}:{versions.DYNAMO_RELEASE}"}
    assert dgd["apiVersion"] == "nvidia.com/v1beta1"


def _items(value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [(k, v) for k, v in value.items()] + [i for v in value.values() for i in _items(v)]
    if isinstance(value, list):
        return [i for v in value for i in _items(v)]
    return []
