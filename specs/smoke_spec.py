"""The endpoint checks after the graph is Ready: the smoke-test Job (always) and the benchmark Job (optional).

Pure builders of plain manifests; `components/endpoint_checks.py` wires them into resources.
"""

import hashlib
import json
import shlex
from typing import Any

import pulumi

from config import versions
from config.schema import Benchmark
from specs.in_pod_files import in_pod_file
from specs.job_manifest import job
from specs.model_layout import CACHE_OWNER_UID
from specs.pod_security import restricted
from specs.security_skips import ENDPOINT_CHECK_SKIPS, checkov_annotations

CLIENT_FILE = "smoke_client.py"
CLIENT_SOURCE = in_pod_file(CLIENT_FILE)
CLIENT_DIR = "/opt/smoke"
BENCHMARK_REQUIREMENTS = in_pod_file("requirements/benchmark.txt")
"""aiperf and every dependency, pinned with their files' hashes (scripts/lock_pod_requirements.sh)."""
REQUIREMENTS_KEY = "requirements.txt"
REQUIREMENTS_DIR = "/opt/benchmark"
REQUIREMENTS_PATH = f"{REQUIREMENTS_DIR}/{REQUIREMENTS_KEY}"
SMOKE_DEADLINE_S = 30 * 60
"""The graph is Ready before the Job starts; 30 min covers the client's retries while the frontend registers the
workers (10 attempts, up to 5 min each) with room to spare."""
BENCHMARK_DEADLINE_S = 6 * 3600
"""10 x concurrency requests of a few thousand tokens; six hours bounds a stuck run without cutting a slow one."""
RESULTS_ROOT = "results"
"""The cache's writable directory for everything but weights (model_layout.WRITABLE_DIRS)."""
RESULTS_DIR = f"{RESULTS_ROOT}/benchmarks"
"""Under the cache root: benchmark artifacts outlive the Job with the weights (the claim is retained)."""
CACHE_ROOT = "/cache"

HARDENED_CONTAINER: dict[str, Any] = restricted()
"""Non-root (nobody), read-only root, no capabilities, no escalation, the runtime's seccomp profile."""


def client_source() -> str:
    return CLIENT_SOURCE.read_text()


def smoke_job_name(graph_name: str, graph_spec: dict[str, Any]) -> str:
    """Named after the graph's spec and the client: any change to either runs the check again (Jobs are immutable
    and Pulumi replaces a Job whose name changes)."""
    digest = hashlib.sha256(json.dumps(graph_spec, sort_keys=True).encode() + client_source().encode())
    return f"{graph_name}-smoke-{digest.hexdigest()[:8]}"


def _labels(graph_name: str, role: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": role, "app.kubernetes.io/part-of": graph_name}


def smoke_config_map(*, name: str, namespace: pulumi.Input[str], graph_name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": _labels(graph_name, "smoke-test")},
        "data": {CLIENT_FILE: client_source()},
    }


def benchmark_config_map(*, name: str, namespace: pulumi.Input[str], graph_name: str) -> dict[str, Any]:
    """The benchmark's lock, shipped beside the Job that installs it."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": _labels(graph_name, "benchmark")},
        "data": {REQUIREMENTS_KEY: BENCHMARK_REQUIREMENTS.read_text()},
    }


def _pod(containers: list[dict[str, Any]], volumes: list[dict[str, Any]], node_selector: dict[str, str]) -> Any:
    pod: dict[str, Any] = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": containers,
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}, *volumes],
    }
    if node_selector:
        pod["nodeSelector"] = dict(node_selector)
    return pod


def smoke_job(
    *,
    name: str,
    namespace: pulumi.Input[str],
    graph_name: str,
    config_map: pulumi.Input[str],
    url: str,
    served_model_name: str,
    node_selector: dict[str, str],
) -> dict[str, Any]:
    """A batch/v1 Job running the client from the ConfigMap with the pinned Python image; it fails (and so does
    `pulumi up`, which waits for Jobs) when the endpoint does not list the model or answers empty."""
    labels = _labels(graph_name, "smoke-test")
    container = {
        "name": "smoke",
        "image": versions.SMOKE_IMAGE,
        "imagePullPolicy": "Always",  # pinned by digest: Always only re-checks the manifest
        "command": ["python", f"{CLIENT_DIR}/{CLIENT_FILE}", "--url", url, "--model", served_model_name],
        "env": [{"name": "PYTHONDONTWRITEBYTECODE", "value": "1"}, {"name": "PYTHONUNBUFFERED", "value": "1"}],
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "256Mi"},
        },
        "securityContext": HARDENED_CONTAINER,
        "volumeMounts": [
            {"name": "client", "mountPath": CLIENT_DIR, "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
    volumes = [{"name": "client", "configMap": {"name": config_map, "defaultMode": 0o444}}]
    return job(
        name,
        namespace,
        labels,
        checkov_annotations(ENDPOINT_CHECK_SKIPS),
        _pod([container], volumes, node_selector),
        backoff_limit=1,  # the client retries by itself; a second pod only helps if the node died
        deadline_s=SMOKE_DEADLINE_S,
    )


def benchmark_script(
    *, bench: Benchmark, url: str, served_model_name: str, tokenizer_dir: str, results_dir: str
) -> str:
    """aiperf as in the upstream perf.yaml: synthetic prompts of a fixed length, a fixed output length (EOS ignored),
    streaming chat, 10 x concurrency requests after a warm-up; artifacts under the results dir, one per run."""
    q = shlex.quote
    c = bench.concurrency
    isl, osl = bench.input_length, bench.output_length
    profile = [
        "$HOME/.local/bin/aiperf profile",
        f"--artifact-dir {q(results_dir)}/$RUN",
        f"--model {q(served_model_name)} --tokenizer {q(tokenizer_dir)}",
        f"--endpoint-type chat --endpoint /v1/chat/completions --streaming --url {q(url)}",
        f"--synthetic-input-tokens-mean {isl} --synthetic-input-tokens-stddev 0",
        f"--output-tokens-mean {osl} --output-tokens-stddev 0",
        f"--extra-inputs max_tokens:{osl} --extra-inputs min_tokens:{osl} --extra-inputs ignore_eos:true",
        "--extra-inputs temperature:0.0",
        f"--concurrency {c} --request-count {10 * c} --warmup-request-count {c}",
        "--random-seed 100 --ui simple",
    ]
    config = json.dumps({"isl": isl, "osl": osl, "concurrency": c, "model": served_model_name, "url": url})
    return "\n".join(
        [
            "set -eu",
            'RUN="$(date -u +%Y%m%dT%H%M%SZ)-$JOB_NAME"',
            # Every file checked against the lock's hashes (aiperf and all it pulls in); nothing resolved, and
            # nothing built (a source build would fetch its build backend unhashed). Every locked package has a
            # cp312 x86_64 wheel, what the CPU system nodes run; crick 0.0.8 has none for aarch64. (checked with
            # `pip download --only-binary=:all: --require-hashes` for both platforms)
            f"pip install --no-cache-dir --user --require-hashes --no-deps --only-binary=:all: -r {REQUIREMENTS_PATH}",
            "python -m pip check",  # --no-deps installed exactly the lock; this proves it complete
            f'mkdir -p {q(results_dir)}/"$RUN"',
            f'echo {q(config)} > {q(results_dir)}/"$RUN"/input_config.json',
            " \\\n  ".join(profile),
            f'echo "results: {results_dir}/$RUN"',
        ]
    )


def benchmark_job(
    *,
    name: str,
    namespace: pulumi.Input[str],
    graph_name: str,
    bench: Benchmark,
    url: str,
    served_model_name: str,
    model_dir: str,
    pvc_name: pulumi.Input[str],
    node_selector: dict[str, str],
    requirements_config_map: pulumi.Input[str],
) -> dict[str, Any]:
    """A batch/v1 Job running aiperf against the frontend; results land in the cache under `results/benchmarks/`."""
    labels = _labels(graph_name, "benchmark")
    # A measurement, not a gate: `pulumi up` does not wait hours for it; its logs and results say how it went.
    annotations = {"pulumi.com/skipAwait": "true", **checkov_annotations(ENDPOINT_CHECK_SKIPS)}
    script = benchmark_script(
        bench=bench,
        url=url,
        served_model_name=served_model_name,
        tokenizer_dir=f"{CACHE_ROOT}/{model_dir}",
        results_dir=f"{CACHE_ROOT}/{RESULTS_DIR}/{graph_name}",
    )
    container = {
        "name": "aiperf",
        "image": versions.BENCHMARK_IMAGE,
        "imagePullPolicy": "Always",  # pinned by digest: Always only re-checks the manifest
        "command": ["sh", "-c", script],
        "env": [
            {"name": "HOME", "value": "/tmp"},
            {"name": "HF_HUB_OFFLINE", "value": "1"},
            {"name": "PYTHONUNBUFFERED", "value": "1"},
            {"name": "JOB_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['job-name']"}}},
        ],
        "resources": {"requests": {"cpu": "4", "memory": "8Gi"}, "limits": {"cpu": "8", "memory": "16Gi"}},
        # It writes into results/, which the download Job's prepare-cache step hands to this UID. That UID also owns
        # the weights, so the cache is mounted in two parts only: results/ (read-write, what it writes) and the one
        # model directory it reads the tokenizer from (read-only); nothing else of the cache is in the pod.
        "securityContext": {**HARDENED_CONTAINER, "runAsUser": CACHE_OWNER_UID, "runAsGroup": CACHE_OWNER_UID},
        "volumeMounts": [
            {"name": "model-cache", "mountPath": f"{CACHE_ROOT}/{model_dir}", "subPath": model_dir, "readOnly": True},
            {"name": "model-cache", "mountPath": f"{CACHE_ROOT}/{RESULTS_ROOT}", "subPath": RESULTS_ROOT},
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": "requirements", "mountPath": REQUIREMENTS_DIR, "readOnly": True},
        ],
    }
    volumes = [
        {"name": "model-cache", "persistentVolumeClaim": {"claimName": pvc_name}},
        {"name": "requirements", "configMap": {"name": requirements_config_map, "defaultMode": 0o444}},
    ]
    pod = _pod([container], volumes, node_selector)
    pod["volumes"][0]["emptyDir"]["sizeLimit"] = "8Gi"  # aiperf and its dependencies are installed here
    return job(
        name,
        namespace,
        labels,
        annotations,
        pod,
        backoff_limit=0,  # a retried benchmark would mix two runs' load; rerun it deliberately
        deadline_s=BENCHMARK_DEADLINE_S,
    )


def cost_per_million_tokens(cost_per_hour_usd: float, output_tokens_per_second: float) -> float:
    """USD per million output tokens at a measured throughput: the hour's cost over the tokens made in that hour.

    E.g. $126.59/h at 5,000 output tokens/s: 126.59 / (5,000 x 3,600) x 1e6 = $7.03 per million.
    """
    if output_tokens_per_second <= 0:
        raise ValueError("output_tokens_per_second must be positive")
    return cost_per_hour_usd / (output_tokens_per_second * 3600) * 1_000_000
