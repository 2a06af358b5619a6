"""Every hash lock is complete and installs exactly what it lists; removing any one package from a lock is caught,
naming it. (tools/locks; the locks' requirement metadata comes from PyPI through `make locks`.)"""

import re
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from tools.locks import complete
from tools.locks.lockfile import LockError, read
from tools.locks.targets import ROOT, Lock, locks

LOCKS = {lock.path: lock for lock in locks()}


def blocks(text: str) -> list[tuple[str, str]]:
    """(package name, its whole block: the pin, its hashes and its `# via` lines) in file order."""
    out = []
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        m = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==", block)
        if m:
            out.append((m.group(1), block.rstrip("\n") + "\n"))
    return out


def test_every_hash_locked_file_is_a_known_lock() -> None:
    """A new hash-locked file cannot escape the completeness check."""
    hashed = {
        str(p.relative_to(ROOT))
        for p in ROOT.rglob("*.txt")
        if not any(part.startswith((".venv", "node_modules", "build")) for part in p.relative_to(ROOT).parts)
        and "--hash=sha256:" in p.read_text()
    }
    assert hashed == set(LOCKS)


@pytest.mark.parametrize("path", sorted(LOCKS))
def test_the_lock_is_complete(path: str) -> None:
    assert complete.problems(LOCKS[path]) == []


@pytest.mark.parametrize("path", sorted(LOCKS))
def test_the_header_says_how_to_install_and_regenerate(path: str) -> None:
    head = "".join(line for line in (ROOT / path).read_text().splitlines(keepends=True) if line.startswith("#"))
    flat = " ".join(head.replace("#", " ").split())
    assert "`make locks`" in flat and "--require-hashes --no-deps" in flat and "`pip check`" in flat
    for root in LOCKS[path].roots:
        assert root in flat


@pytest.mark.parametrize("path", sorted(LOCKS))
def test_removing_any_package_fails_naming_it(path: str, tmp_path: Path) -> None:
    lock = LOCKS[path]
    text = (ROOT / path).read_text()
    pieces = blocks(text)
    assert len(pieces) == sum(len(v) for v in read(ROOT / path).values()) > 5
    copy = tmp_path / Path(path).name
    for name, block in pieces:
        pin = next(p for p in read(ROOT / path)[canonicalize_name(name)] if block.startswith(f"{p.name}=={p.version}"))
        if pin.marker and not any(pin.marker.evaluate(env.markers()) for env in lock.envs):
            continue  # a universal lock's pin for another platform (colorama on Windows): pip skips it there too
        assert block in text
        copy.write_text(text.replace(block, "", 1))
        found = complete.problems(lock, copy)
        assert any(f" {canonicalize_name(name)} (" in p and "is not locked" in p for p in found), (name, found)


def test_a_version_the_dependent_refuses_is_caught(tmp_path: Path) -> None:
    lock = LOCKS["requirements.txt"]
    text = (ROOT / lock.path).read_text()
    pins = read(ROOT / lock.path)
    (grpc,) = pins["grpcio"]
    copy = tmp_path / "requirements.txt"
    copy.write_text(text.replace(f"grpcio=={grpc.version} ", "grpcio==0.0.1 ", 1))
    found = complete.problems(lock, copy)
    assert any(p.startswith("requirements.txt: grpcio==0.0.1 does not satisfy grpcio") for p in found), found
    assert any("no metadata for grpcio==0.0.1" in p for p in found)  # and its own requirements are unknown


def test_a_package_nothing_needs_is_reported(tmp_path: Path) -> None:
    lock = Lock("requirements.txt", ("requests==2.34.2",), LOCKS["requirements.txt"].envs, "test")
    found = complete.problems(lock)
    assert any("pulumi==" in p and "nothing needs it" in p for p in found)
    assert not any("is not locked" in p for p in found)


def test_a_pin_without_hash_or_range_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "l.txt"
    bad.write_text("requests==2.34.2\n")
    with pytest.raises(LockError, match="requests has no --hash"):
        read(bad)
    bad.write_text("requests>=2 --hash=sha256:" + "0" * 64 + "\n")
    with pytest.raises(LockError, match="not an exact pin"):
        read(bad)


def test_the_makefile_installs_every_root_lock_with_no_deps_and_pip_check() -> None:
    makefile = (ROOT / "Makefile").read_text()
    macro = makefile[makefile.index("define install-lock") : makefile.index("endef")]
    assert "--require-hashes --no-deps -r $(2)" in macro and "-m tools.locks.pip_check $(1) $(2)" in macro
    assert macro.index("pip_check") < macro.index("touch $(1)/.installed")  # the stamp comes last
    assert "rm -rf $(1)" in macro  # a half-built venv is never reused
    for path in LOCKS:
        if "/" not in path and path != "requirements-dev.txt":
            assert re.search(rf"\$\(call install-lock,[^,]+,{re.escape(path)},", makefile), path
    dev = makefile[makefile.index("$(VENV)/.installed: requirements-dev.txt") :]
    dev = dev[: dev.index("\n\n")]
    assert "--require-hashes --no-deps -r requirements-dev.txt" in dev and "pip check" in dev
    assert not re.search(r"pip install(?![^\n]*--no-deps)[^\n]*-r requirements", makefile)


def test_pip_check_accepts_only_what_the_lock_leaves_out() -> None:
    from tools.locks.pip_check import unexpected

    ok = "ai-dynamo 1.6.1 requires aisimulate, which is not installed.\n"
    other = "aiperf 0.13.0 requires numpy, which is not installed.\n"
    conflict = "ai-dynamo 1.6.1 has requirement aisimulate==0.13.0, but you have aisimulate 0.1.\n"
    assert unexpected(ok + "No broken requirements found.", {"aisimulate"}) == []
    assert unexpected(ok + other, {"aisimulate"}) == [other.strip()]
    assert unexpected(conflict, {"aisimulate"}) == [conflict.strip()]
    assert unexpected(ok, set()) == [ok.strip()]
    (twin,) = [lock for lock in locks() if lock.path == "requirements-local.txt"]
    assert [name for name, _ in twin.excluded] == ["aisimulate"]  # and nothing else is waived
