"""Each recipe stack's topology as AIConfigurator's arguments, and its report parsed."""

import pytest

from config.catalog import INSTANCE_TYPES
from config.schema import Worker
from tools.predict.__main__ import RECIPE_STACKS, stack_config
from tools.predict.topology import UnsupportedError, estimate_args, parse, shape

REPORT = """
  Total GPUs:       16
------------------------------------------------------------
  TTFT:             136.379 ms
  TPOT:             60.905 ms
  Request Latency:  62442.194 ms
------------------------------------------------------------
  tokens/s:         7,742.01
  tokens/s/gpu:     483.88
  tokens/s/user:    16.42
  seq/s:            7.561
  Concurrency:      512
"""
"""The block aiconfigurator 0.12.0 printed here for h200-sglang-8 at decode batch 64."""


def value(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


def worker(**kw: object) -> Worker:
    return Worker.model_validate({"tp": 8, **kw})


def test_sglang_dp_attention_splits_tp_into_attention_ranks() -> None:
    s = shape("sglang", worker(tp=8, dp=8, ep=8, enableDpAttention=True))
    assert (s.gpus, s.tp, s.attention_dp, s.moe_tp, s.moe_ep) == (8, 1, 8, 1, 8)
    assert s.tp * s.attention_dp == s.moe_tp * s.moe_ep  # AIConfigurator's width rule


def test_vllm_tp_is_per_data_parallel_rank() -> None:
    s = shape("vllm", worker(tp=1, dp=16, ep=16))
    assert (s.gpus, s.tp, s.attention_dp, s.moe_tp, s.moe_ep) == (16, 1, 16, 1, 16)


def test_trtllm_attention_dp_is_one_rank_per_gpu() -> None:
    s = shape("trtllm", worker(tp=32, ep=32, enableDpAttention=True))
    assert (s.gpus, s.tp, s.attention_dp, s.moe_tp, s.moe_ep) == (32, 1, 32, 1, 32)


def test_expert_parallel_must_divide_the_gpus() -> None:
    with pytest.raises(UnsupportedError):
        shape("sglang", worker(tp=8, ep=3))


@pytest.mark.parametrize("stack", RECIPE_STACKS)
def test_every_recipe_stack_maps_to_its_gpu_count(stack: str) -> None:
    cfg = stack_config(stack)
    args = estimate_args(cfg)
    gpus = 0
    for role in ("prefill", "decode"):
        width = int(value(args, f"--{role}-tp-size")) * int(value(args, f"--{role}-attention-dp-size"))
        assert width == int(value(args, f"--{role}-moe-tp-size")) * int(value(args, f"--{role}-moe-ep-size"))
        gpus += width * int(value(args, f"--{role}-num-workers"))
    w = (cfg.serving.prefill, cfg.serving.decode)
    per_node = INSTANCE_TYPES[cfg.gpu_pool.instance_type or ""].gpus
    pool_gpus = sum(x.replicas * x.nodes * (x.gpus_per_node or per_node) for x in w)
    assert gpus == pool_gpus
    assert value(args, "--backend") == cfg.serving.backend
    assert value(args, "--isl") == str(cfg.serving.benchmark.input_length)


def test_systems_and_fp4() -> None:
    assert value(estimate_args(stack_config("h200-sglang-8")), "--system") == "h200_sxm"
    gb200 = estimate_args(stack_config("gb200"))
    assert value(gb200, "--system") == "gb200"
    assert value(gb200, "--moe-quant-mode") == "nvfp4"  # the FP4 checkpoint


def test_parse_reads_the_estimate_block() -> None:
    p = parse(REPORT)
    assert (p.gpus, p.concurrency) == (16, 512)
    assert p.ttft_ms == pytest.approx(136.379)
    assert p.tpot_ms == pytest.approx(60.905)
    assert p.tokens_per_s == pytest.approx(7742.01)
    assert p.tokens_per_s_per_gpu == pytest.approx(483.88)
    with pytest.raises(ValueError, match="ttft"):
        parse(REPORT.replace("TTFT", "XXXX"))
