"""Predict each recipe stack's TTFT, ITL and throughput with AIConfigurator; write config/predictions.json.

    make predict                       # builds .venv-aic (hash-locked) first, then runs this
    python -m tools.predict [--stack S ...] [--check]

AIConfigurator runs from its own virtualenv (.venv-aic, requirements-aic.txt) through tools/predict/aic_runner.py;
this side reads the stack files, chooses the points to estimate and writes the result. --check compares a fresh
prediction with the committed file instead of writing it.
"""

import argparse
import datetime
import json
import subprocess
import sys
from pathlib import Path

from config.predictions import PATH, Point, Predictions, StackPrediction, Topology
from config.schema import StackConfig
from offline.stack_files import read_stack
from program.config_source import load_stack_config
from specs.predicted_performance import topology
from tools import venvs
from tools.predict import plan

ROOT = Path(__file__).resolve().parents[2]
AIC_PYTHON = ROOT / ".venv-aic" / "bin" / "python"
RUNNER = Path(__file__).with_name("aic_runner.py")

METHOD = (
    "aiconfigurator.cli.api.cli_estimate in disagg mode, SILICON database: kernel timings NVIDIA measured per GPU "
    "and engine version, composed for the stack's exact prefill and decode workers (workers, attention TP and DP, "
    "MoE TP and EP, memory fraction, TRT-LLM max_seq_len), prefill and decode rate-matched. Loads: the benchmark "
    "Job's (ISL, OSL, requests in flight) and 512 in flight; the prefill batch is the smallest within 1% of the "
    "best throughput."
)
LIMITS = (
    "A model prediction, not a measurement. Steady load at a fixed ISL/OSL with no queueing, routing, warm-up or "
    "KV-transfer contention; H200 nodes linked by InfiniBand NDR 400 Gb/s, not AWS EFA (its systems/h200_sxm.yaml; "
    "GB200's nodes by the NVLink domain, as in the UltraServer), and MoE all-to-all as AIConfigurator models each "
    "engine (DeepEP for vLLM, where h200-vllm-16 runs NCCL allgather_reducescatter over EFA); "
    "kernel tables of the engine version named, not necessarily the image's (Dynamo 1.3.0 ships SGLang 0.5.14, "
    "vLLM 0.23.0, TRT-LLM 1.3.0rc19); shapes missing from the tables are interpolated or substituted (each point's "
    "silicon_share and notes). Cost uses list GPU prices only. The benchmark Job measures."
)


def stack_config(stack: str) -> StackConfig:
    """The validated config of a stack file, as the program would see it (no Pulumi, no network)."""
    settings = read_stack(ROOT, stack, [])  # the one safe reader of stack files
    prefix = f"{settings.project}:"
    values = {}
    for full, raw in settings.config.items():
        if full.startswith(prefix) and full != f"{prefix}hfToken":
            values[full[len(prefix) :]] = json.loads(raw) if raw[:1] in "[{" else raw
    return load_stack_config(values, settings.config.get("aws:region"))


def recipe_stacks() -> list[str]:
    """Stack files whose topology AIConfigurator can model."""
    names = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))
    return [s for s in names if topology(stack_config(s)) is not None]


def run_aic(calls: list[dict[str, object]], python: Path) -> tuple[str, list[dict[str, object]]]:
    """One AIConfigurator process for every call: it loads each kernel database once."""
    if missing := venvs.problem(python.parent.parent, "predict"):
        raise SystemExit(f"predict: {missing}")
    done = subprocess.run(  # its progress and errors go straight to our stderr
        [str(python), "-I", str(RUNNER)],
        input=json.dumps({"calls": calls}),
        stdout=subprocess.PIPE,
        text=True,
        check=False,
        timeout=3600,
    )
    if done.returncode != 0:
        raise SystemExit(f"aic_runner failed ({done.returncode}); its error is above")
    answer = json.loads(done.stdout)
    return str(answer["version"]), list(answer["results"])


def _points(
    jobs: list[tuple[str, plan.Load, int]], results: list[dict[str, object]]
) -> dict[tuple[str, plan.Load], list[tuple[int, dict[str, object]]]]:
    grouped: dict[tuple[str, plan.Load], list[tuple[int, dict[str, object]]]] = {}
    for (stack, load, batch), r in zip(jobs, results, strict=True):
        grouped.setdefault((stack, load), []).append((batch, r))
    return grouped


def predict(stacks: list[str], python: Path = AIC_PYTHON) -> Predictions:
    """Estimate every stack's loads; a loaded point that does not fit is retried at half the load."""
    topologies: dict[str, Topology] = {}
    pending: list[tuple[str, plan.Load]] = []
    floors: dict[str, int] = {}
    for stack in stacks:
        cfg = stack_config(stack)
        topo = topology(cfg)
        if topo is None:
            raise SystemExit(f"{stack}: AIConfigurator has no data for its GPU or model")
        topologies[stack] = topo
        bench = cfg.serving.benchmark
        floors[stack] = bench.concurrency
        pending += [(stack, ld) for ld in plan.loads(bench.input_length, bench.output_length, bench.concurrency)]
    points: dict[str, list[Point]] = {s: [] for s in stacks}
    notes: dict[str, list[str]] = {s: [] for s in stacks}
    databases: dict[str, str] = {}
    version = ""
    while pending:
        jobs = [(s, ld, b) for s, ld in pending for b in plan.prefill_batches(topologies[s], ld)]
        print(f"estimating {len(jobs)} points in one AIConfigurator process...", file=sys.stderr)
        version, results = run_aic([plan.estimate_call(topologies[s], ld, b) for s, ld, b in jobs], python)
        pending = []
        for (stack, load), candidates in _points(jobs, results).items():
            found = [str(r["perf_database"]) for _, r in candidates if "perf_database" in r]
            if found:
                databases[stack] = found[0]
            try:
                points[stack].append(plan.pick(load, candidates))
            except plan.NoPointError as e:
                smaller = plan.lighter(load, floors[stack])
                if smaller is None:
                    raise SystemExit(f"{stack}: AIConfigurator estimated no point: {e}") from None
                notes[stack].append(f"{e}: predicted at {smaller.concurrency} in flight instead")
                pending.append((stack, smaller))
    out = {
        s: StackPrediction(
            topology=topologies[s],
            perf_database=databases[s],
            points=sorted(points[s], key=lambda p: p.concurrency),
            notes=notes[s],
        )
        for s in stacks
    }
    for s, pred in out.items():
        print(f"  {s}: " + "; ".join(f"{p.concurrency}: {p.output_tokens_per_s:,.0f} tok/s" for p in pred.points))
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    return Predictions(tool=f"aiconfigurator=={version}", date=today, method=METHOD, limits=LIMITS, stacks=out)


def differences(committed: Predictions, fresh: Predictions) -> list[str]:
    """What a fresh prediction changes in the committed one, the date aside."""
    old, new = committed.model_dump(exclude={"date"}), fresh.model_dump(exclude={"date"})
    return [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.predict", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", action="append", help="a stack to predict (default: every recipe stack)")
    parser.add_argument("--check", action="store_true", help="compare with the committed file, write nothing")
    parser.add_argument("--python", type=Path, default=AIC_PYTHON, help="the Python of .venv-aic")
    args = parser.parse_args(argv)
    stacks = args.stack or recipe_stacks()
    fresh = predict(stacks, args.python)
    if args.check:
        changed = differences(Predictions.model_validate_json(PATH.read_text()), fresh)
        print("matches the committed predictions" if not changed else f"differs in: {', '.join(changed)}")
        return 1 if changed else 0
    PATH.write_text(fresh.model_dump_json(indent=2) + "\n")
    print(f"wrote {PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
