"""The twin for real: ai-dynamo's frontend and mockers from .venv-local, on loopback, CPU only.

`local-check` must pass for `dev` and a recipe stack; `local` must serve an ordinary OpenAI-style client, hold every
listener to loopback (the event plane aside) and leave nothing running after Ctrl-C. Skipped only outside CI when
.venv-local is absent (`make .venv-local/.installed` makes it); under CI it must run.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tools import venvs

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-local"
LISTEN = "0A"


def http_port() -> int:
    """An OS-assigned free port for the frontend (outside the range the twin takes its system ports from)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(autouse=True)
def twin_venv() -> None:
    missing = venvs.problem(VENV, ".venv-local/.installed")
    if missing is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{missing}; under CI the Makefile's pytest target must install it")
    pytest.skip(f"{missing}; CI installs it and runs this")


def twin(stack: str, out: Path, port: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "tools.local_twin", "--stack", stack, "--port", str(port), "--out", str(out), *extra]


def mentioning(text: str) -> list[int]:
    """Processes whose command line or environment mention `text` (the twin's directory): the twin's own."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            blob = (proc / "cmdline").read_bytes() + (proc / "environ").read_bytes()
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text.encode() in blob and state != "Z":
            found.append(int(proc.name))
    return found


def assert_nothing_left(out: Path) -> None:
    deadline = time.monotonic() + 15
    while mentioning(str(out)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert mentioning(str(out)) == [], "processes of the twin outlived the command"


def _address(hex_addr: str) -> str:
    host, port = hex_addr.split(":")
    if len(host) == 8:
        ip = ".".join(str(int(host[i : i + 2], 16)) for i in (6, 4, 2, 0))
    else:
        ip = "::1" if host == "00000000000000000000000001000000" else ("::" if set(host) == {"0"} else host)
    return f"{ip}:{int(port, 16)}"


def listeners(pids: list[int]) -> set[str]:
    """host:port of every TCP socket the processes listen on (from /proc/net/tcp{,6} and their fds)."""
    inodes = set()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            cols = line.split()
            if cols[3] == LISTEN and cols[9] in inodes:
                found.add(_address(cols[1]))
    return found


def event_plane_ports(kv: Path) -> set[int]:
    """Ports the runtime published for its ZMQ event plane (file discovery records them)."""
    ports = set()
    for record in (kv / "v1" / "event_channels").glob("*"):
        endpoint = json.loads(record.read_text())["transport"]["config"]["endpoint"]
        ports.add(int(endpoint.rsplit(":", 1)[1]))
    return ports


def openai_get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def openai_chat(url: str, model: str) -> Any:
    body = {"model": model, "messages": [{"role": "user", "content": "What colour is the sky?"}], "max_tokens": 16}
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as r:
        return json.loads(r.read())


@pytest.mark.timeout(400)
@pytest.mark.parametrize("stack", ["dev", "h200-sglang-8"])
def test_local_check_passes(stack: str, tmp_path: Path) -> None:
    out = tmp_path / "twin"
    try:
        result = subprocess.run(
            [*twin(stack, out, http_port()), "--check"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=360,
            check=False,
        )
    finally:
        assert_nothing_left(out)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "smoke client (as the smoke Job runs it): PASS" in result.stdout
    assert "MOCKER figures" in result.stdout and "NOT GPU performance" in result.stdout
    assert (out / "bench" / "profile_export_aiperf.json").exists()
    assert f"local-check {stack}: PASS" in result.stdout


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path, int]]:
    out, port = tmp_path / "twin", http_port()
    proc = subprocess.Popen(
        twin("h200-vllm-16", out, port), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("ready:"):
                break
        else:
            pytest.fail("the twin stopped before it was ready:\n" + "".join(lines))
        yield proc, out, port
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        if proc.stdout is not None:
            proc.stdout.close()
        assert_nothing_left(out)


@pytest.mark.timeout(300)
def test_local_serves_an_openai_client_on_loopback_and_stops_on_ctrl_c(
    serving: tuple[subprocess.Popen[str], Path, int],
) -> None:
    proc, out, port = serving
    base = f"http://127.0.0.1:{port}/v1"
    assert "deepseek-ai/DeepSeek-R1" in [m["id"] for m in openai_get(f"{base}/models")["data"]]
    answer = openai_chat(f"{base}/chat/completions", "deepseek-ai/DeepSeek-R1")
    assert answer["choices"][0]["message"]["content"].strip()

    pids = mentioning(str(out))
    assert len(pids) >= 4  # this CLI, the frontend and a mocker per worker (prefill, decode)
    events = event_plane_ports(out / "kv")
    listening = listeners(pids)
    assert f"127.0.0.1:{port}" in listening, listening  # the scan sees the frontend: an empty scan cannot pass
    exposed = {a for a in listening if not a.startswith(("127.0.0.1:", "::1:"))}
    assert {int(a.rsplit(":", 1)[1]) for a in exposed} <= events, f"listeners off loopback: {exposed}"

    proc.send_signal(signal.SIGINT)
    assert proc.wait(60) == 128 + signal.SIGINT
    assert_nothing_left(out)
