"""Benchmark: how long an offline render of each stack takes, against the bare cost of importing the SDK.

Each measurement is a fresh interpreter (what a user or CI pays); the warm figure is the program's own evaluation
under mocks, imports already done. Prints a table; asserts nothing.
"""

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 3
SDK_IMPORTS = (  # the modules the program uses; both SDKs load their service modules lazily, on first use
    "import pulumi, pulumi.runtime.mocks, pydantic, yaml;"
    "import pulumi_kubernetes as k8s; k8s.core.v1.Namespace; k8s.batch.v1.Job; k8s.storage.v1.StorageClass;"
    "k8s.helm.v3.Release; k8s.apiextensions.CustomResource;"
    "import pulumi_aws as aws; aws.ec2.Vpc; aws.eks.Cluster; aws.iam.Role"
)


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def median_of(cmd: list[str]) -> float:
    return statistics.median(timed(cmd) for _ in range(REPEATS))


def warm_evaluation(stack: str) -> float:
    """The program's run under mocks once the modules are imported (the first run pays the imports)."""
    sys.path.insert(0, str(ROOT))
    from offline.run import run_program
    from offline.stack_files import read_stack

    run_program(ROOT, read_stack(ROOT, stack, []))
    runs = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run_program(ROOT, read_stack(ROOT, stack, []))
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    stacks = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))
    baseline = median_of([sys.executable, "-c", SDK_IMPORTS])
    print(f"median of {REPEATS} runs, fresh interpreter each")
    print(f"{'what':<28}{'seconds':>10}{'x imports':>12}{'warm eval s':>14}")
    print(f"{'import SDK modules (bare)':<28}{baseline:>10.2f}{1.0:>12.2f}{'':>14}")
    with tempfile.TemporaryDirectory() as out:
        for stack in stacks:
            total = median_of([sys.executable, "render.py", "--stack", stack, "--out", f"{out}/{stack}"])
            warm = warm_evaluation(stack)
            print(f"{'render ' + stack:<28}{total:>10.2f}{total / baseline:>12.2f}{warm:>14.3f}")


if __name__ == "__main__":
    main()
