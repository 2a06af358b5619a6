"""Read `Pulumi.yaml` and `Pulumi.<stack>.yaml` as the CLI would hand them to the program."""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

RENDER_TOKEN_PLACEHOLDER = "offline-render-placeholder-token"
"""Stands in for hfToken when a render is not given one: still a secret, so it never shows either."""


@dataclass
class StackSettings:
    project: str
    stack: str
    config: dict[str, str] = field(default_factory=dict)
    """Fully qualified keys (`project:key`) to string values, objects as JSON, as Pulumi passes them."""
    secret_keys: set[str] = field(default_factory=set)
    notices: list[str] = field(default_factory=list)


def _as_config_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _qualify(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def read_stack(root: Path, stack: str, overrides: list[str]) -> StackSettings:
    """Project settings plus stack config plus `KEY=VALUE` overrides; `hfToken` and `secure:` values are secrets."""
    project_file = yaml.safe_load((root / "Pulumi.yaml").read_text())
    stack_path = root / f"Pulumi.{stack}.yaml"
    if not stack_path.exists():
        stacks = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))
        raise FileNotFoundError(f"no stack file {stack_path.name}; stacks: {', '.join(stacks)}")
    project = project_file["name"]
    declared_secret = {
        _qualify(project, k)
        for k, v in (project_file.get("config") or {}).items()
        if isinstance(v, dict) and v.get("secret")
    }
    settings = StackSettings(project, stack)
    for key, value in ((yaml.safe_load(stack_path.read_text()) or {}).get("config") or {}).items():
        full = _qualify(project, key)
        if isinstance(value, dict) and set(value) == {"secure"}:
            settings.config[full] = "[secure value: needs the Pulumi CLI to decrypt]"
            settings.secret_keys.add(full)
            settings.notices.append(f"{full} is encrypted in the stack file; rendering with a stand-in value")
            continue
        settings.config[full] = _as_config_value(value)
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--config takes KEY=VALUE, got {item!r}")
        settings.config[_qualify(project, key)] = value
    settings.secret_keys |= declared_secret & set(settings.config)
    token_key = f"{project}:hfToken"
    if token_key not in settings.config:
        settings.config[token_key] = RENDER_TOKEN_PLACEHOLDER
        settings.secret_keys.add(token_key)
        settings.notices.append("hfToken not given: rendering with a placeholder secret")
    return settings
