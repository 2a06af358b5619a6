"""The layout's contract: imports go down the layers, and in-pod code stands alone (`.importlinter`)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("tools", "offline", "program", "components", "preflight", "validation", "specs", "config", "in_pod")


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "400"},
    )


def copy_of_the_tree(into: Path) -> Path:
    for name in (*PACKAGES, "policy"):
        shutil.copytree(ROOT / name, into / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", into / ".importlinter")
    return into


def test_every_contract_is_kept() -> None:
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "bad_import", "contract"),
    [
        ("config/schema.py", "import specs.graph_spec", "Layers"),
        ("specs/graph_spec.py", "import components.helm", "Layers"),
        ("in_pod/smoke_client.py", "import config.catalog", "In-pod code imports nothing"),
        ("specs/download_spec.py", "import in_pod.weights.job", "The program never imports in-pod code"),
    ],
)
def test_an_import_that_runs_back_up_breaks_a_contract(
    tmp_path: Path, module: str, bad_import: str, contract: str
) -> None:
    tree = copy_of_the_tree(tmp_path)
    path = tree / module
    path.write_text(path.read_text() + f"\n{bad_import}  # noqa\n")
    result = lint(tree)
    assert result.returncode != 0
    broken = [line for line in result.stdout.splitlines() if "BROKEN" in line]
    assert any(line.startswith(contract) for line in broken), result.stdout


@pytest.mark.parametrize("package", [*PACKAGES, "policy"])
def test_every_folder_says_what_it_holds(package: str) -> None:
    init = (ROOT / package / "__init__.py").read_text()
    assert init.startswith('"""') and len(init.strip()) > 20
