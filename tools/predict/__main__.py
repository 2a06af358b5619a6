"""Predict each recipe stack's TTFT, ITL and tokens/s per GPU with AIConfigurator, and the cost per million tokens.

    python -m tools.predict [--stack h200-sglang-8 ...]      # needs .venv-aic (make .venv-aic/.installed)

A model of the stack's exact topology (workers, tensor/attention-data/expert parallelism) at its benchmark's input
and output lengths and concurrency, from the kernel measurements AIConfigurator ships; run offline. A prediction,
not a measurement: it knows nothing of this program's cluster (EFA, the cache, the operator) and its authors state
its accuracy per system and backend; measure with the benchmark Job before relying on it.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from config.errors import ConfigError
from offline.stack_files import read_stack
from program.config_source import load_stack_config
from specs.smoke_spec import cost_per_million_tokens
from tools.predict.topology import UnsupportedError, cost_per_hour, estimate_args, parse

ROOT = Path(__file__).resolve().parents[2]
RECIPE_STACKS = ("h200-sglang-8", "h200-sglang-16", "h200-vllm-16", "gb200")
TIMEOUT_S = 600


def stack_config(stack: str) -> Any:
    settings = read_stack(ROOT, stack, [])
    prefix = f"{settings.project}:"
    values: dict[str, Any] = {}
    for key, raw in settings.config.items():
        if not key.startswith(prefix) or key == f"{prefix}hfToken":
            continue
        try:
            values[key[len(prefix) :]] = json.loads(raw)
        except ValueError:
            values[key[len(prefix) :]] = raw
    return load_stack_config(values, settings.config.get("aws:region"))


def predict(stack: str, venv: Path) -> str:
    cfg = stack_config(stack)
    args = [str(venv / "bin" / "aiconfigurator"), "cli", *estimate_args(cfg)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    done = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT_S, env=env, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-5:])
        return f"{stack}: AIConfigurator failed ({done.returncode}):\n{tail}"
    p = parse(done.stdout)
    hourly = cost_per_hour(cfg)
    cost = cost_per_million_tokens(hourly, p.tokens_per_s) if hourly else None
    b = cfg.serving.benchmark
    return "\n".join(
        [
            f"{stack}: {p.gpus} GPUs, ISL {b.input_length} / OSL {b.output_length}, concurrency {p.concurrency}",
            f"  TTFT {p.ttft_ms:.0f} ms, ITL {p.tpot_ms:.1f} ms, {p.tokens_per_s:,.0f} output tokens/s "
            f"({p.tokens_per_s_per_gpu:,.0f} per GPU)",
            f"  cost: ${hourly:,.2f}/h -> ${cost:.2f} per million output tokens" if cost else "  cost: no list price",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", action="append", help="a stack (default: every recipe stack)")
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv-aic", help="virtualenv with aiconfigurator")
    args = parser.parse_args(argv)
    if not (args.venv / "bin" / "aiconfigurator").exists():
        print(f"no {args.venv}: run `make .venv-aic/.installed` first", file=sys.stderr)
        return 2
    print("PREDICTED by AIConfigurator 0.12.0 (a model from kernel measurements, not a measurement):")
    failed = False
    for stack in args.stack or RECIPE_STACKS:
        try:
            line = predict(stack, args.venv)
        except (ConfigError, UnsupportedError, ValueError) as e:
            line, failed = f"{stack}: {e}", True
        failed |= "failed" in line
        print(line, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
