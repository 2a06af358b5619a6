"""The supervisor stops whole process groups (a tool's helpers too) and picks system ports the runtime accepts."""

import os
import socket
import sys
import time
from pathlib import Path

import pytest

from tools.local_twin.supervisor import SYSTEM_PORTS, Supervisor, free_port

# A parent that starts a helper in its own group and reports the helper's pid, then both sleep.
PARENT = (
    "import subprocess, sys, time\n"
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
    "print(child.pid, flush=True)\n"
    "time.sleep(120)\n"
)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by its parent) counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def helper_pid(log: Path) -> int:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        text = log.read_text().strip()
        if text:
            return int(text.splitlines()[0])
        time.sleep(0.05)
    raise AssertionError("the parent never reported its helper")


@pytest.mark.timeout(60)
def test_stop_all_ends_the_process_and_its_helpers(tmp_path: Path) -> None:
    sup = Supervisor(tmp_path)
    try:
        proc = sup.start("parent", [sys.executable, "-c", PARENT], dict(os.environ))
        child = helper_pid(proc.log)
        assert alive(proc.popen.pid) and alive(child)
        assert os.getpgid(child) == proc.popen.pid  # its own group, led by the process started
    finally:
        sup.stop_all()
    deadline = time.monotonic() + 10
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.popen.returncode is not None
    assert not alive(child)
    assert sup.running == []


@pytest.mark.timeout(30)
def test_exited_reports_a_dead_process_and_its_log(tmp_path: Path) -> None:
    sup = Supervisor(tmp_path)
    try:
        proc = sup.start("fails", [sys.executable, "-c", "print('boom'); raise SystemExit(3)"], dict(os.environ))
        proc.popen.wait(20)
        assert sup.exited() == [proc]
        assert "boom" in proc.tail()
    finally:
        sup.stop_all()


def test_free_ports_are_below_the_runtimes_i16_limit_and_distinct() -> None:
    taken: set[int] = set()
    ports = [free_port(taken) for _ in range(3)]
    assert len(set(ports)) == 3
    assert all(p in SYSTEM_PORTS and p < 2**15 for p in ports)


def test_a_busy_port_is_skipped() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        assert free_port(set(), range(busy, busy + 50)) != busy


# Stands in for a mocker: binds DYN_SYSTEM_PORT and logs what ai-dynamo-runtime logs on success or failure.
FAKE_MOCKER = (
    "import os, socket, time\n"
    "port = int(os.environ['DYN_SYSTEM_PORT'])\n"
    "s = socket.socket()\n"
    "try:\n"
    "    s.bind(('127.0.0.1', port)); s.listen()\n"
    "    print(f'System status server started successfully on 127.0.0.1:{port}', flush=True)\n"
    "except OSError:\n"
    "    print('System status server startup failed: Address already in use', flush=True)\n"
    "time.sleep(120)\n"
)


@pytest.mark.timeout(60)
def test_a_mocker_whose_system_port_was_taken_is_restarted_on_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tools.local_twin import twin
    from tools.local_twin.plan import Process

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken_first = busy.getsockname()[1]
        offered = iter([taken_first, free_port(set())])
        monkeypatch.setattr(twin, "free_port", lambda taken: next(offered))
        sup = Supervisor(tmp_path)
        try:
            m = Process("decode-0", (), {})
            twin._start_mocker(sup, m, [sys.executable, "-c", FAKE_MOCKER], dict(os.environ), set())
            assert len(sup.running) == 1  # the first attempt was stopped and dropped
            log = sup.running[0].log.read_text()
            assert "started successfully" in log and str(taken_first) not in log
        finally:
            sup.stop_all()
