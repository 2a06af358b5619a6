"""python -m tools.locks check: is every lock complete? (exit 1 naming each missing package, 0 when all are)."""

import sys

from tools.locks.complete import problems
from tools.locks.targets import locks


def main() -> int:
    found = [p for lock in locks() for p in problems(lock)]
    print("\n".join(found) if found else f"{len(locks())} locks complete")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
