"""Read `Pulumi.yaml` and `Pulumi.<stack>.yaml` as the CLI would hand them to the program."""

import datetime
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from config.keys import CONFIG_REFERENCE

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


class StackFileError(ValueError):
    """A stack file or `--config` override that cannot be read: one message, exit 2 from render.py."""


def _as_config_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _qualify(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


_PATH_PART = re.compile(r'\.([^.\[\]"]+)|\[(\d+)\]|\["([^"]+)"\]')


def parse_path(path: str) -> list[str | int]:
    """`a.b[0].c` or `a["x.y"]` as `pulumi config set --path` reads it: keys, list indexes, quoted keys."""
    parts: list[str | int] = []
    pos = 0
    text = "." + path
    while pos < len(text):
        m = _PATH_PART.match(text, pos)
        if m is None:
            raise StackFileError(f"--config {path!r}: cannot read the key path at {text[pos:]!r}")
        name, index, quoted = m.groups()
        parts.append(int(index) if index is not None else (name or quoted))
        pos = m.end()
    return parts


def parse_value(text: str) -> Any:
    """A YAML value, as `pulumi config set --path` types it (3 a number, true a boolean, "3" a string); a timestamp
    stays the string it was written as (the schema reads ISO 8601 strings)."""
    try:
        value = yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError:
        return text
    return text if isinstance(value, (datetime.date, datetime.datetime)) else value


def _set_path(container: Any, parts: list[str | int], value: Any, shown: str) -> Any:
    """`container` with `value` at `parts`, creating maps (and lists, for an index) on the way."""
    head, rest = parts[0], parts[1:]
    if isinstance(head, int):
        items = list(container) if isinstance(container, list) else None
        if items is None or head > len(items):
            raise StackFileError(f"--config {shown}: no list element {head} to set (a list, indexes 0..len)")
        child = items[head] if head < len(items) else None
        new = _set_path(child, rest, value, shown) if rest else value
        return [*items[:head], new] if head == len(items) else [*items[:head], new, *items[head + 1 :]]
    if container is None:
        container = {}
    if not isinstance(container, dict):
        raise StackFileError(f"--config {shown}: {head!r} sits under a value that is not a map")
    child = container.get(head)
    if rest and child is None:
        child = [] if isinstance(rest[0], int) else {}
    return {**container, head: _set_path(child, rest, value, shown) if rest else value}


def apply_override(settings: StackSettings, item: str) -> None:
    """`KEY=VALUE` as `pulumi config set [--path]` would store it: `key`, `ns:key`, or a path `key.a.b[0]` whose
    value is parsed as YAML and set inside the key's object."""
    key, sep, raw = item.partition("=")
    if not sep or not key:
        raise StackFileError(f"--config takes KEY=VALUE (e.g. gpuPool.nodeCount=3), got {item!r}")
    ns, colon, path = key.partition(":")
    if not colon:
        ns, path = settings.project, key
    parts = parse_path(path)
    full = f"{ns}:{parts[0]}"
    if len(parts) == 1:
        settings.config[full] = raw  # a whole key: a string, or JSON for an object, as Pulumi passes it
        return
    current: Any = None
    if full in settings.config:
        try:
            current = json.loads(settings.config[full])
        except json.JSONDecodeError:
            current = settings.config[full]
    settings.config[full] = json.dumps(_set_path(current, parts[1:], parse_value(raw), key))


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise StackFileError(f"{path.name}{where}: not valid YAML ({getattr(e, 'problem', None) or e})") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict) or not isinstance(doc.get("config") or {}, dict):
        raise StackFileError(f"{path.name}: expected a map with a `config:` map of keys (see {CONFIG_REFERENCE})")
    return doc


def read_stack(root: Path, stack: str, overrides: list[str]) -> StackSettings:
    """Project settings plus stack config plus `KEY=VALUE` overrides; `hfToken` and `secure:` values are secrets."""
    project_file = _load_yaml(root / "Pulumi.yaml")
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
    for key, value in (_load_yaml(stack_path).get("config") or {}).items():
        full = _qualify(project, str(key))
        if isinstance(value, dict) and set(value) == {"secure"}:
            settings.config[full] = "[secure value: needs the Pulumi CLI to decrypt]"
            settings.secret_keys.add(full)
            settings.notices.append(f"{full} is encrypted in the stack file; rendering with a stand-in value")
            continue
        settings.config[full] = _as_config_value(value)
    for item in overrides:
        apply_override(settings, item)
    settings.secret_keys |= declared_secret & set(settings.config)
    token_key = f"{project}:hfToken"
    if token_key not in settings.config:
        settings.config[token_key] = RENDER_TOKEN_PLACEHOLDER
        settings.secret_keys.add(token_key)
        settings.notices.append("hfToken not given: rendering with a placeholder secret")
    return settings
