"""A render as the checks read it: resources.json records and manifests.yaml documents, with lookups."""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from config.resource_types import EKS_CLUSTER
from offline import report
from offline.run import Run

Record = dict[str, Any]


@dataclass(frozen=True)
class Finding:
    rule: str
    resource: str
    message: str
    source: str
    """One line naming the documentation the rule comes from."""

    def __str__(self) -> str:
        return f"{self.rule}: {self.resource}: {self.message} [{self.source}]"


@dataclass
class Render:
    records: list[Record]
    manifests: list[dict[str, Any]]
    statements: list[str] = field(default_factory=list)
    """What the checks assumed rather than proved (an existing cluster's facts)."""

    @classmethod
    def from_run(cls, run: Run) -> "Render":
        return cls(report.resource_entries(run), report.manifests(run))

    @classmethod
    def from_dir(cls, out: Path) -> "Render":
        records = json.loads((out / "resources.json").read_text())
        manifests = [d for d in yaml.safe_load_all((out / "manifests.yaml").read_text()) if d]
        return cls(records, manifests)

    def of_type(self, token: str) -> Iterator[Record]:
        return (r for r in self.records if r["type"] == token)

    def by_id(self, token: str) -> dict[str, Record]:
        """Records of one type by the id the mocks give them (`<name>-id`): how inputs name other resources
        (names are unique per type only: a subnet and its route table association share one)."""
        return {f"{r['name']}-id": r for r in self.of_type(token)}

    def closure(self, record: Record) -> set[str]:
        """Every URN a resource waits for: its dependencies, theirs, and the children of components it waits for."""
        by_urn = {r["urn"]: r for r in self.records}
        children: dict[str, list[str]] = {}
        for r in self.records:
            if r.get("parent"):
                children.setdefault(r["parent"], []).append(r["urn"])
        seen: set[str] = set()
        todo = list(record.get("dependsOn", []))
        while todo:
            urn = todo.pop()
            if urn in seen or urn not in by_urn:
                continue
            seen.add(urn)
            todo += by_urn[urn].get("dependsOn", [])
            todo += children.get(urn, [])
        return seen

    @property
    def on_eks(self) -> bool:
        return any(True for _ in self.of_type(EKS_CLUSTER))
