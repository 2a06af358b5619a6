"""The metric names a PromQL expression reads: what the name test holds against the real expositions."""

import re
from collections.abc import Iterable

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
KEYWORDS = frozenset(
    [
        "sum",
        "min",
        "max",
        "avg",
        "count",
        "stddev",
        "stdvar",
        "topk",
        "bottomk",
        "quantile",
        "count_values",
        "group",
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "and",
        "or",
        "unless",
        "bool",
        "offset",
        "le",
        "inf",
        "nan",
    ]
)


def names(expr: str) -> set[str]:
    """Metric names in `expr`: identifiers that are neither functions (followed by '('), keywords nor labels."""
    text = _GROUPING.sub(" ", _RANGES.sub(" ", _MATCHERS.sub(" ", _STRINGS.sub(" ", expr))))
    found = set()
    for m in _IDENT.finditer(text):
        rest = text[m.end() :].lstrip()
        word = m.group()
        if rest.startswith("(") or word.lower() in KEYWORDS:
            continue
        found.add(word)
    return found


def in_exprs(exprs: Iterable[str]) -> set[str]:
    return set().union(*(names(e) for e in exprs)) if exprs else set()


def dashboard_exprs(dashboard: dict[str, object]) -> list[str]:
    panels = dashboard.get("panels") or []
    assert isinstance(panels, list)
    out: list[str] = []
    for p in panels:
        out += [t["expr"] for t in p.get("targets", []) if t.get("expr")]
        out += dashboard_exprs(p) if p.get("panels") else []
    return out
