"""Reading a hash lock: each pinned package with its version, its environment marker and its hashes."""

import re
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name

_PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(?P<version>[^\s;\\]+)\s*(?:;(?P<marker>.+?))?\s*(?=--hash|$)"
)


class LockError(ValueError):
    """A lock line that is not an exact, hashed pin."""


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    marker: Marker | None
    hashes: tuple[str, ...]
    line: int
    """Where the pin starts in the file (1-based)."""


def read(path: Path) -> dict[str, list[Pin]]:
    """Canonical name -> its pins (more than one when a universal lock splits by marker); continuation lines joined,
    comments skipped. Refuses anything but a hashed `name==version`."""
    pins: dict[str, list[Pin]] = {}
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        start = i
        text = lines[i]
        while text.rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            text = text.rstrip()[:-1] + " " + lines[i].strip()
        i += 1
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _PIN.match(stripped)
        if not m:
            raise LockError(f"{path.name}:{start + 1}: not an exact pin: {stripped[:80]}")
        hashes = tuple(re.findall(r"--hash=sha256:([0-9a-f]{64})", stripped))
        if not hashes:
            raise LockError(f"{path.name}:{start + 1}: {m['name']} has no --hash")
        marker = Marker(m["marker"].strip()) if m["marker"] else None
        pins.setdefault(canonicalize_name(m["name"]), []).append(
            Pin(m["name"], m["version"], marker, hashes, start + 1)
        )
    return pins
