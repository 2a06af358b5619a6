"""The upstream reference: CI never skips the parity and CRD tests, and the fetch script gets the pinned files."""

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support import FETCH_REFERENCE, REFERENCE, ROOT, require_reference

PINNED = [
    "recipes/deepseek-r1/sglang/disagg-8gpu/deploy.yaml",
    "recipes/deepseek-r1/sglang/disagg-16gpu/deploy.yaml",
    "recipes/deepseek-r1/vllm/disagg/deploy_hopper_16gpu.yaml",
    "recipes/deepseek-r1/trtllm/disagg/wide_ep/gb200/deploy.yaml",
    "deploy/operator/config/crd/bases/nvidia.com_dynamographdeployments.yaml",
]


def test_a_missing_reference_fails_under_ci_and_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"scripts/fetch_reference\.sh"):
        require_reference(tmp_path / "missing.yaml")


def test_a_missing_reference_skips_locally(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="DSR1_REFERENCE_DIR"):
        require_reference(tmp_path / "missing.yaml")


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def _commit(repo: Path, files: list[str]) -> str:
    for rel in files:
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(require_reference(REFERENCE / "dynamo" / rel), repo / rel)
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "files")
    return _git(repo, "rev-parse", "--short=8", "HEAD")


def test_fetch_script_takes_each_file_at_its_pinned_commit(tmp_path: Path) -> None:
    """Against a local stand-in for ai-dynamo/dynamo: recipes at one commit, the CRD at another (a later commit
    changes the recipe, so taking it from the wrong commit would fail the checksum)."""
    upstream = tmp_path / "dynamo"
    upstream.mkdir()
    _git(upstream, "init", "-q")
    crd_commit = _commit(upstream, PINNED[4:])
    recipes_commit = _commit(upstream, PINNED[:4])
    (upstream / PINNED[0]).write_text("changed later\n")
    _commit(upstream, [])
    env = {"DSR1_REFERENCE_REPO": f"file://{upstream}", "DSR1_RECIPES_COMMIT": recipes_commit}
    env["DSR1_CRD_COMMIT"] = crd_commit
    dest = tmp_path / "reference"
    result = subprocess.run(
        ["bash", str(ROOT / FETCH_REFERENCE), str(dest)],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for rel in PINNED:
        assert (dest / "dynamo" / rel).read_bytes() == (REFERENCE / "dynamo" / rel).read_bytes()


def test_the_workflow_that_runs_the_tests_fetches_the_reference_first() -> None:
    workflow = (ROOT / ".github" / "workflows" / "preview-diff.yml").read_text()
    assert FETCH_REFERENCE in workflow and "DSR1_REFERENCE_DIR" in workflow
    assert workflow.index(FETCH_REFERENCE) < workflow.index("run: make test")
