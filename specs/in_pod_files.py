"""The scripts in `in_pod/` that Jobs run, read as files to ship in ConfigMaps: the program never imports them."""

from pathlib import Path

IN_POD = Path(__file__).resolve().parent.parent / "in_pod"


def in_pod_file(name: str) -> Path:
    """The path of one shipped script; it runs in another Python, beside the token or on a GPU node."""
    return IN_POD / name


def in_pod_package(name: str) -> dict[str, Path]:
    """The modules of one shipped package (file name -> path), in name order; caches and other files excluded."""
    return {p.name: p for p in sorted((IN_POD / name).glob("*.py"))}
