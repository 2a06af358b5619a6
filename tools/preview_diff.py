"""What a change does to every stack, without credentials: render each stack on a base ref and on the working tree,
and diff the rendered manifests and outputs.

    python preview_diff.py --base main --out build/preview-diff     (or: make preview-diff BASE=main)

Writes <out>/<stack>.diff for each stack, and <out>/comment.md (the pull-request comment CI posts). Both sides are
rendered with this checkout's virtualenv: a change to requirements.txt is reviewed from the diff of that file.
"""

import argparse
import difflib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMENT_LIMIT = 60_000
"""GitHub refuses comments over 65,536 characters; the full diffs stay in the job's artifact."""
RENDERED = ("manifests.yaml", "outputs.json")
DETERMINISTIC = (
    "Renders are deterministic (the same commit renders the same bytes in any process: "
    "tests/offline/test_determinism.py), so every difference below is a real change."
)


def stacks(tree: Path) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in tree.glob("Pulumi.*.yaml"))


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


def side(tree: Path, stack: str, out: Path) -> tuple[dict[str, list[str]], str | None]:
    if stack not in stacks(tree):
        return {name: [] for name in RENDERED}, None
    error = render(tree, stack, out)
    files = {name: (out / name).read_text().splitlines(keepends=True) if not error else [] for name in RENDERED}
    return files, error


def diff_stack(base: Path, head: Path, stack: str, work: Path) -> tuple[str, list[str]]:
    before, base_error = side(base, stack, work / "base" / stack)
    after, head_error = side(head, stack, work / "head" / stack)
    lines: list[str] = []
    for name in RENDERED:
        lines += difflib.unified_diff(before[name], after[name], f"base/{stack}/{name}", f"head/{stack}/{name}")
    notes = [f"{which} does not render: {err}" for which, err in (("base", base_error), ("head", head_error)) if err]
    return "".join(lines), notes


def comment(base_ref: str, results: dict[str, tuple[str, list[str]]]) -> str:
    changed = [s for s, (d, n) in results.items() if d or n]
    parts = [
        "### Rendered stacks: what this change does",
        f"Compared with `{base_ref}`, rendered offline (no credentials): "
        + (f"{len(changed)} of {len(results)} stacks change." if changed else "no stack changes."),
        DETERMINISTIC,
    ]
    for stack, (diff, notes) in results.items():
        if not diff and not notes:
            continue
        added = sum(1 for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++"))
        removed = sum(1 for line in diff.splitlines() if line.startswith("-") and not line.startswith("---"))
        body = "\n".join(f"> {n}" for n in notes)
        parts.append(
            f"<details><summary><code>{stack}</code>: +{added} -{removed}</summary>\n\n{body}\n\n```diff\n{diff}```\n"
            "</details>"
        )
    text = "\n\n".join(parts) + "\n"
    if len(text) > COMMENT_LIMIT:
        text = text[:COMMENT_LIMIT] + "\n```\n\n(truncated: the full diffs are in the job's preview-diff artifact)\n"
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git ref to compare with (e.g. main, origin/main, a SHA)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "preview-diff")
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        base_tree = Path(tmp) / "base-src"
        base_tree.mkdir()
        export(args.base, base_tree)
        results = {
            stack: diff_stack(base_tree, ROOT, stack, out / "rendered")
            for stack in sorted(set(stacks(base_tree)) | set(stacks(ROOT)))
        }
    for stack, (diff, notes) in results.items():
        (out / f"{stack}.diff").write_text("".join(f"# {n}\n" for n in notes) + diff)
    (out / "comment.md").write_text(comment(args.base, results))
    changed = [s for s, (d, n) in results.items() if d or n]
    print(f"{len(changed)} of {len(results)} stacks change against {args.base}: {', '.join(changed) or 'none'}")
    print(f"wrote {out}/<stack>.diff and {out}/comment.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
