"""How problems name config keys: fully qualified, as `pulumi config` shows them."""

PROJECT = "dsr1"


def key(path: str) -> str:
    return f"{PROJECT}:{path}"
