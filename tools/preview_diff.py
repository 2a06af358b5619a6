"""What a change does to every stack, without credentials: render each stack on a base ref and on the working tree,
and compare everything rendered, AWS resources included.

    python -m tools.preview_diff --base main --out build/preview-diff     (or: make preview-diff BASE=main)

Per stack: the resources created, deleted, updated (with the inputs that change) and replaced (with the input that
forces it: tools/replacements.py), from resources.json; and the diff of manifests.yaml and outputs.json. A
replacement of the cluster, a node group or the cache is called out at the top of the comment with its cost.
Writes <out>/<stack>.plan.md and <out>/<stack>.diff (in full), and <out>/comment.md (the pull-request comment, kept
under GitHub's size limit). Exit status 1 when a stack that rendered on the base (or is new) does not render on the
head; 2, with nothing touched, when the base ref is not a commit. Both sides are rendered with this checkout's
virtualenv: a change to requirements.txt is reviewed from the diff of that file.
"""

import argparse
import difflib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools import preview_plan, replacements

ROOT = Path(__file__).resolve().parent.parent
COMMENT_LIMIT = 60_000
"""GitHub refuses comments over 65,536 characters; the full plans and diffs stay in the job's artifact."""
RENDERED = ("manifests.yaml", "outputs.json")
MARKER = "### Rendered stacks: what this change does"
DETERMINISTIC = (
    "Renders are deterministic (the same commit renders the same bytes in any process: "
    "tests/offline/test_determinism.py), so every difference below is a real change."
)
TABLE_ROWS = 40
"""Rows of a stack's resource table in the comment; the artifact's <stack>.plan.md has them all."""


@dataclass
class StackResult:
    stack: str
    base_error: str | None = None
    head_error: str | None = None
    in_base: bool = True
    in_head: bool = True
    diff: str = ""
    steps: list[preview_plan.Step] = field(default_factory=list)

    @property
    def broken(self) -> bool:
        """Rendered on the base (or is new) and does not render on the head: the preview fails."""
        return self.in_head and self.head_error is not None and (self.base_error is None or not self.in_base)

    @property
    def changed(self) -> bool:
        return bool(self.diff or self.steps or self.base_error or self.head_error)


def stacks(tree: Path) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in tree.glob("Pulumi.*.yaml"))


def is_commit(ref: str) -> bool:
    result = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=ROOT, capture_output=True, check=False
    )
    return result.returncode == 0


def export(ref: str, into: Path) -> None:
    """The tree of `ref`, as files (git archive: no worktree to clean up)."""
    archive = into.with_suffix(".tar")
    subprocess.run(["git", "archive", "--format=tar", "-o", str(archive), ref], cwd=ROOT, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")


def render(tree: Path, stack: str, out: Path) -> str | None:
    """Render one stack of a tree; the error message when it does not render."""
    result = subprocess.run(
        [sys.executable, "render.py", "--stack", stack, "--out", str(out)],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return None if result.returncode == 0 else (result.stderr.strip() or result.stdout.strip())[-2000:]


def _read(out: Path, name: str) -> str:
    path = out / name
    return path.read_text() if path.exists() else ""


def _resources(out: Path) -> list[dict[str, Any]]:
    text = _read(out, "resources.json")
    loaded: list[dict[str, Any]] = json.loads(text) if text else []
    return loaded


def compare(
    stack: str, base: Path | None, head: Path | None, base_error: str | None, head_error: str | None
) -> StackResult:
    """One stack's result from its two render folders (None: the stack does not exist on that side)."""
    result = StackResult(stack, base_error, head_error, base is not None, head is not None)
    ok_base = base if base is not None and base_error is None else None
    ok_head = head if head is not None and head_error is None else None
    lines: list[str] = []
    for name in RENDERED:
        before = _read(ok_base, name).splitlines(keepends=True) if ok_base else []
        after = _read(ok_head, name).splitlines(keepends=True) if ok_head else []
        lines += difflib.unified_diff(before, after, f"base/{stack}/{name}", f"head/{stack}/{name}")
    result.diff = "".join(lines)
    if base_error is None and head_error is None:  # a side that fails to render has no plan to compare
        result.steps = preview_plan.plan(_resources(base) if base else [], _resources(head) if head else [])
    return result


def _what(step: preview_plan.Step, limit: int = 6) -> str:
    items = step.reasons if step.action == "replace" else [f"`{c}`" for c in step.changed]
    shown = "; ".join(items[:limit])
    return shown + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def plan_table(steps: list[preview_plan.Step], rows: int | None = None) -> str:
    counts = {a: sum(1 for s in steps if s.action == a) for a in preview_plan.ORDER}
    head = ", ".join(f"{n} to {a}" for a, n in counts.items() if n)
    if not head:
        return "no resource changes\n"
    lines = [head, "", "| action | resource | type | what |", "|---|---|---|---|"]
    shown = steps if rows is None else steps[:rows]
    for s in shown:
        action = "**REPLACE**" if s.action == "replace" else s.action
        lines.append(f"| {action} | `{s.name}` | `{s.type}` | {_what(s).replace('|', '/')} |")
    if rows is not None and len(steps) > rows:
        lines.append(f"| ... | {len(steps) - rows} more | | in the artifact's plan file |")
    unknown = preview_plan.unknown_types(steps)
    if unknown:
        lines += ["", f"Replace-on-change inputs not tabulated for: {', '.join(unknown)} (updates may replace)."]
    return "\n".join(lines) + "\n"


def callouts(results: list[StackResult]) -> list[str]:
    out = []
    for r in results:
        for s in r.steps:
            cost = replacements.EXPENSIVE.get(s.type)
            if s.action == "replace" and cost:
                out.append(f"- :warning: **`{r.stack}` replaces `{s.name}`**: {cost}.")
            elif s.action == "delete" and cost:
                out.append(f"- :warning: **`{r.stack}` deletes `{s.name}`** ({s.type}).")
        if r.broken:
            out.append(f"- :x: **`{r.stack}` no longer renders** on the head (the preview fails).")
    return out


def comment(base_ref: str, results: list[StackResult], limit: int = COMMENT_LIMIT) -> str:
    changed = [r for r in results if r.changed]
    parts = [
        MARKER,
        f"Compared with `{base_ref}`, rendered offline (no credentials): "
        + (f"{len(changed)} of {len(results)} stacks change." if changed else "no stack changes.")
        + " "
        + DETERMINISTIC,
    ]
    alerts = callouts(results)
    if alerts:
        parts.append("\n".join(alerts))
    tables = []
    for r in changed:
        notes = [
            f"> {side} does not render: {err}" for side, err in (("base", r.base_error), ("head", r.head_error)) if err
        ]
        tables.append(
            f"#### `{r.stack}`\n" + "\n".join(notes) + ("\n\n" if notes else "") + plan_table(r.steps, TABLE_ROWS)
        )
    parts += tables
    fixed = "\n\n".join(parts) + "\n"
    with_diffs = [r for r in changed if r.diff]
    budget = max(0, limit - len(fixed) - 400 * max(1, len(with_diffs)))
    share = budget // max(1, len(with_diffs))
    details = []
    for r in with_diffs:
        diff = r.diff
        added = sum(1 for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++"))
        removed = sum(1 for line in diff.splitlines() if line.startswith("-") and not line.startswith("---"))
        if len(diff) > share:
            diff = diff[:share].rsplit("\n", 1)[0] + "\n... (truncated: the full diff is in the artifact)\n"
        details.append(
            f"<details><summary><code>{r.stack}</code> manifests and outputs: +{added} -{removed}</summary>\n\n"
            f"```diff\n{diff}```\n</details>"
        )
    text = "\n\n".join([fixed.rstrip("\n"), *details]) + "\n"
    if len(text) > limit:  # tables alone over the limit: cut, keeping the note
        text = (
            text[: limit - 200] + "\n\n(truncated: the full plans and diffs are in the job's preview-diff artifact)\n"
        )
    return text


def _render_all(base_tree: Path, work: Path) -> list[StackResult]:
    names = sorted(set(stacks(base_tree)) | set(stacks(ROOT)))
    jobs: dict[tuple[str, str], Any] = {}
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for stack in names:
            for side, tree in (("base", base_tree), ("head", ROOT)):
                if stack in stacks(tree):
                    jobs[(stack, side)] = pool.submit(render, tree, stack, work / side / stack)
        errors = {key: job.result() for key, job in jobs.items()}
    return [
        compare(
            stack,
            work / "base" / stack if (stack, "base") in jobs else None,
            work / "head" / stack if (stack, "head") in jobs else None,
            errors.get((stack, "base")),
            errors.get((stack, "head")),
        )
        for stack in names
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git ref to compare with (e.g. main, origin/main, a SHA)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "preview-diff")
    args = parser.parse_args(argv)
    if not is_commit(args.base):
        print(
            f"preview-diff: {args.base!r} is not a commit in this repository: pass a branch, tag or SHA "
            "(in CI: fetch it first, e.g. actions/checkout with fetch-depth: 0). Nothing was written.",
            file=sys.stderr,
        )
        return 2
    out: Path = args.out.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        base_tree = Path(tmp) / "base-src"
        base_tree.mkdir()
        export(args.base, base_tree)
        results = _render_all(base_tree, Path(tmp) / "rendered")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for r in results:
        notes = "".join(
            f"# {side} does not render: {e}\n" for side, e in (("base", r.base_error), ("head", r.head_error)) if e
        )
        (out / f"{r.stack}.diff").write_text(notes + r.diff)
        (out / f"{r.stack}.plan.md").write_text(f"# {r.stack}\n\n{notes}{plan_table(r.steps)}")
    (out / "comment.md").write_text(comment(args.base, results))
    changed = [r.stack for r in results if r.changed]
    print(f"{len(changed)} of {len(results)} stacks change against {args.base}: {', '.join(changed) or 'none'}")
    for line in callouts(results):
        print(line.replace("**", "").replace(":warning: ", "").replace(":x: ", ""))
    print(f"wrote {out}/<stack>.plan.md, <stack>.diff and comment.md")
    broken = [r.stack for r in results if r.broken]
    if broken:
        print(f"preview-diff: {', '.join(broken)} no longer render(s) on the head", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
