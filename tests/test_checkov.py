"""checkov over every stack's rendered download Job: no failed check that is not skipped with its reason."""

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline.report import manifests
from offline.run import Run
from tests.support import ROOT, stacks

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"


def checkov(directory: Path) -> dict[str, Any]:
    if not CHECKOV.exists():
        pytest.skip(f"checkov is not installed at {CHECKOV}; `make test` installs it (requirements-checkov.txt)")
    result = subprocess.run(
        [str(CHECKOV), "-d", str(directory), "--framework", "kubernetes", "--compact", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(result.stdout)
    first: dict[str, Any] = report[0] if isinstance(report, list) else report
    return first


@pytest.fixture(scope="module")
def download_jobs_report(tmp_path_factory: pytest.TempPathFactory, rendered: Callable[[str], Run]) -> dict[str, Any]:
    """One checkov run over the download Jobs of every stack, with their NetworkPolicies (checkov starts slowly)."""
    out = tmp_path_factory.mktemp("checkov")
    for stack in stacks():
        objects = [
            m
            for m in manifests(rendered(stack))
            if m["kind"] in ("Job", "NetworkPolicy") and m["metadata"]["name"].startswith("download-")
        ]
        (out / f"{stack}.yaml").write_text(yaml.safe_dump_all(objects))
    return checkov(out)


def test_download_jobs_fail_no_unexplained_check(download_jobs_report: dict[str, Any]) -> None:
    failed = [
        f"{c['check_id']} {c['check_name']} ({c['file_path']})"
        for c in download_jobs_report["results"]["failed_checks"]
    ]
    assert failed == []
    assert download_jobs_report["summary"]["passed"] > 50


def test_every_skip_carries_a_reason(download_jobs_report: dict[str, Any]) -> None:
    skipped = download_jobs_report["results"]["skipped_checks"]
    assert {c["check_id"] for c in skipped} == {"CKV_K8S_25"}  # prepare-cache's CHOWN, explained on the Job
    assert all(len(c["check_result"].get("suppress_comment", "")) > 20 for c in skipped)
