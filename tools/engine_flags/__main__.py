"""Extract the worker flags each Dynamo release accepts, per backend, from its released wheels; write
config/engine_flags.json.

    python -m tools.engine_flags [--release 1.6.1 ...] [--check]

For each release: `pip download --no-deps` of ai-dynamo and ai-dynamo-runtime at the release's PyPI version and of
the engine its wheel pins (`Requires-Dist: sglang==...; extra == 'sglang'`), unpacked (no shared libraries) into
~/.cache/dsr1-engine-flags; then tools/engine_flags/runner.py builds Dynamo's own worker parser from those sources
(`dynamo.<backend>.args.parse_args`, the engine's `add_cli_args` included) in .venv-flags, a small virtualenv of the
pure-Python packages the parser builders import (requirements-engine-flags.txt). Nothing is installed: torch and the
other compiled packages are stood in by fakes (see runner.py). TensorRT-LLM is not downloaded: Dynamo's trtllm
worker parses its own flags and hands engine options over in the YAML file (`--extra-engine-args`) or as
`--trtllm.<key>` (and tensorrt-llm's PyPI releases are stubs that fetch from NVIDIA's index). --check compares a
fresh extraction with the committed file instead of writing it.
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from config.engine_flags import PATH, BackendFlags, EngineFlags, ReleaseFlags

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "dsr1-engine-flags"
"""Downloaded and unpacked wheels (~2 GB for every release), outside the repository: no tool here scans them."""
FLAGS_PYTHON = ROOT / ".venv-flags" / "bin" / "python"
RUNNER = Path(__file__).with_name("runner.py")

RELEASES: dict[str, str] = {"1.3.0": "1.3.0.post1", "1.4.2": "1.4.2", "1.5.1": "1.5.1", "1.6.1": "1.6.1"}
"""Dynamo release (its image tag) -> its ai-dynamo version on PyPI (1.3.0 shipped as 1.3.0.post1). The releases a
stack may pin: the current default, the newest, and the stops of a one-minor-at-a-time upgrade between them."""
ENGINE_PACKAGE = {"sglang": "sglang", "vllm": "vllm", "trtllm": "tensorrt-llm"}
PARSED_ENGINES = ("sglang", "vllm")
"""Engines whose own parser Dynamo's worker parser includes (its trtllm worker parses only Dynamo's flags)."""

METHOD = (
    "Dynamo's own worker parser, built from the released wheels: dynamo.<backend>.args.parse_args from ai-dynamo and "
    "ai-dynamo-runtime at the release, with the engine wheel the release pins (its add_cli_args), stopped at its first "
    "parse; the flags are that parser's option strings and those of the engine parser it hands the rest to. Compiled "
    "modules (torch, triton, the Rust runtime) are fakes that answer as an NVIDIA GPU node; nothing is installed."
)
LIMITS = (
    "Flags only, not their values. An abbreviation is accepted where one of the worker's parsers takes it (a unique "
    "prefix), without checking that an earlier parser in the chain finds it ambiguous. A flag an engine registers "
    "only on a platform other than CUDA, or only when an optional package is importable, may be missing. "
    "TensorRT-LLM's engine options (the YAML file, --trtllm.<key>) are not flags and are not listed."
)


def pip_download(requirement: str, into: Path) -> Path:
    """One wheel for this machine (x86_64 Linux; other platforms' wheels carry the same Python sources), no
    dependencies, from PyPI (or pip's configured index); returns its path."""
    into.mkdir(parents=True, exist_ok=True)
    name = re.split(r"[=<>]", requirement)[0].replace("-", "_").lower()
    found = [p for p in into.glob("*.whl") if p.name.lower().startswith(f"{name}-{requirement.split('==')[1]}")]
    if found:
        return found[0]
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:"]
    subprocess.run([*cmd, "-d", str(into), requirement], check=True, timeout=1800)
    return pip_download(requirement, into)


def unpack(wheel: Path, into: Path) -> Path:
    """Python sources, data and metadata; no shared libraries (they are faked)."""
    done = into / f".unpacked-{wheel.name}"
    if not done.exists():
        with zipfile.ZipFile(wheel) as z:
            z.extractall(into, [m for m in z.namelist() if not re.search(r"\.so(\.\d+)*$", m)])
        done.touch()
    return into


def engine_pins(dynamo_wheel: Path) -> dict[str, str]:
    """The engine version each extra of the ai-dynamo wheel pins (`sglang[diffusion]==0.5.21; extra == 'sglang'`)."""
    with zipfile.ZipFile(dynamo_wheel) as z:
        metadata = z.read(next(m for m in z.namelist() if m.endswith(".dist-info/METADATA"))).decode()
    pins = {}
    for backend, package in ENGINE_PACKAGE.items():
        found = re.search(rf"^Requires-Dist: {package}(?:\[[^]]*\])?==(\S+); extra == '{backend}'$", metadata, re.M)
        if found is None:
            raise SystemExit(f"{dynamo_wheel.name} pins no {package} for extra {backend}")
        pins[backend] = found[1]
    return pins


def extract(release: str) -> ReleaseFlags:
    pypi = RELEASES[release]
    wheels = CACHE / "wheels"
    dynamo_wheel = pip_download(f"ai-dynamo=={pypi}", wheels)
    dynamo = unpack(dynamo_wheel, CACHE / f"dynamo-{pypi}")
    unpack(pip_download(f"ai-dynamo-runtime=={pypi}", wheels), dynamo)
    pins = engine_pins(dynamo_wheel)
    backends = {}
    for backend, version in pins.items():
        sources = [dynamo]
        if backend in PARSED_ENGINES:
            package = ENGINE_PACKAGE[backend]
            sources.append(unpack(pip_download(f"{package}=={version}", wheels), CACHE / f"{package}-{version}"))
        done = subprocess.run(
            [str(FLAGS_PYTHON), "-I", str(RUNNER), backend, *map(str, sources)],
            stdout=subprocess.PIPE,
            text=True,
            check=False,
            timeout=900,
        )
        if done.returncode != 0:
            raise SystemExit(f"runner failed for {backend} of Dynamo {release} ({done.returncode}); its error is above")
        found = json.loads(done.stdout)
        backends[backend] = BackendFlags(
            module=f"dynamo.{backend}",
            engine=f"{ENGINE_PACKAGE[backend]}=={version}",
            engine_parsed=backend in PARSED_ENGINES,
            flags=found["flags"],
            abbreviating=found["abbreviating"],
            deprecated=found["deprecated"],
            prefixes=found["prefixes"],
            flexible=found["flexible"],
            faked_modules=found["faked_modules"],
        )
    return ReleaseFlags(dynamo=f"ai-dynamo=={pypi}", backends=backends)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--release", action="append", choices=sorted(RELEASES), help="default: every release")
    parser.add_argument("--check", action="store_true", help="compare with the committed file; write nothing")
    args = parser.parse_args(argv)
    if not FLAGS_PYTHON.exists():
        raise SystemExit(
            f"{FLAGS_PYTHON} not found: python3.11 -m venv .venv-flags && "
            ".venv-flags/bin/pip install -r requirements-engine-flags.txt"
        )
    try:
        old: EngineFlags | None = EngineFlags.model_validate_json(PATH.read_text())
    except (OSError, ValueError):  # absent, or written by an older version of this tool: start afresh
        old = None
    releases = dict(old.releases) if old else {}
    for release in args.release or sorted(RELEASES):
        releases[release] = extract(release)
    new = EngineFlags(
        tool="tools/engine_flags",
        date=datetime.date.today().isoformat(),
        method=METHOD,
        limits=LIMITS,
        releases=dict(sorted(releases.items())),
    )
    if args.check:
        if old is None or old.releases != new.releases:
            raise SystemExit(f"{PATH.relative_to(ROOT)} is stale: run python -m tools.engine_flags")
        print(f"{PATH.relative_to(ROOT)} matches the wheels")
        return
    PATH.write_text(new.model_dump_json(indent=1) + "\n")
    print(
        f"wrote {PATH.relative_to(ROOT)}: "
        + ", ".join(f"{r} ({len(f.backends)} backends)" for r, f in releases.items())
    )


if __name__ == "__main__":
    main()
