"""The committed predictions (config/predictions.json), how tools.predict chooses its points, and a re-run."""

from pathlib import Path
from typing import Any

import pytest

from config import predictions
from config.predictions import Topology, WorkerShape
from specs.predicted_performance import topology
from specs.smoke_spec import cost_per_million_tokens
from tests.support import render
from tools import venvs
from tools.predict import __main__ as predict_cli
from tools.predict import plan

RECIPES = {"h200-sglang-8", "h200-sglang-16", "h200-vllm-16", "gb200"}


def test_every_recipe_stack_has_a_prediction_for_its_current_topology() -> None:
    known = predictions.load()  # validates the file's shape (extra keys refused)
    assert set(predict_cli.recipe_stacks()) == RECIPES == set(known.stacks)
    assert known.tool.startswith("aiconfigurator==") and "not a measurement" in known.limits
    for stack, pred in known.stacks.items():
        cfg = predict_cli.stack_config(stack)
        assert pred.topology == topology(cfg), f"{stack} changed since its prediction: run `make predict`"
        bench = cfg.serving.benchmark
        first = pred.points[0]
        assert (first.isl, first.osl, first.concurrency) == (bench.input_length, bench.output_length, bench.concurrency)
        for p in pred.points:
            assert p.output_tokens_per_s_per_gpu == pytest.approx(p.output_tokens_per_s / pred.topology.gpus, rel=0.01)
            assert p.concurrency <= plan.LOADED_CONCURRENCY and set(p.silicon_share) == {"prefill", "decode"}


@pytest.mark.parametrize("stack", ["h200-sglang-8", "gb200"])
def test_render_shows_the_prediction_priced_at_the_stacks_gpu_cost(stack: str) -> None:
    run = render(stack)
    out = run.outputs
    pred = predictions.load().stacks[stack]
    shown = out["predictedPerformance"]
    for point, p in zip(shown["points"], pred.points, strict=True):
        expected = cost_per_million_tokens(out["gpuCostPerHourUsd"], p.output_tokens_per_s)
        assert point["usdPerMillionOutputTokens"] == pytest.approx(expected, abs=0.01)
    assert "not a measurement" in shown["summary"]


def test_no_prediction_without_aiconfigurator_data() -> None:
    assert "predictedPerformance" not in render("dev").outputs


def _shape(**kw: Any) -> WorkerShape:
    return WorkerShape(**{"workers": 1, "gpus": 8, "tp": 1, "attention_dp": 8, "moe_tp": 1, "moe_ep": 8, **kw})


def _topo(prefill: WorkerShape, decode: WorkerShape) -> Topology:
    return Topology(system="gb200", backend="trtllm", model="m", quant={}, prefill=prefill, decode=decode)


def test_loads_are_the_benchmarks_and_a_loaded_point() -> None:
    assert plan.loads(1024, 1024, 64) == [plan.Load(1024, 1024, 64), plan.Load(1024, 1024, 512)]
    assert plan.loads(1024, 1024, 512) == [plan.Load(1024, 1024, 512)]
    assert plan.lighter(plan.Load(1, 1, 512), 64) == plan.Load(1, 1, 256)
    assert plan.lighter(plan.Load(1, 1, 128), 64) is None


def test_batches_respect_the_load_the_token_budget_and_the_engine() -> None:
    load = plan.Load(1024, 1024, 512)
    topo = _topo(_shape(gpus=4, attention_dp=4, moe_ep=4, max_batch=4, max_tokens=4608), _shape(max_batch=32))
    assert plan.prefill_batches(topo, load) == [1, 2, 4]
    assert plan.decode_batch(topo, load) == 32  # 512 / 8 ranks = 64, capped by max_batch
    wide = _topo(_shape(attention_dp=1, tp=8), _shape())
    assert plan.prefill_batches(wide, load) == [1, 2, 4, 8, 16]  # 16 x 1024 = the 16,384-token budget
    assert plan.prefill_batches(wide, plan.Load(1024, 1024, 4)) == [1, 2, 4]  # no more than are in flight
    call = plan.estimate_call(topo, load, 2)
    assert (call["prefill_batch_size"], call["decode_batch_size"], call["prefill_attention_dp_size"]) == (2, 32, 4)
    assert call["mode"] == "disagg" and call["database_mode"] == "SILICON"


def _result(tokens: float) -> dict[str, Any]:
    return {
        "ttft_ms": 100.0,
        "itl_ms": 20.0,
        "tokens_per_s": tokens,
        "tokens_per_s_per_gpu": tokens / 16,
        "concurrency": 64,
        "decode_batch": 8,
        "silicon_share": {"prefill": 1.0, "decode": 0.5},
        "notes": [],
    }


def test_pick_takes_the_smallest_prefill_batch_near_the_best() -> None:
    load = plan.Load(1024, 1024, 64)
    point = plan.pick(load, [(1, _result(900)), (2, _result(995)), (4, _result(1000)), (8, {"error": "OOM: x"})])
    assert point.prefill_batch == 2 and point.output_tokens_per_s == 995
    with pytest.raises(plan.NoPointError, match="memory check fails"):
        plan.pick(load, [(1, {"error": "OOM: the model does not fit"})])


def test_runner_counts_measured_time_and_refuses_the_network() -> None:
    from tools.predict import aic_runner  # importable without AIConfigurator: it imports it only to estimate

    data = {"prefill": {"a": 3.0, "b": 1.0}, "decode": {"c": 2.0}}
    source = {"prefill": {"a": "silicon", "b": "empirical"}, "decode": {"c": "mixed"}}
    assert aic_runner._silicon_share(data, source) == {"prefill": 0.75, "decode": 0.0}
    with pytest.raises(OSError, match="network access refused"):
        aic_runner._no_network(("127.0.0.1", 80))


@pytest.mark.timeout(1200)
def test_rerun_matches_the_committed_predictions() -> None:
    """Re-runs AIConfigurator (a few minutes): only where `make predict` built .venv-aic, never in CI."""
    if venvs.problem(Path(predict_cli.AIC_PYTHON).parent.parent, "predict"):
        pytest.skip(".venv-aic not built (make predict builds it); the committed predictions are not re-run")
    committed = predictions.load()
    fresh = predict_cli.predict(sorted(committed.stacks))
    assert predict_cli.differences(committed, fresh) == []
