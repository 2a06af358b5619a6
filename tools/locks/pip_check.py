"""`pip check` of a virtualenv built from a lock, accepting only the requirements the lock leaves out on purpose.

Run by the Makefile with the machine's Python (standard library only) right after a `--no-deps` install.
    python3 -m tools.locks.pip_check .venv-local requirements-local.txt
"""

import re
import subprocess
import sys
from pathlib import Path

from tools.locks.targets import locks


def unexpected(output: str, excluded: set[str]) -> list[str]:
    """The lines of `pip check`'s output that are not a missing, deliberately excluded package."""
    lines = [line for line in output.splitlines() if line.strip() and line.strip() != "No broken requirements found."]
    missing = re.compile(r".* requires (\S+), which is not installed\.$")
    return [line for line in lines if not ((m := missing.match(line)) and m.group(1).lower() in excluded)]


def main(venv: str, lock_path: str) -> int:
    (lock,) = [lock for lock in locks() if lock.path == lock_path]
    done = subprocess.run(
        [str(Path(venv) / "bin" / "python"), "-m", "pip", "check"], capture_output=True, text=True, check=False
    )
    bad = unexpected(done.stdout + done.stderr, {name.lower() for name, _ in lock.excluded})
    left_out = ", ".join(name for name, _ in lock.excluded)
    ok = f"pip check: {venv} is consistent" + (
        f" but for {left_out}, left out on purpose ({lock_path})" if left_out else ""
    )
    print("\n".join(bad) if bad else ok)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
