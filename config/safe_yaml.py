"""The one reader of YAML a user hands in (stack files, `--config` values): bounded, strict, and plain.

A stack file may come from a pull request (the preview workflow renders it), so reading it must not be a way to
exhaust memory or time, and must not silently change what the user wrote:
- size, nesting depth and the size of the document with its aliases expanded are bounded (a ~1 KB "billion
  laughs" document is refused after composing its few nodes, before anything is expanded);
- a key given twice in one map is refused with both line numbers (PyYAML keeps the last one silently);
- only the YAML 1.2 core schema's plain types resolve (null, true/false, integers, floats, strings; YAML 1.2
  spec, 10.3 "Core Schema"): `yes`, `no`, `on`, `off`, `y`, `n` stay strings, so the schema's strict booleans
  refuse them by key, and an unquoted timestamp stays the string it was written as;
- any explicit type (`!!binary`, `!!set`, `!!timestamp`, `!!omap`, `!custom`, ...) is refused with its line.
Everything fails as one `YamlError` (a ValueError) with one line of text.
"""

import math
import re
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

MAX_BYTES = 256 * 1024
"""A stack file is a few KB; a quarter MB is far above any real one."""
MAX_DEPTH = 24
"""The deepest config key is a handful of levels (serving.decode.engine.cudaGraphBatchSizes[0])."""
MAX_NODES = 20_000
"""Values in the document with every alias expanded: a real stack has a few hundred."""

STR = "tag:yaml.org,2002:str"
_PLAIN_TAGS = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    STR,
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


class YamlError(ValueError):
    """A document that cannot or must not be read: one line, naming the source and the line."""


class YamlSyntaxError(YamlError):
    """Not YAML at all (a `--config` value that is not YAML is taken as a plain string instead)."""


class _CoreResolver(BaseResolver):
    """Implicit types of the YAML 1.2 core schema only (no YAML 1.1 booleans, octals, sexagesimals, timestamps)."""


_CoreResolver.yaml_implicit_resolvers = {}
_CoreResolver.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), list("~nN"))
_CoreResolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_CoreResolver.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
_CoreResolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)


class _Loader(Reader, Scanner, Parser, Composer, _CoreResolver):
    """Composes nodes only (no constructor: `_value` builds plain Python values), with a depth bound."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _CoreResolver.__init__(self)
        self.depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise YamlError(f"line {mark.line + 1}: nested deeper than {MAX_DEPTH} levels")
        try:
            node: Node = super().compose_node(parent, index)  # type: ignore[assignment]  # None only at the end
            return node
        finally:
            self.depth -= 1


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _expanded_size(node: Node, sizes: dict[int, int], active: set[int]) -> int:
    """Values in `node` with aliases expanded, memoized by node (an alias reuses its anchor's node)."""
    if id(node) in sizes:
        return sizes[id(node)]
    if id(node) in active:
        raise YamlError(f"line {_line(node)}: an alias refers to the map or list that contains it")
    active.add(id(node))
    size = 1
    if isinstance(node, SequenceNode):
        size += sum(_expanded_size(child, sizes, active) for child in node.value)
    elif isinstance(node, MappingNode):
        size += sum(_expanded_size(k, sizes, active) + _expanded_size(v, sizes, active) for k, v in node.value)
    active.discard(id(node))
    sizes[id(node)] = min(size, MAX_NODES + 1)
    return sizes[id(node)]


def _scalar(node: ScalarNode) -> Any:
    text = node.value
    if node.tag == "tag:yaml.org,2002:null":
        return None
    if node.tag == "tag:yaml.org,2002:bool":
        return text.lower() == "true"
    try:
        if node.tag == "tag:yaml.org,2002:int":
            return int(text, 0) if text[:2] in ("0o", "0x") else int(text, 10)
        if node.tag == "tag:yaml.org,2002:float":
            value = float(text.lower().replace(".inf", "inf").replace(".nan", "nan"))
            if not math.isfinite(value):
                raise YamlError(f"line {_line(node)}: {text} is not a finite number")
            return value
    except ValueError as e:
        if isinstance(e, YamlError):
            raise
        raise YamlError(f"line {_line(node)}: {text!r} is not a {node.tag.rsplit(':', 1)[-1]}") from None
    return text


def _value(node: Node) -> Any:
    if node.tag not in _PLAIN_TAGS:
        raise YamlError(
            f"line {_line(node)}: the type {node.tag!r} is not accepted (stack values are strings, numbers, "
            "true/false, lists and maps; quote the value to keep it as text)"
        )
    if isinstance(node, ScalarNode):
        return _scalar(node)
    if isinstance(node, SequenceNode):
        return [_value(child) for child in node.value]
    result: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, ScalarNode) or key_node.tag not in _PLAIN_TAGS or key_node.value == "":
            raise YamlError(f"line {_line(key_node)}: a key must be a plain name, not a list, a map or empty")
        name = key_node.value
        if name in lines:
            raise YamlError(f"line {lines[name]} and line {_line(key_node)}: the key {name!r} is given twice")
        lines[name] = _line(key_node)
        result[name] = _value(value_node)
    return result


def load(text: str) -> Any:
    """The single document in `text` as plain Python values (None for an empty one); YamlError otherwise.

    Callers prefix the source (`Pulumi.dev.yaml line 3: ...`)."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise YamlError(f"larger than {MAX_BYTES // 1024} KiB; a stack file is a few KB")
    loader: _Loader | None = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
    except YamlError:
        raise
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = e.problem or e.context or "not valid YAML"
        if "found undefined alias" in problem or "found duplicate anchor" in (e.context or ""):
            raise YamlError(f"{where}{problem}") from None
        raise YamlSyntaxError(f"{where}not valid YAML ({problem})") from None
    except yaml.YAMLError as e:
        raise YamlSyntaxError(f"not valid YAML ({e})") from None
    except RecursionError:
        raise YamlError(f"nested deeper than {MAX_DEPTH} levels") from None
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        return None
    if _expanded_size(node, {}, set()) > MAX_NODES:
        raise YamlError(f"more than {MAX_NODES} values once its aliases are expanded (an alias bomb?)")
    return _value(node)
