"""The config reference, generated from the pydantic schema so it cannot drift: every key, type, default, description.

python -m tools.config_reference           (writes docs/CONFIG.md; `--check` exits 1 when it is stale)
"""

import argparse
import inspect
import ipaddress
import sys
import types
import typing
from pathlib import Path
from typing import Any, Literal

import annotated_types
import pydantic
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from config import schema
from config.keys import CONFIG_REFERENCE, PROJECT

ROOT = Path(__file__).resolve().parent.parent

HEADER = f"""# Configuration reference

Generated from `config/schema.py` by `python -m tools.config_reference`; a test fails when it is stale. Keys are
set in `Pulumi.<stack>.yaml` under `config:` with the `{PROJECT}:` prefix, or one at a time:
`pulumi config set --path '{PROJECT}:gpuPool.nodeCount' 3` (offline: `render.py --config gpuPool.nodeCount=3`; a
path value is read as YAML: `3` a number, `true` a boolean, `'"1.30"'` a string). Unknown keys are refused.

## Keys outside the schema

| key | type | default | description |
|---|---|---|---|
| `{PROJECT}:hfToken` | string, **secret** | required (`pulumi up`) | Hugging Face read token: `pulumi config set \
--secret hfToken hf_...`; refused in plain text. A render uses a placeholder. |
| `aws:region` | string | required on EKS | AWS region of the VPC, cluster, nodes and cache. |
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _constraints(metadata: list[Any]) -> list[str]:
    out: list[str] = []
    for m in metadata:
        for attr, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if isinstance(m, getattr(annotated_types, attr.capitalize())):
                out.append(f"{sign} {getattr(m, attr)}")
        if isinstance(m, annotated_types.MinLen):
            out.append(f"at least {m.min_length} items")
        if isinstance(m, pydantic.AfterValidator) and m.func.__qualname__.startswith("_in_catalog"):
            known = inspect.getclosurevars(m.func).nonlocals["known"]  # the catalog a value must be in
            out.append("one of " + ", ".join(f"`{k}`" for k in sorted(known)) + " (config/catalog.py)")
        pattern = getattr(m, "pattern", None)
        if isinstance(pattern, str):
            out.append(f"matches `{pattern}`")
    return out


def type_name(annotation: Any) -> str:
    """A reader's name for a field's type: `"a" \\| "b"`, `list of string`, `object (section)`..."""
    if annotation is type(None):
        return "null"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        inner = type_name(args[0])
        extra = _constraints(list(args[1:]))
        return f"{inner} ({', '.join(extra)})" if extra else inner
    if origin is Literal:
        return " | ".join(f"`{a}`" if isinstance(a, str) else str(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_name(a) for a in args)
    if origin is list:
        return f"list of {type_name(args[0])}"
    if origin is dict:
        return f"map of {type_name(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return "object (its section below)"
    if annotation is pydantic.AwareDatetime:
        return "timestamp (ISO 8601 with a zone)"
    if annotation is ipaddress.IPv4Network:
        return "IPv4 CIDR"
    return {str: "string", int: "integer", float: "number", bool: "boolean"}.get(annotation, str(annotation))


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
        return "(its defaults)" if isinstance(value, pydantic.BaseModel) else f"`{value!r}`"
    if field.default is PydanticUndefined:
        return "**required**"
    if field.default is None:
        return "unset"
    value = field.default
    return f"`{str(value).lower() if isinstance(value, bool) else value}`" if value != "" else '`""`'


def _models_in(annotation: Any) -> list[type[pydantic.BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return [annotation]
    return [m for a in typing.get_args(annotation) for m in _models_in(a)]


def sections() -> list[tuple[type[pydantic.BaseModel], list[str]]]:
    """Every model of the tree with the key paths it sits at, in the order a reader meets them."""
    found: dict[type[pydantic.BaseModel], list[str]] = {}
    todo: list[tuple[type[pydantic.BaseModel], str]] = [(schema.StackConfig, "")]
    while todo:
        model, path = todo.pop(0)
        found.setdefault(model, []).append(path)
        for name, field in model.model_fields.items():
            origins = {typing.get_origin(a) for a in (field.annotation, *typing.get_args(field.annotation))}
            suffix = "[]" if list in origins else ""
            for sub in _models_in(field.annotation):
                todo.append((sub, f"{path}.{field.alias or name}{suffix}".lstrip(".")))
    return list(found.items())


def generate() -> str:
    parts = [HEADER]
    for model, paths in sections():
        where = ", ".join(f"`{PROJECT}:{p}`" for p in paths) if paths != [""] else f"`{PROJECT}:` (top level)"
        kind = model.model_fields.get("kind")
        title = f"{where} (kind `{typing.get_args(kind.annotation)[0]}`)" if kind else where
        doc = (model.__doc__ or "").strip()
        intro = "" if not doc or doc.startswith("Every section") else f"\n{doc.splitlines()[0]}\n"
        rows = ["| key | type | default | description |", "|---|---|---|---|"]
        for name, field in model.model_fields.items():
            typ = type_name(field.annotation)
            extra = _constraints(field.metadata)
            if extra:
                typ += f" ({', '.join(extra)})"
            cells = [f"`{field.alias or name}`", typ, _default(field), field.description or ""]
            rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        parts.append(f"## {title}\n{intro}\n" + "\n".join(rows) + "\n")
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help=f"exit 1 if {CONFIG_REFERENCE} is not current")
    args = parser.parse_args(argv)
    path = ROOT / CONFIG_REFERENCE
    text = generate()
    if args.check:
        current = path.read_text() if path.exists() else ""
        if current != text:
            print(f"{CONFIG_REFERENCE} is stale: run python -m tools.config_reference", file=sys.stderr)
            return 1
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(f"wrote {CONFIG_REFERENCE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
