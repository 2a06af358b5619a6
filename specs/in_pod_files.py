"""The scripts in `in_pod/` that Jobs run, read as files to ship in ConfigMaps: the program never imports them."""

from pathlib import Path

IN_POD = Path(__file__).resolve().parent.parent / "in_pod"


def in_pod_file(name: str) -> Path:
    """The path of one shipped script; it runs in another Python, beside the token or on a GPU node."""
    return IN_POD / name
