"""The preview: every AWS and Kubernetes change per resource, replacements traced down the graph and called out,
a broken head fails it, a bad base ref touches nothing, and the comment fits GitHub's limit."""

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from offline import report
from offline.run import Run
from tests.support import ROOT, render, stacks, working_tree_files
from tools import preview_diff, preview_plan, replacements


def steps_between(base: Run, head: Run) -> dict[str, preview_plan.Step]:
    return {s.name: s for s in preview_plan.plan(report.resource_entries(base), report.resource_entries(head))}


def test_a_new_vpc_cidr_replaces_the_vpc_and_everything_that_hangs_on_it(rendered: Callable[[str], Run]) -> None:
    steps = steps_between(rendered("h200-sglang-8"), render("h200-sglang-8", "target.vpcCidr=10.50.0.0/16"))
    assert steps["cluster-vpc"].action == "replace" and "`cidrBlock` changed" in steps["cluster-vpc"].reasons[0]
    for name in ("cluster-private-us-east-1a", "cluster-eks", "gpu-nodes", "model-cache-fsx", "model-cache-sg"):
        assert steps[name].action == "replace", name
    assert steps["inference-graph"].reasons == ["recreated on the new EKS cluster"]
    alerts = "\n".join(preview_diff.callouts([preview_diff.StackResult("s", steps=list(steps.values()))]))
    assert "replaces `cluster-eks`" in alerts and "replaces `model-cache-fsx`" in alerts and "download again" in alerts


def test_a_node_count_is_an_update_in_place(rendered: Callable[[str], Run]) -> None:
    steps = steps_between(rendered("h200-sglang-8"), render("h200-sglang-8", "gpuPool.nodeCount=3"))
    assert steps["gpu-nodes"].action == "update"
    assert "scalingConfig.desiredSize" in steps["gpu-nodes"].changed
    assert not [s for s in steps.values() if s.action == "replace" and s.type.startswith("aws:")]


def test_a_smaller_cache_replaces_the_file_system_and_a_larger_one_grows_it(rendered: Callable[[str], Run]) -> None:
    base = rendered("h200-sglang-8")
    (fs,) = [e for e in report.resource_entries(base) if e["type"] == "aws:fsx/lustreFileSystem:LustreFileSystem"]
    tier = f"modelCache.fsxThroughputPerTib={fs['inputs']['perUnitStorageThroughput']}"
    same = render("h200-sglang-8", f"modelCache.sizeGib={fs['inputs']['storageCapacity']}", tier)
    bigger = render("h200-sglang-8", f"modelCache.sizeGib={fs['inputs']['storageCapacity'] * 2}", tier)
    grown = steps_between(same, bigger)["model-cache-fsx"]
    assert grown.action == "update" and grown.changed == ["storageCapacity"]
    shrunk = steps_between(bigger, same)["model-cache-fsx"]
    assert shrunk.action == "replace" and "shrinks" in shrunk.reasons[0]


def test_input_changes_name_the_leaves_that_differ() -> None:
    before = {"a": {"b": 1, "c": [1, 2]}, "d": [{"e": 1}]}
    after = {"a": {"b": 2, "c": [1, 2, 3]}, "d": [{"e": 2}], "f": True}
    assert preview_plan.input_changes(before, after) == ["a.b", "a.c", "d.e", "f"]


def test_replace_on_change_paths_match_parents_and_children() -> None:
    assert replacements.forcing("aws:eks/nodeGroup:NodeGroup", "launchTemplate.id") == "launchTemplate.id"
    assert replacements.forcing("aws:eks/nodeGroup:NodeGroup", "launchTemplate") == "launchTemplate.id"
    assert replacements.forcing("aws:eks/nodeGroup:NodeGroup", "launchTemplate.version") is None
    assert replacements.forcing("kubernetes:batch/v1:Job", "spec.template.spec.containers.args") == "spec.template"
    assert replacements.forcing("kubernetes:core/v1:Service", "spec.ports") is None


def test_the_comment_stays_under_githubs_limit_with_the_callouts_first() -> None:
    step = preview_plan.Step("replace", "u", "aws:eks/cluster:Cluster", "cluster-eks", [], ["`name` changed"])
    many = [preview_plan.Step("update", f"u{i}", "t", f"r{i}", ["x" * 300]) for i in range(500)]
    results = [
        preview_diff.StackResult(f"stack{i}", diff="+" + "y" * 200 + "\n" * 1 + ("+z\n" * 20_000), steps=[step, *many])
        for i in range(5)
    ]
    text = preview_diff.comment("main", results)
    assert len(text) <= preview_diff.COMMENT_LIMIT
    assert text.startswith(preview_diff.MARKER) and "deterministic" in text
    assert text.index("replaces `cluster-eks`") < text.index("#### `stack0`")
    assert "in the artifact" in text


def test_a_bad_base_ref_is_one_message_and_touches_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep").write_text("previous run")
    assert preview_diff.main(["--base", "no-such-ref-anywhere", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "not a commit" in err and "Traceback" not in err
    assert (out / "keep").read_text() == "previous run"


def test_a_stack_that_no_longer_renders_fails_the_preview(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = preview_diff.StackResult("h200-sglang-8", head_error="dsr1:gpuPool.nodeCount: ...")
    already = preview_diff.StackResult("dev", base_error="x", head_error="x")
    monkeypatch.setattr(preview_diff, "_render_all", lambda base, work: [broken, already])
    assert preview_diff.main(["--base", "HEAD", "--out", str(tmp_path / "out")]) == 1
    assert "no longer renders" in (tmp_path / "out" / "comment.md").read_text()
    monkeypatch.setattr(preview_diff, "_render_all", lambda base, work: [already])
    assert preview_diff.main(["--base", "HEAD", "--out", str(tmp_path / "out2")]) == 0


@pytest.mark.timeout(240)
def test_a_vpc_cidr_change_in_one_stack_is_reported_for_that_stack_alone(tmp_path: Path) -> None:
    """End to end, in a clone: commit a new CIDR for h200-sglang-8 and preview it against the commit before."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)], check=True)
    listed = working_tree_files()
    for rel in listed:  # the working tree as it is, uncommitted changes included
        if (ROOT / rel).is_file():
            (clone / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / rel, clone / rel)
    git = ["git", "-C", str(clone), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "base"], check=True)
    stack_file = clone / "Pulumi.h200-sglang-8.yaml"
    stack_file.write_text(
        stack_file.read_text().replace("    kind: eks\n", "    kind: eks\n    vpcCidr: 10.50.0.0/16\n")
    )
    out = tmp_path / "preview"
    result = subprocess.run(
        [sys.executable, "-m", "tools.preview_diff", "--base", "HEAD", "--out", str(out)],
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=230,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"1 of {len(stacks())} stacks change" in result.stdout and "h200-sglang-8" in result.stdout
    plan = (out / "h200-sglang-8.plan.md").read_text()
    assert "| **REPLACE** | `cluster-vpc` | `aws:ec2/vpc:Vpc` | `cidrBlock` changed" in plan
    assert "| **REPLACE** | `cluster-eks` |" in plan
    for other in [s for s in stacks() if s != "h200-sglang-8"]:
        assert (out / f"{other}.plan.md").read_text().endswith("no resource changes\n"), other
        assert (out / f"{other}.diff").read_text() == "", other
