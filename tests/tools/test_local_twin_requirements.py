"""The twin's environment: hash-locked, at the versions the program pins, installed before `make test`'s pytest."""

import re
from pathlib import Path

from config import versions

ROOT = Path(__file__).resolve().parents[2]
LOCK = (ROOT / "requirements-local.txt").read_text()


def pins() -> dict[str, str]:
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\$", LOCK, flags=re.MULTILINE))


def test_every_requirement_is_pinned_with_a_hash() -> None:
    blocks = [b for b in re.split(r"\n(?=[A-Za-z0-9_.-]+==)", LOCK) if re.match(r"[A-Za-z0-9_.-]+==", b)]
    assert len(blocks) == len(pins()) > 100
    assert all("--hash=sha256:" in b for b in blocks)


def test_the_lock_takes_the_programs_versions() -> None:
    p = pins()
    release = versions.DYNAMO_RELEASES[versions.DYNAMO_RELEASE]
    assert p["aiperf"] == versions.AIPERF_VERSION == release.aiperf  # the benchmark Job's aiperf, the release's
    assert p["ai-dynamo"] == release.pypi and p["ai-dynamo"].startswith(release.version)  # the images' release
    assert p["ai-dynamo-runtime"] == p["ai-dynamo"]
    assert "aisimulate" not in p  # a pypi.nvidia.com placeholder on PyPI; the twin never imports it (see the header)


def test_make_test_installs_the_twin_before_pytest() -> None:
    makefile = (ROOT / "Makefile").read_text()
    pytest_target = next(line for line in makefile.splitlines() if line.startswith("pytest:"))
    assert "$(LOCAL_VENV)/.installed" in pytest_target
    assert "--no-deps --require-hashes -r requirements-local.txt" in makefile  # ai-dynamo without aisimulate
    assert ".venv-local" in (ROOT / ".gitignore").read_text().splitlines()
