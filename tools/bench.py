"""Benchmark: each stack's offline render against its floor, paired run by run, like with like.

The floor is a fresh interpreter importing exactly the third-party modules a render of that stack loads, under the
same interpreter settings the render runs with (recorded from one render of it: the cyclic garbage collector's
state and thresholds, and whether DeprecationWarnings are ignored; render.py turns the collector off, and a floor
left with it on would make the render look cheaper than its own imports). Each repeat times the floor and the render
back to back, so whatever else loads the machine weighs on both; per stack it reports the CPU seconds of each
(median) and the ratio render/floor (median and the spread, lowest-highest, of the repeats). Progress goes to stderr
as it runs. Prints a table; asserts nothing.

    python -m tools.bench [--repeats N] [--stack NAME ...]
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 7

_RECORD = """
import contextlib, gc, io, json, runpy, sys, warnings
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
ignored = any(a == "ignore" and c is DeprecationWarning and m is None for a, m, c, _, _ in warnings.filters)
print(json.dumps({
    "modules": sorted(n for n, m in list(sys.modules.items()) if n != "__main__" and m is not None and not ours(m)),
    "settings": {"gc_enabled": gc.isenabled(), "gc_threshold": list(gc.get_threshold()), "ignore_deprecation": ignored},
}))
"""

_FLOOR = """
import gc, importlib, json, sys, warnings
recorded = json.loads(open(sys.argv[1]).read())
settings = recorded["settings"]
gc.set_threshold(*settings["gc_threshold"])
if not settings["gc_enabled"]:
    gc.disable()
if settings["ignore_deprecation"]:
    warnings.filterwarnings("ignore", category=DeprecationWarning)
for name in recorded["modules"]:
    try:
        importlib.import_module(name)
    except Exception:
        pass
ignored = any(a == "ignore" and c is DeprecationWarning and m is None for a, m, c, _, _ in warnings.filters)
now = {"gc_enabled": gc.isenabled(), "gc_threshold": list(gc.get_threshold()), "ignore_deprecation": ignored}
print(json.dumps(now))
"""


def timed(cmd: list[str]) -> tuple[float, float, str]:
    """(CPU seconds, wall seconds, stdout) of one run of `cmd`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, wall, done.stdout


def record(stack: str, out: str) -> dict[str, Any]:
    """The third-party modules a render of `stack` has loaded when it ends, and its interpreter settings."""
    result = subprocess.run(
        [sys.executable, "-c", _RECORD, str(ROOT), stack, out], check=True, capture_output=True, text=True, cwd=ROOT
    )
    recorded: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return recorded


def loaded_modules(stack: str, out: str) -> list[str]:
    modules: list[str] = record(stack, out)["modules"]
    return modules


def floor_command(listing: Path) -> list[str]:
    return [sys.executable, "-c", _FLOOR, str(listing)]


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=REPEATS, help="paired runs per stack")
    parser.add_argument("--stack", action="append", default=[], help="only these stacks (default: every stack)")
    args = parser.parse_args(argv)
    stacks = args.stack or sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))
    print(f"render / floor CPU time, paired over {args.repeats} runs (fresh interpreters; floor = the same imports")
    print("under the render's interpreter settings: garbage collector, warning filters)")
    print(f"{'stack':<18}{'render s':>10}{'floor s':>9}{'ratio':>8}{'spread':>13}{'wall ratio':>12}{'modules':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for n, stack in enumerate(stacks, 1):
            out = f"{tmp}/{stack}"
            progress(f"[{n}/{len(stacks)}] {stack}: recording the render's imports and settings")
            recorded = record(stack, out)
            listing = Path(tmp, f"{stack}.json")
            listing.write_text(json.dumps(recorded))
            render_cmd = [sys.executable, "render.py", "--stack", stack, "--out", out]
            pairs = []
            for i in range(args.repeats):
                floor, render = timed(floor_command(listing)), timed(render_cmd)
                if json.loads(floor[2].strip().splitlines()[-1]) != recorded["settings"]:
                    raise SystemExit(f"{stack}: the floor did not run under the render's settings")
                pairs.append((floor, render))
                progress(f"  {stack} run {i + 1}/{args.repeats}: floor {floor[0]:.2f} s, render {render[0]:.2f} s CPU")
            ratios = [r[0] / f[0] for f, r in pairs]
            wall = statistics.median(r[1] / f[1] for f, r in pairs)
            render_s = statistics.median(r[0] for _, r in pairs)
            floor_s = statistics.median(f[0] for f, _ in pairs)
            print(
                f"{stack:<18}{render_s:>10.2f}{floor_s:>9.2f}{statistics.median(ratios):>8.2f}"
                f"{f'{min(ratios):.2f}-{max(ratios):.2f}':>13}{wall:>12.2f}{len(recorded['modules']):>9}",
                flush=True,
            )


if __name__ == "__main__":
    main()
