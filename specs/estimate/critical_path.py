"""Earliest finish times through a dependency graph, and the chain that ends last."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Node:
    """One resource: what it waits for (explicit dependsOn, inputs' resources and its provider)."""

    urn: str
    type: str
    deps: frozenset[str]

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]


@dataclass(frozen=True)
class Schedule:
    start: dict[str, float]
    finish: dict[str, float]
    cause: dict[str, str | None]
    """The dependency each resource waited for last (None: it started at once)."""

    def chain(self, urn: str) -> list[str]:
        """The dominating chain that ends at `urn`, first resource first."""
        out: list[str] = []
        current: str | None = urn
        while current is not None:
            out.append(current)
            current = self.cause[current]
        return out[::-1]


Duration = Callable[[Node, Mapping[str, float], Mapping[str, float]], float]
"""A resource's minutes, given its start time and the finish times known so far (a data flow may depend on when
another resource finished, e.g. how long a pre-pull had before the graph started)."""


def topological(nodes: Sequence[Node]) -> list[Node]:
    """Dependencies first; unknown dependencies (a default provider, a resource outside the graph) are ignored."""
    by_urn = {n.urn: n for n in nodes}
    done: set[str] = set()
    ordered: list[Node] = []
    for root in sorted(by_urn):
        stack: list[tuple[str, bool]] = [(root, False)]
        while stack:
            urn, expanded = stack.pop()
            if urn in done:
                continue
            if expanded:
                done.add(urn)
                ordered.append(by_urn[urn])
                continue
            stack.append((urn, True))
            stack.extend((d, False) for d in sorted(by_urn[urn].deps, reverse=True) if d in by_urn and d not in done)
    if len(ordered) != len(by_urn):  # pragma: no cover - Pulumi itself refuses cycles
        raise ValueError("dependency cycle")
    return ordered


def schedule(nodes: Sequence[Node], duration: Duration) -> Schedule:
    """Every resource starts when the last of its dependencies finishes, as `pulumi up` runs them: its parallelism is
    unbounded by default (pulumi/pulumi#11116: "parallelism is unbounded by default")."""
    start: dict[str, float] = {}
    finish: dict[str, float] = {}
    cause: dict[str, str | None] = {}
    for node in topological(nodes):
        known = [d for d in node.deps if d in finish]
        last = max(known, key=lambda d: (finish[d], d), default=None)
        start[node.urn] = finish[last] if last is not None else 0.0
        cause[node.urn] = last
        finish[node.urn] = start[node.urn] + duration(node, start, finish)
    return Schedule(start, finish, cause)
