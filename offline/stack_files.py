"""Read `Pulumi.yaml` and `Pulumi.<stack>.yaml` as the CLI would hand them to the program."""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config import safe_yaml
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


def parse_value(text: str, shown: str = "") -> Any:
    """A YAML value, as `pulumi config set --path` types it (3 a number, true a boolean, "3" a string), read by the
    one safe reader (config/safe_yaml.py): `yes` and a timestamp stay the strings they were written as; text that
    is not YAML is a string; an alias bomb, a duplicate key or an explicit type (`!!binary`) is refused."""
    if not text.strip():
        return ""
    try:
        return safe_yaml.load(text)
    except safe_yaml.YamlSyntaxError:
        return text
    except safe_yaml.YamlError as e:
        raise StackFileError(f"--config {shown or text!r}: {e}") from None


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
    if len(item) > safe_yaml.MAX_BYTES:
        raise StackFileError(f"--config {key[:40]!r}...: longer than {safe_yaml.MAX_BYTES // 1024} KiB")
    if not sep or not key:
        raise StackFileError(f"--config takes KEY=VALUE (e.g. gpuPool.nodeCount=3), got {item!r}")
    ns, colon, path = key.partition(":")
    if not colon:
        ns, path = settings.project, key
    parts = parse_path(path)
    if len(parts) > safe_yaml.MAX_DEPTH:
        raise StackFileError(f"--config {key[:60]!r}...: a key path deeper than {safe_yaml.MAX_DEPTH} levels")
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
    settings.config[full] = json.dumps(_set_path(current, parts[1:], parse_value(raw, key), key))


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            data = f.read(safe_yaml.MAX_BYTES + 1)
        if len(data) > safe_yaml.MAX_BYTES:
            raise safe_yaml.YamlError(f"larger than {safe_yaml.MAX_BYTES // 1024} KiB; a stack file is a few KB")
        doc = safe_yaml.load(data.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise StackFileError(f"{path.name}: not UTF-8 text (byte {e.start})") from None
    except safe_yaml.YamlError as e:
        raise StackFileError(f"{path.name}{' ' if str(e).startswith('line ') else ': '}{e}") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict) or not isinstance(doc.get("config") or {}, dict):
        raise StackFileError(f"{path.name}: expected a map with a `config:` map of keys (see {CONFIG_REFERENCE})")
    return doc


def read_stack(root: Path, stack: str, overrides: list[str]) -> StackSettings:
    """Project settings plus stack config plus `KEY=VALUE` overrides; `hfToken` and `secure:` values are secrets."""
    project_file = _load_yaml(root / "Pulumi.yaml")
    stack_path = root / f"Pulumi.{stack}.yaml"
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", stack) or not stack_path.is_file():
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
        if full in declared_secret:  # Pulumi refuses a plain value for a key Pulumi.yaml declares secret
            raise StackFileError(
                f"{stack_path.name}: {full} is in plain text; it is a secret. Fix: delete the line, revoke the token,"
                f" and set a new one with `pulumi config set --secret {key}`"
            )
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
