"""The local twin: a stack's serving graph on this machine, with the real Dynamo frontend and mocker workers.

    python -m tools.local_twin --stack h200-sglang-8 [--port 8000]          # serve until Ctrl-C
    python -m tools.local_twin --stack dev --check                          # smoke + short benchmark, then stop

Needs .venv-local (`make .venv-local/.installed`, from requirements-local.txt). Exit status: 0 served (or both
checks passed), 1 a check failed or a process died, 2 the stack is invalid or the twin could not start.
"""

import argparse
import sys
import time
from pathlib import Path

from config.schema import Benchmark
from tools import venvs
from tools.local_twin import check, metrics
from tools.local_twin.plan import LOOPBACK, PlanError, TwinPlan
from tools.local_twin.supervisor import StopSignalError, Supervisor, raise_on_signals
from tools.local_twin.twin import (
    ROOT,
    Layout,
    TwinError,
    base_env,
    prepare,
    read_settings,
    same_release,
    start,
    wait_ready,
)

CHECK_BENCHMARK = Benchmark(enabled=True, input_length=128, output_length=32, concurrency=2)
"""Low concurrency and short sequences: 2 x 10 requests after a warm-up of 2, seconds on a CPU."""


def describe(p: TwinPlan, port: int, layout: Layout) -> str:
    lines = [f"graph {p.graph_name} (Dynamo namespace {p.dynamo_namespace}), model {p.served_model_name}"]
    for w in p.workers:
        words = [f"{w.replicas} x mocker --engine-type {w.engine} --disaggregation-mode {w.role}"]
        words += [f"--data-parallel-size {w.data_parallel_size}", *(w.memory_flag or ()), *w.extra]
        lines.append(f"  {w.service}: {' '.join(words)}")
    lines += [
        f"logs: {layout.logs}/",
        f"URL:  http://{LOOPBACK}:{port}/v1",
        f"try:  {p.smoke_command}",
    ]
    return "\n".join(lines)


def serve(p: TwinPlan, sup: Supervisor) -> int:
    print("serving; Ctrl-C stops everything", flush=True)
    while True:
        dead = sup.exited()
        if dead:
            d = dead[0]
            print(f"{d.name} exited ({d.popen.returncode}); {d.log}:\n{d.tail()}", file=sys.stderr)
            return 1
        time.sleep(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True, help="stack name (Pulumi.<stack>.yaml)")
    parser.add_argument("--port", type=int, default=8000, help="the frontend's port on 127.0.0.1")
    parser.add_argument("--check", action="store_true", help="run the smoke client and a short benchmark, then stop")
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv-local", help="virtualenv with ai-dynamo")
    parser.add_argument("--out", type=Path, help="the twin's directory (default build/local/<stack>)")
    parser.add_argument(
        "--prometheus", action="store_true", help="also run a local Prometheus (loopback) with the stack's alert rules"
    )
    args = parser.parse_args(argv)
    try:  # the stack first: a typo'd name is one line, before anything about the twin's virtualenv
        read_settings(args.stack)
    except TwinError as e:
        print(f"local twin: {e}", file=sys.stderr)
        return 2
    venv: Path = args.venv.resolve()
    if missing := venvs.problem(venv, f"{venv.name}/{venvs.STAMP}"):
        print(f"local twin: {missing}", file=sys.stderr)
        return 2
    layout = Layout((args.out or ROOT / "build" / "local" / args.stack).resolve())
    raise_on_signals()
    sup = Supervisor(layout.logs)
    try:
        p = prepare(args.stack, layout, args.port, CHECK_BENCHMARK if args.check else None)
        print(describe(p, args.port, layout), flush=True)
        same_release(p, venv)
        start(p, sup, venv, args.port)
        wait_ready(p, sup, args.port)
        print(f"ready: {len(p.mockers)} mocker(s) registered with the frontend", flush=True)
        if args.prometheus:
            namespace, rules = metrics.stack_rules(layout.render / "manifests.yaml")
            url = metrics.start_prometheus(p, sup, args.port, layout.root / "prometheus", namespace, rules)
            print(f"prometheus: {url}/targets (scrapes), {url}/alerts (the stack's rules), {url}/graph", flush=True)
        if not args.check:
            return serve(p, sup)
        env = base_env(venv)
        ok_smoke = check.smoke(p, sup, layout.smoke, env)
        ok_bench = check.benchmark(p, sup, venv, layout.bench, env)
        print(f"local-check {args.stack}: {'PASS' if ok_smoke and ok_bench else 'FAIL'}")
        return 0 if ok_smoke and ok_bench else 1
    except (TwinError, PlanError) as e:
        print(f"local twin: {e}", file=sys.stderr)
        return 2
    except StopSignalError as e:
        print(f"\n{e}: stopping", file=sys.stderr)
        return 128 + e.signum
    finally:
        sup.stop_all()


if __name__ == "__main__":
    sys.exit(main())
