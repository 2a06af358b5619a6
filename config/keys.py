"""How problems name config keys: fully qualified, as `pulumi config` shows them."""

PROJECT = "dsr1"


def key(path: str) -> str:
    return f"{PROJECT}:{path}"


CONFIG_REFERENCE = "docs/CONFIG.md"
"""Every key: type, default, description; generated from config/schema.py by `python -m tools.config_reference`."""
