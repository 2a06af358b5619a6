"""The twin's plan from a render: the frontend as the operator runs it, one mocker per worker replica with the
worker's role and shape, the smoke and benchmark Jobs' own commands pointed at the twin."""

import copy
import json
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from offline import report
from offline.run import Run
from tools.local_twin import model_dir
from tools.local_twin.__main__ import CHECK_BENCHMARK
from tools.local_twin.plan import PlanError, TwinPlan, at_url, command_line, flag_value, plan
from tools.local_twin.twin import render

PORT = 8123
MODEL = "/twin/model"
ARTIFACTS = "/twin/bench"
TWIN_ENV = {"DYN_DISCOVERY_BACKEND": "file", "HF_HOME": "/twin/hf-home"}
ROOT = Path(__file__).resolve().parents[2]


def plan_of(docs: list[dict[str, Any]], outputs: dict[str, Any]) -> TwinPlan:
    return plan(docs, outputs, port=PORT, model_dir=MODEL, twin_env=TWIN_ENV, artifacts_dir=ARTIFACTS)


def docs_of(run: Run) -> list[dict[str, Any]]:
    return [d for d in report.manifests(run) if d]


@pytest.fixture(scope="module")
def twins(rendered: Callable[[str], Run]) -> dict[str, TwinPlan]:
    return {s: plan_of(docs_of(rendered(s)), rendered(s).outputs) for s in ("dev", "h200-sglang-8", "h200-vllm-16")}


def by_name(p: TwinPlan) -> dict[str, tuple[str, ...]]:
    return {m.name: m.args for m in p.mockers}


def test_frontend_runs_as_the_operator_runs_it_on_loopback(twins: dict[str, TwinPlan]) -> None:
    p = twins["dev"]
    # The rendered Frontend has no command: the operator's default `python3 -m dynamo.frontend`.
    assert p.frontend.args == ("-m", "dynamo.frontend", "--http-host", "127.0.0.1", "--http-port", str(PORT))
    assert p.frontend.env["DYN_NAMESPACE_PREFIX"] == "dsr1-dev-dsr1-dev" == p.dynamo_namespace
    assert p.frontend.env["HF_HOME"] == "/twin/hf-home"  # the pod's cache mount does not exist here
    assert p.frontend.env["HF_HUB_OFFLINE"] == "1"


def test_a_rendered_frontend_command_keeps_its_flags_but_not_its_listener() -> None:
    container = {
        "command": ["/bin/sh", "-c"],
        "args": ["python3 -m dynamo.frontend --http-port 8000 --router-mode kv\n"],
    }
    argv = command_line(container)
    assert argv == ["python3", "-m", "dynamo.frontend", "--http-port", "8000", "--router-mode", "kv"]
    from tools.local_twin.plan import frontend_args

    assert frontend_args(container, 9) == (
        "-m",
        "dynamo.frontend",
        "--router-mode",
        "kv",
        "--http-host",
        "127.0.0.1",
        "--http-port",
        "9",
    )


def test_dev_runs_one_prefill_and_one_decode_mocker(twins: dict[str, TwinPlan]) -> None:
    p = twins["dev"]
    mockers = by_name(p)
    assert sorted(mockers) == ["decode-0", "prefill-0"]
    for role in ("prefill", "decode"):
        args = mockers[f"{role}-0"]
        assert args[:2] == ("-m", "dynamo.mocker")
        assert flag_value(args, "--disaggregation-mode") == role
        assert flag_value(args, "--engine-type") == "sglang"
        assert flag_value(args, "--mem-fraction-static") == "0.85"
        assert flag_value(args, "--model-name") == "deepseek-ai/DeepSeek-R1-Distill-Llama-8B"
        assert flag_value(args, "--model-path") == MODEL
    for m in p.mockers:
        assert m.env["DYN_NAMESPACE"] == p.dynamo_namespace
        assert m.env["DYN_SELF_HOST_METADATA"] == "1"


def test_sglang8_decode_takes_the_workers_data_parallel_size(twins: dict[str, TwinPlan]) -> None:
    mockers = by_name(twins["h200-sglang-8"])
    assert flag_value(mockers["decode-0"], "--data-parallel-size") == "8"  # --dp 8 --enable-dp-attention
    assert flag_value(mockers["prefill-0"], "--data-parallel-size") == "1"
    assert flag_value(mockers["decode-0"], "--mem-fraction-static") == "0.75"


def test_vllm16_is_one_mocker_per_multinode_worker(twins: dict[str, TwinPlan]) -> None:
    p = twins["h200-vllm-16"]
    mockers = by_name(p)
    assert sorted(mockers) == ["decode-0", "prefill-0"]  # two nodes each, one worker each
    for args in mockers.values():
        assert flag_value(args, "--engine-type") == "vllm"
        assert flag_value(args, "--data-parallel-size") == "16"
        assert flag_value(args, "--max-num-seqs") == "512"
        assert flag_value(args, "--model-name") == "deepseek-ai/DeepSeek-R1"


def test_each_replica_is_a_mocker(rendered: Callable[[str], Run]) -> None:
    docs = copy.deepcopy(docs_of(rendered("dev")))
    graph = next(d for d in docs if d["kind"] == "DynamoGraphDeployment")
    graph["spec"]["services"]["decode"]["replicas"] = 3
    p = plan_of(docs, rendered("dev").outputs)
    assert sorted(by_name(p)) == ["decode-0", "decode-1", "decode-2", "prefill-0"]


def test_trtllm_memory_fraction_comes_from_the_engine_config_map(rendered: Callable[[str], Run]) -> None:
    run = rendered("gb200")
    docs = docs_of(run)
    p = plan_of(docs, run.outputs)
    decode = by_name(p)["decode-0"]
    assert flag_value(decode, "--engine-type") == "trtllm"
    cm = next(d for d in docs if d["kind"] == "ConfigMap" and "decode_config.yaml" in d.get("data", {}))
    import yaml

    engine = yaml.safe_load(cm["data"]["decode_config.yaml"])
    assert flag_value(decode, "--free-gpu-memory-fraction") == str(
        engine["kv_cache_config"]["free_gpu_memory_fraction"]
    )


def test_smoke_is_the_jobs_client_and_arguments_at_the_twin(twins: dict[str, TwinPlan]) -> None:
    p = twins["h200-sglang-8"]
    assert p.smoke_source == (ROOT / "in_pod" / "smoke_client.py").read_text()
    assert flag_value(p.smoke_args, "--url") == f"http://127.0.0.1:{PORT}"
    assert flag_value(p.smoke_args, "--model") == "deepseek-ai/DeepSeek-R1" == p.served_model_name
    assert shlex.split(p.smoke_command)[:2] == ["python", "smoke.py"]
    assert flag_value(shlex.split(p.smoke_command), "--url") == f"http://127.0.0.1:{PORT}"


def test_no_smoke_job_is_a_plan_error(rendered: Callable[[str], Run]) -> None:
    docs = [d for d in docs_of(rendered("dev")) if d["kind"] != "Job"]
    with pytest.raises(PlanError, match="smoke"):
        plan_of(docs, {})


def test_benchmark_is_the_jobs_aiperf_command_at_the_twin(tmp_path: Path) -> None:
    docs, outputs = render("dev", tmp_path, CHECK_BENCHMARK)
    p = plan_of(docs, outputs)
    assert p.benchmark_args is not None
    args = p.benchmark_args
    assert args[0] == "profile"
    assert flag_value(args, "--url") == f"http://127.0.0.1:{PORT}"
    assert flag_value(args, "--tokenizer") == MODEL
    assert flag_value(args, "--artifact-dir") == ARTIFACTS
    assert flag_value(args, "--concurrency") == "2"
    assert flag_value(args, "--request-count") == "20"
    assert flag_value(args, "--model") == p.served_model_name
    job = next(d for d in docs if d["kind"] == "Job" and "aiperf" in json.dumps(d))
    script = job["spec"]["template"]["spec"]["containers"][0]["command"][2]
    for flag in ("--streaming", "--endpoint-type", "--synthetic-input-tokens-mean", "--random-seed"):
        assert flag in args and flag in script


def test_without_a_benchmark_job_there_is_no_benchmark(twins: dict[str, TwinPlan]) -> None:
    assert twins["dev"].benchmark_args is None


def test_at_url_keeps_the_path() -> None:
    assert at_url("http://g-frontend.ns.svc.cluster.local:8000/v1", "http://127.0.0.1:9") == "http://127.0.0.1:9/v1"
    assert at_url("http://localhost:8000", "http://127.0.0.1:9") == "http://127.0.0.1:9"


def test_flag_value_takes_both_spellings_and_the_last() -> None:
    assert flag_value(["--dp", "2", "--dp=4"], "--dp") == "4"
    assert flag_value(["--x"], "--x") is None


def test_model_vocabulary_covers_the_mockers_token_ids() -> None:
    files = model_dir.files()
    vocab = files["tokenizer.json"]["model"]["vocab"]
    ids = set(vocab.values())
    assert set(range(1000, 2000)) <= ids
    assert len(ids) == len(vocab)  # one word per id: decoding is unambiguous
    assert files["config.json"]["vocab_size"] == len(vocab)
    assert "chat_template" in files["tokenizer_config.json"]
