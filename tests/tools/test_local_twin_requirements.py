"""The twin's environment: hash-locked, at the versions the program pins, installed before `make test`'s pytest."""

import fnmatch
import re
from pathlib import Path

from config import versions

ROOT = Path(__file__).resolve().parents[2]
LOCK = (ROOT / "requirements-local.txt").read_text()


def pins() -> dict[str, str]:
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", LOCK, flags=re.MULTILINE))


def test_the_lock_takes_the_programs_versions() -> None:
    p = pins()
    release = versions.DYNAMO_RELEASES[versions.DYNAMO_RELEASE]
    assert p["aiperf"] == versions.AIPERF_VERSION == release.aiperf  # the benchmark Job's aiperf, the release's
    assert p["ai-dynamo"] == release.pypi and p["ai-dynamo"].startswith(release.version)  # the images' release
    assert p["ai-dynamo"] == versions.AI_DYNAMO_PACKAGE_VERSION
    assert p["ai-dynamo-runtime"] == p["ai-dynamo"]
    assert "aisimulate" not in p  # a pypi.nvidia.com placeholder on PyPI; the twin never imports it (see the header)


def test_make_test_installs_the_twin_before_pytest() -> None:
    makefile = (ROOT / "Makefile").read_text()
    pytest_target = next(line for line in makefile.splitlines() if line.startswith("pytest:"))
    assert "$(LOCAL_VENV)/.installed" in pytest_target
    assert "$(call install-lock,$(LOCAL_VENV),requirements-local.txt," in makefile
    assert any(fnmatch.fnmatch(".venv-local", p) for p in (ROOT / ".gitignore").read_text().splitlines())
