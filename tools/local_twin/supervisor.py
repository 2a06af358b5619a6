"""Runs the twin's processes: each in its own process group, logged to its own file, all stopped together.

Stopping signals the whole group (a tool's helpers go with it): SIGTERM, then SIGKILL after a grace period. On
Linux each child also gets SIGTERM if the supervisor itself dies (PR_SET_PDEATHSIG), so nothing outlives it.
"""

import contextlib
import ctypes
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

GRACE_S = 10.0
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


SYSTEM_PORTS = range(20000, 32768)
"""The runtime reads DYN_SYSTEM_PORT as a signed 16-bit number (ai-dynamo-runtime 1.3.0.post1 refuses 58149:
"expected i16"), so the OS's ephemeral range (32768 and up on Linux) will not do."""


def port_free(port: int) -> bool:
    """Whether a server could bind `port` on loopback now (SO_REUSEADDR, as servers set it: a port whose last
    connections linger in TIME_WAIT is free)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(taken: set[int], ports: range = SYSTEM_PORTS) -> int:
    """A port of `ports` free on loopback now and not in `taken` (which it joins). The search starts at a random
    place: two twins on one machine then rarely reach for the same port at once (the caller still checks)."""
    start = random.randrange(len(ports))
    for i in range(len(ports)):
        port = ports[(start + i) % len(ports)]
        if port not in taken and port_free(port):
            taken.add(port)
            return port
    raise OSError(f"no free port in {ports.start}-{ports.stop - 1} on 127.0.0.1")


@dataclass
class Running:
    name: str
    popen: "subprocess.Popen[bytes]"
    log: Path
    handle: IO[bytes]

    def tail(self, lines: int = 20) -> str:
        self.handle.flush()
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


@dataclass
class Supervisor:
    log_dir: Path
    running: list[Running] = field(default_factory=list)

    def start(self, name: str, argv: Sequence[str], env: Mapping[str, str], cwd: Path | None = None) -> Running:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_dir / f"{name}.log"
        handle = log.open("wb")
        popen = subprocess.Popen(
            list(argv),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole
            preexec_fn=_die_with_parent,
        )
        proc = Running(name, popen, log, handle)
        self.running.append(proc)
        return proc

    def exited(self) -> list[Running]:
        return [p for p in self.running if p.popen.poll() is not None]

    def stop(self, proc: Running) -> None:
        if proc.popen.poll() is None:
            self._signal(proc, signal.SIGTERM)
            try:
                proc.popen.wait(GRACE_S)
            except subprocess.TimeoutExpired:
                self._signal(proc, signal.SIGKILL)
                proc.popen.wait()
        self._signal(proc, signal.SIGKILL)  # helpers left in the group after its leader exited
        proc.handle.close()

    def stop_all(self) -> None:
        for proc in self.running:  # all at once first: they shut down in parallel
            if proc.popen.poll() is None:
                self._signal(proc, signal.SIGTERM)
        deadline = time.monotonic() + GRACE_S
        for proc in reversed(self.running):
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(max(0.0, deadline - time.monotonic()))
            self.stop(proc)
        self.running.clear()

    @staticmethod
    def _signal(proc: Running, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.popen.pid, sig)


class StopSignalError(Exception):
    """SIGINT or SIGTERM arrived: unwind and stop everything."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def raise_on_signals() -> None:
    """Ctrl-C and SIGTERM unwind the stack (so `finally` stops the twin) instead of killing the process."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise StopSignalError(signum)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
