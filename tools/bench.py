"""Benchmark: each stack's offline render against its floor, paired run by run.

The floor is a fresh interpreter importing exactly the third-party modules a render of that stack loads (recorded
from one render of it), with Python's defaults. Each repeat times the floor and the render back to back, so whatever
else loads the machine weighs on both; the ratio render/floor is reported per stack as the median and the spread
(lowest-highest) of the repeats. A ratio at or below 1.0: the render costs no more than importing what it imports.
Prints a table; asserts nothing.
"""

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 7

_RECORD = """
import contextlib, io, json, runpy, sys
from pathlib import Path
root = Path(sys.argv[1]).resolve()
sys.argv = ["render.py", "--stack", sys.argv[2], "--out", sys.argv[3]]
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    runpy.run_path(str(root / "render.py"), run_name="__main__")
venv = Path(sys.prefix).resolve()  # .venv sits inside the checkout: its packages are third-party all the same
def ours(module):
    path = getattr(module, "__file__", None)
    if path is None:
        return False
    where = Path(path).resolve()
    return where.is_relative_to(root) and not where.is_relative_to(venv)
print(json.dumps(sorted(n for n, m in list(sys.modules.items()) if n != "__main__" and m is not None and not ours(m))))
"""

_FLOOR = """
import importlib, json, sys
for name in json.loads(open(sys.argv[1]).read()):
    try:
        importlib.import_module(name)
    except Exception:
        pass
"""


def timed(cmd: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one run of `cmd`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, wall


def loaded_modules(stack: str, out: str) -> list[str]:
    """The third-party modules a render of `stack` has loaded when it ends."""
    result = subprocess.run(
        [sys.executable, "-c", _RECORD, str(ROOT), stack, out], check=True, capture_output=True, text=True, cwd=ROOT
    )
    modules: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return modules


def main() -> None:
    stacks = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))
    print(f"render / floor CPU time, paired over {REPEATS} runs (fresh interpreters; floor = the same imports)")
    print(f"{'stack':<18}{'median':>8}{'spread':>14}{'render s':>10}{'floor s':>9}{'wall ratio':>12}{'modules':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for stack in stacks:
            out = f"{tmp}/{stack}"
            modules = loaded_modules(stack, out)
            listing = Path(tmp, f"{stack}.json")
            listing.write_text(json.dumps(modules))
            floor_cmd = [sys.executable, "-c", _FLOOR, str(listing)]
            render_cmd = [sys.executable, "render.py", "--stack", stack, "--out", out]
            pairs = [(timed(floor_cmd), timed(render_cmd)) for _ in range(REPEATS)]
            ratios = [r[0] / f[0] for f, r in pairs]
            wall = statistics.median(r[1] / f[1] for f, r in pairs)
            spread = f"{min(ratios):.2f}-{max(ratios):.2f}"
            render_s = statistics.median(r[0] for _, r in pairs)
            floor_s = statistics.median(f[0] for f, _ in pairs)
            print(
                f"{stack:<18}{statistics.median(ratios):>8.2f}{spread:>14}{render_s:>10.2f}{floor_s:>9.2f}"
                f"{wall:>12.2f}{len(modules):>9}"
            )


if __name__ == "__main__":
    main()
