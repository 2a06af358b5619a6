"""A NIXL transfer between two GPU nodes, in the serving image: the KV path disaggregated prefill and decode use.

Runs in two pods of the fabric check (one per node), with the workers' image, security context, fabric devices and
fabric environment. Pod 0 is the target: it registers a buffer holding a known pattern and waits. Pod 1 is the
initiator: it READs that buffer over NIXL's fabric backend (LIBFABRIC on EFA, as the workers' KV transfer uses it)
into its own registered buffer, checks every byte, and tells the target. Each pod prints one verdict line; a failure
names the stage and its likely cause: no EFA devices in the pod, libfabric not found, memory registration refused,
the peer unreachable.

NIXL's Python API as used here is nixl 1.5.0's `nixl._api` (the `nixl-cu12`/`nixl-cu13` wheels on PyPI, read for this
file): `nixl_agent(name, nixl_agent_config(enable_prog_thread, enable_listen_thread, listen_port, backends=[]))`,
`create_backend`, `register_memory([(addr, len, dev, "")], "DRAM"|"VRAM")`, `fetch_remote_metadata` /
`send_local_metadata` / `check_remote_metadata` over the agents' listener, `send_notif` / `get_new_notifs`,
`initialize_xfer("READ", ...)`, `transfer`, `check_xfer_state`; the two-peer flow is upstream's
examples/python/basic_two_peers.py (ai-dynamo/nixl).

Standard library plus nixl (and torch, when present, for GPU memory); it imports nothing of the program.
"""

import argparse
import ctypes
import ctypes.util
import glob
import hashlib
import importlib
import os
import platform
import resource
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

TARGET, INITIATOR = "target", "initiator"
DONE, FAILED = b"nixl-check-verified", b"nixl-check-failed"
EFA_LIBFABRIC = ("/opt/amazon/efa/lib/libfabric.so.1", "/opt/amazon/efa/lib64/libfabric.so.1")
"""Where the AWS EFA installer puts libfabric (the `-efa` images carry it, Dynamo's EFA guide, Step 3)."""
UVERBS = "/dev/infiniband/uverbs*"
"""The EFA device plugin mounts one per `vpc.amazonaws.com/efa` device into the pod."""


@dataclass(frozen=True)
class Facts:
    """What the pod has, for naming a failure's likely cause."""

    backend: str
    devices: tuple[str, ...]
    libfabric: str | None
    memlock: int | None
    """RLIMIT_MEMLOCK in bytes; None: unlimited."""
    arch: str = ""
    """The machine (`aarch64` on GB200)."""


def facts(backend: str) -> Facts:
    lib = ctypes.util.find_library("fabric") or next((p for p in EFA_LIBFABRIC if os.path.exists(p)), None)
    soft = resource.getrlimit(resource.RLIMIT_MEMLOCK)[0]
    memlock = None if soft == resource.RLIM_INFINITY else soft
    return Facts(backend, tuple(sorted(glob.glob(UVERBS))), lib, memlock, platform.machine())


def likely_causes(stage: str, error: str, f: Facts) -> list[str]:
    """The probable reasons for a failure at `stage` (backend, register, peer, transfer, verify), most likely first."""
    causes: list[str] = []
    fabric = f.backend == "LIBFABRIC"
    if fabric and not f.devices and stage != "peer":
        causes.append(
            f"no EFA devices in the pod ({UVERBS} is empty): the pod must request vpc.amazonaws.com/efa and the EFA "
            "device plugin must run on the node"
        )
    if fabric and f.libfabric is None and stage in ("backend", "register", "transfer"):
        causes.append(
            "libfabric not found (neither the loader nor /opt/amazon/efa/lib has libfabric.so.1): the image lacks the "
            "EFA userspace; EFA pools need the `<backend>-runtime:<release>-efa` image"
        )
    if stage == "register" and f.arch == "aarch64" and ("Bad address" in error or "EFAULT" in error):
        causes.append(
            "libfabric before 2.5 cannot register CUDA memory on GB200 (EFAULT, ofiwg/libfabric#12019, "
            "ai-dynamo/nixl#1609): keep the KV on NVLink or use an image with libfabric 2.5.1+"
        )
    if stage == "register":
        limit = "unlimited" if f.memlock is None else f"{f.memlock} bytes"
        causes.append(
            f"memory registration refused ({error}): the NIC must pin the buffer (fi_mr_reg); on EFA the container "
            f"needs privileged with IPC_LOCK for GPU memory (Dynamo's EFA guide, Step 5) and an unlimited memlock "
            f"limit (here: {limit})"
        )
    if stage == "backend" and not causes:
        causes.append(f"NIXL could not create its {f.backend} backend ({error}): its plugin or a library it loads")
    if stage == "peer":
        causes.append(
            f"the peer never answered ({error}): it failed first (see its log), or DNS or a NetworkPolicy blocks the "
            "NIXL listener port between the check's pods"
        )
    if stage == "transfer" and not causes:
        causes.append(f"the fabric refused the transfer ({error}): run with FI_LOG_LEVEL=warn for libfabric's reason")
    if stage == "verify":
        causes.append("the transfer completed but the data differs: the fabric or GPU memory path corrupts data")
    return causes


def verdict(stage: str, error: str, f: Facts) -> str:
    return f"nixl-check: FAIL at {stage}: {error}. Likely cause: " + "; ".join(likely_causes(stage, error, f)) + "."


class CheckFailedError(Exception):
    def __init__(self, stage: str, error: str) -> None:
        super().__init__(f"{stage}: {error}")
        self.stage, self.error = stage, error


def pattern(size: int) -> bytes:
    block = bytes((i * 7 + 13) % 256 for i in range(4096))
    return (block * (size // len(block) + 1))[:size]


class Buffer:
    """`size` bytes in GPU memory (torch on cuda:0) or in host memory (ctypes); NIXL gets its address."""

    def __init__(self, size: int, content: bytes | None, gpu: bool) -> None:
        self.size, self.gpu = size, gpu
        if gpu:
            torch = importlib.import_module("torch")  # the serving images carry it
            host = torch.frombuffer(bytearray(content or bytes(size)), dtype=torch.uint8)
            self._tensor = host.to("cuda:0")
            self.address = int(self._tensor.data_ptr())
        else:
            self._host = ctypes.create_string_buffer(content or bytes(size), size)
            self.address = ctypes.addressof(self._host)

    @property
    def memory(self) -> str:
        return "VRAM" if self.gpu else "DRAM"

    def read(self) -> bytes:
        return bytes(self._tensor.cpu().numpy().tobytes()) if self.gpu else self._host.raw


def use_gpu(memory: str) -> bool:
    if memory != "auto":
        return memory == "vram"
    try:
        return bool(importlib.import_module("torch").cuda.is_available())
    except ImportError:
        return False


def _wait(what: str, ready: Callable[[], bool], deadline: float, step: float = 0.05) -> None:
    while not ready():
        if time.monotonic() > deadline:
            raise CheckFailedError("peer", f"timed out waiting for {what}")
        time.sleep(step)


def _agent(nixl: ModuleType, role: str, port: int, backend: str) -> Any:
    config = nixl.nixl_agent_config(True, True, port if role == TARGET else 0, backends=[])
    agent = nixl.nixl_agent(role, config)
    try:
        agent.create_backend(backend)
    except Exception as e:  # nixl raises its bindings' own error types
        raise CheckFailedError("backend", f"{type(e).__name__}: {e}") from e
    return agent


def _register(agent: Any, buf: Buffer) -> Any:
    try:
        descs = agent.register_memory([(buf.address, buf.size, 0, "")], buf.memory)
    except Exception as e:
        raise CheckFailedError("register", f"{type(e).__name__}: {e}") from e
    if not descs:
        raise CheckFailedError("register", "register_memory returned nothing")
    return descs


def target(nixl: ModuleType, port: int, backend: str, size: int, gpu: bool, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    agent = _agent(nixl, TARGET, port, backend)
    buf = Buffer(size, pattern(size), gpu)
    _register(agent, buf)
    local = agent.get_xfer_descs([(buf.address, buf.size, 0)], buf.memory)
    _wait("the initiator's metadata", lambda: bool(agent.check_remote_metadata(INITIATOR)), deadline)
    agent.send_notif(INITIATOR, agent.get_serialized_descs(local))
    said: list[bytes] = []

    def heard() -> bool:
        said.extend(agent.get_new_notifs().get(INITIATOR, []))
        return DONE in said or FAILED in said

    _wait("the initiator's verdict", heard, deadline)
    if DONE not in said:
        raise CheckFailedError("peer", "the initiator reported a failed transfer (see its log)")
    return f"nixl-check: PASS target: {size} bytes of {buf.memory} read by the initiator over {backend}"


def initiator(nixl: ModuleType, peer: str, port: int, backend: str, size: int, gpu: bool, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    agent = _agent(nixl, INITIATOR, port, backend)
    buf = Buffer(size, None, gpu)
    _register(agent, buf)
    local = agent.get_xfer_descs([(buf.address, buf.size, 0)], buf.memory)
    remote: list[Any] = []

    address: list[str] = []

    def exchanged() -> bool:
        """Ask the target's listener for its metadata and leave ours, until it answers (it may start later)."""
        if not agent.check_remote_metadata(TARGET):
            try:
                address[:] = [socket.gethostbyname(peer)]
            except OSError:
                return False
            agent.fetch_remote_metadata(TARGET, address[0], port)
            agent.send_local_metadata(address[0], port)
            return False
        remote.extend(agent.deserialize_descs(n) for n in agent.get_new_notifs().get(TARGET, []))
        return bool(remote)

    _wait(f"the target at {peer}:{port}", exchanged, deadline, step=1.0)
    handles: list[Any] = []

    def prepared() -> bool:
        """Metadata fetched before the target registered its buffer lacks it (NIXL_ERR_NOT_FOUND): fetch again, as
        upstream's partial_md_example retries initialize_xfer."""
        try:
            handles.append(agent.initialize_xfer("READ", local, remote[0], TARGET, b""))
            return True
        except Exception:  # nixl's bindings raise their own error types
            agent.fetch_remote_metadata(TARGET, address[0], port)
            return False

    _wait("the target's registered buffer in its metadata", prepared, deadline, step=0.5)
    handle = handles[0]
    start = time.monotonic()
    state = agent.transfer(handle)
    while state not in ("DONE", "ERR"):
        if time.monotonic() > deadline:
            raise CheckFailedError("transfer", "timed out with the transfer in progress")
        state = agent.check_xfer_state(handle)
    seconds = time.monotonic() - start
    if state == "ERR":
        agent.send_notif(TARGET, FAILED)
        raise CheckFailedError("transfer", "check_xfer_state: ERR")
    if hashlib.sha256(buf.read()).digest() != hashlib.sha256(pattern(size)).digest():
        agent.send_notif(TARGET, FAILED)
        raise CheckFailedError("verify", f"{size} bytes read, content differs")
    agent.send_notif(TARGET, DONE)
    agent.release_xfer_handle(handle)
    rate = size / seconds / 1e9 if seconds > 0 else float("inf")
    took = f"in {seconds:.3f} s ({rate:.2f} GB/s)"
    return f"nixl-check: PASS initiator: {size} bytes of {buf.memory} read over {backend} {took}"


def load_nixl() -> ModuleType:
    try:
        return importlib.import_module("nixl._api")
    except ImportError as e:
        raise CheckFailedError("backend", f"the nixl Python package is not in this image ({e})") from e


def main(argv: list[str] | None = None, nixl: ModuleType | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--role", choices=(TARGET, INITIATOR), help="default: from JOB_COMPLETION_INDEX (0 target)")
    parser.add_argument("--peer", help="the target's host name (the initiator's only)")
    parser.add_argument("--port", type=int, default=5555, help="the target's NIXL listener port")
    parser.add_argument("--backend", default="LIBFABRIC", help="NIXL backend: LIBFABRIC on EFA, UCX elsewhere")
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--memory", choices=("auto", "vram", "dram"), default="auto", help="auto: GPU if present")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds for the peer and the transfer")
    args = parser.parse_args(argv)
    role = args.role or (TARGET if os.environ.get("JOB_COMPLETION_INDEX", "0") == "0" else INITIATOR)
    size = args.size_mib * 1024 * 1024
    found = facts(args.backend)
    print(f"nixl-check: {role}, backend {args.backend}, EFA devices {list(found.devices)}, libfabric {found.libfabric}")
    try:
        api = nixl or load_nixl()
        gpu = use_gpu(args.memory)
        if role == TARGET:
            line = target(api, args.port, args.backend, size, gpu, args.timeout)
        else:
            if not args.peer:
                parser.error("--peer is required for the initiator")
            line = initiator(api, args.peer, args.port, args.backend, size, gpu, args.timeout)
    except CheckFailedError as e:
        print(verdict(e.stage, e.error, found), flush=True)
        return 1
    except Exception as e:  # anything NIXL raises past the stages above: still one verdict, with the fabric's facts
        print(verdict("transfer", f"{type(e).__name__}: {e}", found), flush=True)
        return 1
    print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
