"""Every hash-locked requirements file: its roots, the Python it is resolved for and the platforms it claims.

A lock lists every package an install needs, each with the hashes of its files; installs take it with
`--require-hashes --no-deps` and then `pip check`, so nothing is resolved at install time and a release published
after the lock was made can never be picked (pip 23.2's hash mode resolves `pkg[extra]` requirements to the newest
release: the failure that broke `.venv-local` when uvicorn 0.55.0 came out).
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from config import versions

ROOT: Final = Path(__file__).resolve().parents[2]

EXCLUDE_NEWER: Final = "2026-12-01T00:00:00Z"
"""Regeneration sees PyPI as it was at this instant (uv's --exclude-newer), so running it twice gives the same locks;
move it forward to take newer releases."""


@dataclass(frozen=True)
class Env:
    """One platform a lock claims to install on, as PEP 508 marker variables."""

    python: str
    system: str
    machine: str

    def markers(self) -> dict[str, str]:
        sys_platform = {"Linux": "linux", "Darwin": "darwin"}[self.system]
        return {
            "python_version": self.python,
            "python_full_version": f"{self.python}.0",
            "sys_platform": sys_platform,
            "platform_system": self.system,
            "platform_machine": self.machine,
            "os_name": "posix",
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            "implementation_version": f"{self.python}.0",
            "platform_release": "",
            "platform_version": "",
        }

    def __str__(self) -> str:
        return f"CPython {self.python} {self.system} {self.machine}"


LINUX_X86_311: Final = Env("3.11", "Linux", "x86_64")
DEVELOPER: Final = (LINUX_X86_311, Env("3.12", "Linux", "x86_64"), Env("3.12", "Darwin", "arm64"))
"""Where `make render`, `make test` and `pulumi up` run: the README supports Python 3.11 and newer."""
POD: Final = (Env("3.12", "Linux", "x86_64"), Env("3.12", "Linux", "aarch64"))
"""The download Job's python:3.12 image, on the x86_64 system nodes or an arm64 (GB200) node."""


@dataclass(frozen=True)
class Lock:
    """One lock file and what it is made from."""

    path: str
    roots: tuple[str, ...]
    """The requirements it is resolved from (exact pins), each in one place: a `.in` file or config/versions.py."""
    envs: tuple[Env, ...]
    purpose: str
    only_binary: bool = False
    """Pods install with --only-binary=:all: (a source build would fetch its build backend unhashed)."""
    excluded: tuple[tuple[str, str], ...] = ()
    """(package, why) left out although a locked package requires it: never resolved (uv --override), skipped by the
    completeness check, and the one `pip check` line it causes is accepted (tools/locks/pip_check.py)."""

    @property
    def python(self) -> str:
        return min(e.python for e in self.envs)

    @property
    def requires_path(self) -> Path:
        """The locked packages' own requirements (from PyPI's metadata), which the completeness check walks."""
        return ROOT / "tools" / "locks" / "requires" / (self.path.replace("/", "__").removesuffix(".txt") + ".json")


def roots_of(in_file: str) -> tuple[str, ...]:
    """The requirement lines of a `.in` file (comments and `-r` includes resolved)."""
    out: list[str] = []
    for raw in (ROOT / in_file).read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("-r "):
            out += roots_of(str(Path(in_file).parent / line[3:].strip()))
        elif line:
            out.append(line)
    return tuple(out)


def locks() -> tuple[Lock, ...]:
    """Every lock in the project, its roots read now (so a changed version shows up at once)."""
    return (
        Lock("requirements.txt", roots_of("requirements.in"), DEVELOPER, "the Pulumi program's runtime (.venv)"),
        Lock(
            "requirements-dev.txt",
            roots_of("requirements-dev.in"),
            DEVELOPER,
            "the runtime plus the test and lint tools (.venv for make test)",
        ),
        Lock("requirements-checkov.txt", roots_of("requirements-checkov.in"), (LINUX_X86_311,), "checkov"),
        Lock(
            "requirements-local.txt",
            (f"ai-dynamo=={versions.AI_DYNAMO_PACKAGE_VERSION}", f"aiperf=={versions.AIPERF_VERSION}"),
            (LINUX_X86_311,),
            "the local twin: Dynamo's frontend and mocker, and the benchmark Job's aiperf (.venv-local)",
            excluded=(
                (
                    "aisimulate",
                    "ai-dynamo 1.6.1 requires it, but PyPI has only a placeholder that downloads from NVIDIA's index at"
                    " install; dynamo.frontend and dynamo.mocker import it only for --ais-perf-model, which the twin"
                    " never passes",
                ),
            ),
        ),
        Lock("requirements-aic.txt", roots_of("requirements-aic.in"), (LINUX_X86_311,), "AIConfigurator (.venv-aic)"),
        Lock(
            "in_pod/requirements/download.txt",
            (f"huggingface-hub=={versions.HUGGINGFACE_HUB_VERSION}",),
            POD,
            "the download Job's client",
            only_binary=True,
        ),
        Lock(
            "in_pod/requirements/benchmark.txt",
            (f"aiperf=={versions.AIPERF_VERSION}",),
            POD[:1],
            "the benchmark Job's aiperf (x86_64 system nodes only: crick has no aarch64 wheel)",
            only_binary=True,
        ),
    )
