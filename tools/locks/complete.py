"""Is a lock complete? Every requirement of every locked package, extras included, is itself locked, on every
platform the lock claims, at a version the requirement admits. A missing line would otherwise surface only as a
`pip check` failure on one platform, or, without `--no-deps`, as a silent install of whatever PyPI serves that day."""

import functools
import json
from collections import deque
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tools.locks.lockfile import Pin, read
from tools.locks.targets import ROOT, Env, Lock


def load_requires(lock: Lock) -> dict[str, list[str]]:
    """`name==version` -> its Requires-Dist lines, as PyPI's metadata gives them (written by `make locks`)."""
    if not lock.requires_path.exists():
        return {}
    data: dict[str, list[str]] = json.loads(lock.requires_path.read_text())
    return data


@functools.cache
def _requirement(line: str) -> Requirement:
    return Requirement(line)


@functools.cache
def _applies(line: str, env: Env, extra: str) -> bool:
    marker = _requirement(line).marker
    return marker is None or marker.evaluate({**env.markers(), "extra": extra})


def _active(pin: Pin, env: Env) -> bool:
    return pin.marker is None or pin.marker.evaluate(env.markers())


def _pin_for(pins: dict[str, list[Pin]], name: str, env: Env) -> Pin | None:
    return next((p for p in pins.get(name, []) if _active(p, env)), None)


def problems(lock: Lock, lock_path: Path | None = None) -> list[str]:
    """What is missing from the lock, one line each (empty when complete). `lock_path` reads another copy."""
    path = lock_path or ROOT / lock.path
    pins = read(path)
    requires = load_requires(lock)
    found: list[str] = []
    for env in lock.envs:
        reached: set[str] = set()
        queue: deque[tuple[Requirement, str]] = deque((Requirement(r), "a root") for r in lock.roots)
        seen_extras: dict[str, set[str]] = {}
        while queue:
            req, why = queue.popleft()
            name = canonicalize_name(req.name)
            if name in {canonicalize_name(x) for x, _ in lock.excluded}:
                continue
            pin = _pin_for(pins, name, env)
            if pin is None:
                found.append(f"{lock.path}: {name} ({why}) is not locked for {env}")
                continue
            if not req.specifier.contains(pin.version, prereleases=True):
                found.append(f"{lock.path}: {req.name}=={pin.version} does not satisfy {req} ({why})")
            extras = {canonicalize_name(e) for e in req.extras}
            done = seen_extras.setdefault(name, set())
            new = ({""} | extras) - done if name in reached else {""} | extras
            reached.add(name)
            done |= new
            key = f"{name}=={pin.version}"
            if key not in requires:
                found.append(f"{lock.path}: no metadata for {key}: regenerate with `make locks`")
                continue
            for line in requires[key]:
                dep = _requirement(line)
                for extra in sorted(new):
                    if _applies(line, env, extra):
                        label = f"{pin.name}[{extra}]" if extra else pin.name
                        queue.append((dep, f"required by {label}=={pin.version}"))
                        break
        for locked_name in pins:
            extra_pin = _pin_for(pins, locked_name, env)
            if locked_name not in reached and extra_pin is not None:
                found.append(
                    f"{lock.path}: {extra_pin.name}=={extra_pin.version} is locked but nothing needs it on {env}"
                )
    return sorted(set(found))
