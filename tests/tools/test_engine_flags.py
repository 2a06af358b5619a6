"""tools/engine_flags: the runner builds a worker parser from unpacked sources with compiled modules faked, and the
tool reads the engine pins from an ai-dynamo wheel's metadata (no network: a synthetic package and wheel)."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tools.engine_flags.__main__ import RUNNER, engine_pins

WORKER = """
import argparse
import importlib.metadata
import socket

import torch
from torch import nn
from dynamo._core import compiled_thing

assert importlib.metadata.version("torch") == "2.13.0", importlib.metadata.version("torch")
assert torch.cuda.is_available() and torch.version.hip is None
assert not hasattr(torch, "npu")


class Layer(nn.Module, frozen=True):
    pass


print("engines print while importing")
try:
    socket.create_connection(("pypi.org", 443))
    raise SystemExit("network reached")
except OSError:
    pass


async def parse_args(argv):
    parser = argparse.ArgumentParser(allow_abbrev=False)
    parser.add_argument("--dynamo-flag")
    engine = argparse.ArgumentParser(add_help=False)
    engine.add_argument("--tp-size")
    engine.add_argument("--enable-x", action=argparse.BooleanOptionalAction)
    engine.add_argument("--old", help="[Deprecated] does nothing")
    group = parser.add_argument_group("engine")
    for action in engine._actions:
        group._group_actions.append(action)
    args, unknown = parser.parse_known_args(argv)
    return engine.parse_args(unknown)
"""


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_the_runner_builds_the_worker_parser_with_compiled_modules_faked(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(src / "dynamo" / "__init__.py", "")
    write(src / "dynamo" / "sglang" / "__init__.py", "")
    write(src / "dynamo" / "sglang" / "args.py", WORKER)
    write(src / "engine-1.0.dist-info" / "METADATA", "Name: engine\nRequires-Dist: torch==2.13.0\n")
    done = subprocess.run(
        [sys.executable, "-I", str(RUNNER), "sglang", str(src)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["flags"] == ["--dynamo-flag", "--enable-x", "--help", "--no-enable-x", "--old", "--tp-size", "-h"]
    assert found["abbreviating"] == [["--enable-x", "--no-enable-x", "--old", "--tp-size"]]  # the engine's only
    assert found["deprecated"] == ["--old"]
    assert {"torch", "dynamo"} <= set(found["faked_modules"])
    assert "engines print while importing" in done.stderr


def test_a_worker_that_never_parses_fails_the_runner(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(src / "dynamo" / "__init__.py", "")
    write(src / "dynamo" / "vllm" / "__init__.py", "")
    write(src / "dynamo" / "vllm" / "args.py", "def parse_args(argv):\n    return None\n")
    done = subprocess.run(
        [sys.executable, "-I", str(RUNNER), "vllm", str(src)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode != 0 and "never parsed" in done.stderr


def test_engine_pins_come_from_the_ai_dynamo_extras(tmp_path: Path) -> None:
    wheel = tmp_path / "ai_dynamo-1.6.1-py3-none-any.whl"
    metadata = "\n".join(
        [
            "Name: ai-dynamo",
            "Requires-Dist: sglang[diffusion]==0.5.21; extra == 'sglang'",
            "Requires-Dist: tensorrt-llm==1.3.0rc29; extra == 'trtllm'",
            "Requires-Dist: vllm[flashinfer,otel,runai]==0.31.0; extra == 'vllm'",
            "Requires-Dist: nixl[cu13]==1.4.1; extra == 'vllm'",
        ]
    )
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("ai_dynamo-1.6.1.dist-info/METADATA", metadata)
    assert engine_pins(wheel) == {"sglang": "0.5.21", "vllm": "0.31.0", "trtllm": "1.3.0rc29"}
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("ai_dynamo-1.6.1.dist-info/METADATA", "Name: ai-dynamo\n")
    with pytest.raises(SystemExit, match="pins no sglang"):
        engine_pins(wheel)
