"""The same commit and config render the same bytes, whatever the process: a preview diff is then a real change.

Each of five processes renders every stack (as render.py does) with its own hash seed, alternating the protobuf
backend (upb, the wheel's default, and the pure-Python one a platform without the wheel gets): both change the order
in which a protobuf Struct hands back its keys, which is how the token Secret's `type` once moved around `stringData`.
"""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support import ROOT, stacks

PROCESSES = 5
FILES = ("manifests.yaml", "resources.json", "outputs.json")
RENDER_ALL = """
import sys
from pathlib import Path
import render
out = Path(sys.argv[1])
for stack in sys.argv[2:]:
    if render.main(["--stack", stack, "--out", str(out / stack)]) != 0:
        sys.exit(f"{stack} did not render")
"""


def _render_all(index: int, out: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONHASHSEED": str(index + 1),
        "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION": "python" if index % 2 else "upb",
    }
    return subprocess.run(
        [sys.executable, "-c", RENDER_ALL, str(out), *stacks()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.mark.timeout(300)
def test_five_processes_render_every_stack_byte_identically(tmp_path: Path) -> None:
    outs = [tmp_path / f"process-{i}" for i in range(PROCESSES)]
    with ThreadPoolExecutor(max_workers=PROCESSES) as pool:
        results = list(pool.map(_render_all, range(PROCESSES), outs))
    for result in results:
        assert result.returncode == 0, result.stderr[-2000:]
    differing = [
        f"{stack}/{name} (process {i})"
        for stack in stacks()
        for name in FILES
        for i, out in enumerate(outs[1:], start=1)
        if (out / stack / name).read_bytes() != (outs[0] / stack / name).read_bytes()
    ]
    assert not differing, f"renders differ between processes: {differing}"
