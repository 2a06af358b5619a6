"""The engines' compile caches persist on the shared cache: every worker mounts its keyed directory as ~/.cache and
every cache variable of its engine points there; the download Job's prepare step makes the directory the workers'."""

from collections.abc import Callable
from typing import Any

import pytest

from config import catalog
from config.schema import StackConfig
from offline.checks.operator_pods import graph_deployments
from offline.report import manifests
from offline.run import Run
from specs import compile_cache
from specs.serving_security import RUNTIME_HOME, RUNTIME_UID
from tests.support import render, stack_values, stacks


def _graph(run: Run) -> dict[str, Any]:
    (graph,) = [m for m in manifests(run) if m["kind"] == "DynamoGraphDeployment"]
    return graph


def _prepare(run: Run) -> str:
    (job,) = [
        m
        for m in manifests(run)
        if m["kind"] == "Job" and m["metadata"].get("labels", {}).get("app.kubernetes.io/name") == "model-download"
    ]
    (prepare,) = [c for c in job["spec"]["template"]["spec"]["initContainers"] if c["name"] == "prepare-cache"]
    command: str = prepare["command"][-1]
    return command


@pytest.mark.parametrize("stack", stacks())
def test_every_worker_keeps_its_jit_caches_on_the_shared_cache(stack: str, rendered: Callable[[str], Run]) -> None:
    run = rendered(stack)
    graph = _graph(run)
    (claim,) = graph["spec"]["pvcs"]
    workers = {n: s for n, s in graph["spec"]["services"].items() if s["componentType"] == "worker"}
    assert set(workers) == {"prefill", "decode"}
    backend = graph["metadata"]["name"]  # only to name failures
    keyed = set()
    for name, svc in workers.items():
        main = svc["extraPodSpec"]["mainContainer"]
        (mount,) = [m for m in main["volumeMounts"] if m["mountPath"] == compile_cache.CACHE_HOME]
        # The operator names the claim's pod volume after the claim (its volumeMounts[].name).
        assert mount["name"] == claim["name"] and {v["name"] for v in svc["volumeMounts"]} == {claim["name"]}
        assert mount["subPath"].startswith(f"{compile_cache.ROOT_DIR}/") and not mount.get("readOnly")
        keyed.add(mount["subPath"])
        env = {e["name"]: e["value"] for e in main["env"]}
        engine = next(b for b in compile_cache.ENGINE_ENV if mount["subPath"].split("/")[1].startswith(b + "-"))
        for var, path in compile_cache.env(engine).items():
            assert env[var] == path, (backend, name, var)
            assert path.startswith(compile_cache.CACHE_HOME) or var == "FLASHINFER_WORKSPACE_BASE"
    # One key for the graph (engine, image, GPU), created and given to the runtime user before any worker starts.
    (sub_path,) = keyed
    assert f"mkdir -p {sub_path} && chown {RUNTIME_UID}:{RUNTIME_UID} {sub_path}" in _prepare(run)
    # The weights stay apart: the workers' writable directory is not under models/.
    assert not sub_path.startswith("models")
    frontend = graph["spec"]["services"]["Frontend"]["extraPodSpec"]["mainContainer"]
    assert all(m["mountPath"] != compile_cache.CACHE_HOME for m in frontend["volumeMounts"])


def test_flashinfer_writes_under_the_mount() -> None:
    # FlashInfer appends .cache/flashinfer to its base: with the base at HOME, that is inside ~/.cache.
    assert compile_cache.COMMON_ENV["FLASHINFER_WORKSPACE_BASE"] + "/.cache" == compile_cache.CACHE_HOME
    assert f"{RUNTIME_HOME}/.cache" == compile_cache.CACHE_HOME


def test_the_key_changes_with_the_engine_the_image_and_the_gpu() -> None:
    base = StackConfig.model_validate(stack_values("h200-sglang-8")).serving
    h200 = catalog.INSTANCE_TYPES["p5en.48xlarge"]
    other = next(t for t in catalog.INSTANCE_TYPES.values() if t.gpu != h200.gpu)
    keys = {
        compile_cache.key(base, h200),
        compile_cache.key(base, other),
        compile_cache.key(base.model_copy(update={"image_tag": "9.9.9"}), h200),
        compile_cache.key(base.model_copy(update={"image_digest": "sha256:" + "a" * 64}), h200),
        compile_cache.key(base.model_copy(update={"backend": "vllm"}), h200),
    }
    assert len(keys) == 5
    assert all(k.replace("-", "").replace(".", "").isalnum() and k == k.lower() for k in keys)


def test_a_variable_the_stack_sets_itself_wins() -> None:
    run = render("h200-sglang-8", 'serving.decode.env={"TRITON_CACHE_DIR": "/tmp/triton"}')
    main = _graph(run)["spec"]["services"]["decode"]["extraPodSpec"]["mainContainer"]
    values = [e["value"] for e in main["env"] if e["name"] == "TRITON_CACHE_DIR"]
    assert values == ["/tmp/triton"]


@pytest.mark.parametrize("stack", stacks())
def test_in_the_operators_pods_the_compile_cache_is_the_claims_volume(
    stack: str, rendered: Callable[[str], Run]
) -> None:
    for d in graph_deployments(_graph(rendered(stack))):
        pod = d["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        (main,) = pod["containers"]
        assert all(m["name"] in volumes for m in main["volumeMounts"]), d["metadata"]["name"]
        cache = [m for m in main["volumeMounts"] if m["mountPath"] == compile_cache.CACHE_HOME]
        if d["metadata"]["labels"]["nvidia.com/dynamo-component-type"] == "worker":
            (mount,) = cache
            assert "persistentVolumeClaim" in volumes[mount["name"]]
        else:
            assert cache == []
