"""The fabric check's NIXL transfer (in_pod/nixl_check.py): a real transfer with the release's NIXL where it installs
(.venv-nixl: UCX, host memory, loopback; LIBFABRIC here fails as in an image without the EFA userspace), and each
failure's likely cause with a fake NIXL."""

import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from in_pod import nixl_check
from in_pod.nixl_check import Facts, likely_causes, verdict
from tests.support import ROOT

NIXL_PYTHON = ROOT / ".venv-nixl" / "bin" / "python"
SCRIPT = ROOT / "in_pod" / "nixl_check.py"
needs_nixl = pytest.mark.skipif(
    not NIXL_PYTHON.exists(),
    reason="no .venv-nixl: python3.11 -m venv .venv-nixl && .venv-nixl/bin/pip install --no-deps -r "
    "requirements-nixl-check.txt",
)
ON_EFA = Facts("LIBFABRIC", ("/dev/infiniband/uverbs0",), "/opt/amazon/efa/lib/libfabric.so.1", None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def check(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(NIXL_PYTHON), str(SCRIPT), *args, "--size-mib", "4", "--memory", "dram", "--timeout", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@needs_nixl
def test_a_real_nixl_read_between_two_processes_passes_and_verifies_every_byte() -> None:
    port = free_port()
    procs = [check("--role", "target", "--port", str(port), "--backend", "UCX")]
    try:
        procs.append(check("--role", "initiator", "--peer", "localhost", "--port", str(port), "--backend", "UCX"))
        outs = [p.communicate(timeout=90)[0] for p in procs]
    finally:  # stopped also on failure
        for p in procs:
            p.kill()
            p.wait()
            p.stdout.close() if p.stdout else None
    assert [p.returncode for p in procs] == [0, 0], outs
    assert "nixl-check: PASS target: 4194304 bytes of DRAM read by the initiator over UCX" in outs[0]
    assert "nixl-check: PASS initiator: 4194304 bytes of DRAM read over UCX" in outs[1]


@needs_nixl
def test_libfabric_without_the_efa_userspace_fails_naming_it() -> None:
    """This machine has neither EFA devices nor libfabric: exactly a plain (non `-efa`) image on a CPU node."""
    p = check("--role", "target", "--port", str(free_port()), "--backend", "LIBFABRIC")
    try:
        out = p.communicate(timeout=90)[0]
    finally:
        p.kill()
        p.wait()
    assert p.returncode == 1
    assert "nixl-check: FAIL at backend" in out
    assert "no EFA devices in the pod" in out and "libfabric not found" in out


def test_each_stage_names_its_likely_cause() -> None:
    no_devices = Facts("LIBFABRIC", (), "/opt/amazon/efa/lib/libfabric.so.1", None)
    assert likely_causes("backend", "x", no_devices)[0].startswith("no EFA devices in the pod")
    no_lib = Facts("LIBFABRIC", ("/dev/infiniband/uverbs0",), None, None)
    assert likely_causes("backend", "x", no_lib)[0].startswith("libfabric not found")
    capped = Facts("LIBFABRIC", ("/dev/infiniband/uverbs0",), "/lib/libfabric.so.1", 65536)
    (cause,) = likely_causes("register", "NIXL_ERR_BACKEND", capped)
    assert cause.startswith("memory registration refused (NIXL_ERR_BACKEND)") and "here: 65536 bytes" in cause
    gb200 = Facts("LIBFABRIC", ("/dev/infiniband/uverbs0",), "/lib/libfabric.so.1", None, "aarch64")
    first, registration = likely_causes("register", "fi_mr_reg: Bad address", gb200)
    assert "ofiwg/libfabric#12019" in first and registration.startswith("memory registration refused")
    (cause,) = likely_causes("peer", "timed out", ON_EFA)
    assert cause.startswith("the peer never answered")
    assert likely_causes("transfer", "ERR", ON_EFA)[0].startswith("the fabric refused the transfer")
    assert "UCX" in likely_causes("backend", "x", Facts("UCX", (), None, None))[0]  # no EFA blame off EFA
    assert verdict("verify", "differs", ON_EFA).startswith("nixl-check: FAIL at verify: differs. Likely cause: ")


class FakeAgent:
    """nixl._api.nixl_agent as far as the check uses it, failing where told."""

    def __init__(self, fail: str) -> None:
        self.fail = fail

    def create_backend(self, backend: str) -> None:
        if self.fail == "backend":
            raise RuntimeError("NIXL_ERR_NOT_FOUND")

    def register_memory(self, regs: list[Any], mem: str) -> Any:
        if self.fail == "register":
            raise RuntimeError("NIXL_ERR_BACKEND")
        return ["registered"]

    def get_xfer_descs(self, descs: list[Any], mem: str) -> Any:
        return descs

    def check_remote_metadata(self, name: str) -> bool:
        return self.fail != "peer"

    def get_serialized_descs(self, descs: Any) -> bytes:
        return b"descs"

    def send_notif(self, name: str, msg: bytes) -> None:
        pass

    def get_new_notifs(self) -> dict[str, list[bytes]]:
        return {"initiator": [nixl_check.FAILED]} if self.fail == "initiator-failed" else {}


def fake_nixl(fail: str) -> Any:
    return SimpleNamespace(nixl_agent_config=lambda *a, **k: None, nixl_agent=lambda *a, **k: FakeAgent(fail))


@pytest.mark.parametrize(
    ("fail", "says"),
    [
        ("backend", "FAIL at backend: RuntimeError: NIXL_ERR_NOT_FOUND"),
        ("register", "FAIL at register: RuntimeError: NIXL_ERR_BACKEND. Likely cause: memory registration refused"),
        ("peer", "FAIL at peer: timed out waiting for the initiator's metadata"),
        ("initiator-failed", "FAIL at peer: the initiator reported a failed transfer"),
    ],
)
def test_a_failure_prints_one_verdict_and_exits_1(fail: str, says: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--role", "target", "--backend", "UCX", "--size-mib", "1", "--memory", "dram", "--timeout", "0.2"]
    assert nixl_check.main(args, nixl=fake_nixl(fail)) == 1
    out = capsys.readouterr().out
    assert says in out and out.count("nixl-check: FAIL") == 1


def test_the_script_needs_nothing_of_the_program() -> None:
    """It runs in the serving image with plain python3: its own imports only (the layer contract checks the rest)."""
    done = subprocess.run(
        [sys.executable, "-I", "-c", f"import runpy; runpy.run_path({str(SCRIPT)!r}, run_name='probe')"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=Path("/"),
    )
    assert done.returncode == 0, done.stderr
