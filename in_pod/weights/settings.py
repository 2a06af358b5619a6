"""What the Job's environment says, read and checked once; the defaults are the production budget (docs/weights.md)."""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import PermanentError

MIB = 1024**2
MAX_CONNECTIONS = 64
"""huggingface_hub's shared httpx client pools at most 100 connections (httpx _config.py DEFAULT_LIMITS, 0.28.1)."""


@dataclass(frozen=True)
class Settings:
    repo: str
    revision: str
    target: Path
    verify: str = "size"
    """Check of a marked revision and of the journal: "size" (seconds) or "hashes" (re-reads everything, minutes)."""
    connections: int = 16
    """HTTP transfers in flight at once, across files and across the parts of one file."""
    part_bytes: int = 512 * MIB
    """Files larger than this are fetched as ranged parts of this size, each on its own connection."""
    read_timeout: float = 60.0
    """Seconds without a byte on one connection before it counts as a transient fault."""
    rate_floor: float = 4096.0
    """Bytes per second one transfer must average over `rate_window`, or it is dropped and retried (a drip)."""
    rate_window: float = 120.0
    backoff_base: float = 2.0
    backoff_cap: float = 120.0
    outage_seconds: float = 1800.0
    """How long one transfer may go without receiving a byte (the Hub down, the network gone) before giving up."""
    max_failures: int = 1000
    """Transient faults tolerated in one pod, all transfers together (each resumes where it stopped)."""
    hash_strikes: int = 3
    """A file whose hash differs this many times in a row is a permanent fault (the listing or the mirror is wrong)."""
    deadline_seconds: float = 6 * 3600.0
    """The Job's activeDeadlineSeconds: a Retry-After reaching past it fails at once, saying so."""
    job_uid: str = ""
    """The Job's uid (downward API), so its pods share one clock for the deadline (clock.py); empty: this pod's."""
    progress_seconds: float = 30.0


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        raise PermanentError(f"{name}={raw!r} is not a number. Fix: set a positive number") from None
    if not math.isfinite(value) or value <= 0:
        raise PermanentError(f"{name}={raw!r} must be a positive finite number. Fix: set one")
    return value


def _whole(env: Mapping[str, str], name: str, default: int, most: int | None = None) -> int:
    raw = env.get(name, str(default))
    if not raw.strip().isdigit() or int(raw) < 1 or (most is not None and int(raw) > most):
        bound = f" and at most {most}" if most is not None else ""
        raise PermanentError(f"{name}={raw!r} is not a whole number of at least 1{bound}. Fix: set one")
    return int(raw)


def from_env(env: Mapping[str, str]) -> Settings:
    """Raises PermanentError naming the variable when one is missing or malformed."""
    missing = [k for k in ("DSR1_REPO", "DSR1_REVISION", "DSR1_TARGET") if not env.get(k)]
    if missing:
        raise PermanentError(f"{', '.join(missing)} not set. Fix: the download Job sets them (specs/download_spec.py)")
    verify = env.get("DSR1_VERIFY", "size")
    if verify not in ("size", "hashes"):
        raise PermanentError(f"DSR1_VERIFY={verify!r}. Fix: use 'size' or 'hashes'")
    d = Settings("", "", Path())
    return Settings(
        repo=env["DSR1_REPO"],
        revision=env["DSR1_REVISION"],
        target=Path(env["DSR1_TARGET"]),
        verify=verify,
        connections=_whole(env, "DSR1_CONNECTIONS", d.connections, MAX_CONNECTIONS),
        part_bytes=_whole(env, "DSR1_PART_BYTES", d.part_bytes),
        read_timeout=_number(env, "DSR1_READ_TIMEOUT", d.read_timeout),
        rate_floor=_number(env, "DSR1_RATE_FLOOR_BYTES", d.rate_floor),
        rate_window=_number(env, "DSR1_RATE_WINDOW_SECONDS", d.rate_window),
        backoff_base=_number(env, "DSR1_BACKOFF_BASE", d.backoff_base),
        backoff_cap=_number(env, "DSR1_BACKOFF_CAP", d.backoff_cap),
        outage_seconds=_number(env, "DSR1_OUTAGE_SECONDS", d.outage_seconds),
        max_failures=_whole(env, "DSR1_MAX_FAILURES", d.max_failures),
        hash_strikes=_whole(env, "DSR1_HASH_STRIKES", d.hash_strikes),
        deadline_seconds=_number(env, "DSR1_DEADLINE_SECONDS", d.deadline_seconds),
        job_uid=env.get("DSR1_JOB_UID", ""),
        progress_seconds=_number(env, "DSR1_PROGRESS_SECONDS", d.progress_seconds),
    )
