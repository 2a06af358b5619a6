"""Test support: running stacks offline, reading the upstream reference, validating against real schemas."""

import copy
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from config import safe_yaml, versions
from config.schema import StackConfig
from offline.mocks import RecordingMonitor, Registration
from offline.run import Run, run_program
from offline.stack_files import read_stack
from program.config_source import load_stack_config

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = Path(os.environ.get("DSR1_REFERENCE_DIR", ROOT.parent / "shared" / "reference"))
CRD_PATH = REFERENCE / versions.DYNAMO_RELEASES[versions.DYNAMO_RELEASE].crd
"""The CRD of the default release the graphs are validated against (config/versions.py: 1.6.1 has no full CRD in the
reference, so it names 1.3.0's, whose v1alpha1 the graphs use; specs/graph_spec.py DGD_API_VERSION)."""
RECIPES = REFERENCE / "dynamo/recipes/deepseek-r1"
K8S_VERSION = versions.EKS_KUBERNETES_VERSION
"""The schemas rendered objects are checked against: the Kubernetes version the EKS stacks run."""


def block_time(days: int) -> str:
    """A Capacity Block boundary `days` from today (blocks start and end at 11:30 UTC), as EC2 and the config write
    it: tests that need a block running, not started or ended say so relative to now."""
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT11:30:00Z")


def as_output(timestamp: str) -> str:
    """How the stack outputs a config timestamp (datetime.isoformat)."""
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).isoformat()


BLOCK_END = block_time(14)
BLOCK = {
    "type": "capacity-block",
    "id": "cr-0123456789abcdef0",
    "instanceCount": 2,
    "availabilityZone": "us-east-1b",
    "endTime": BLOCK_END,
}
"""A running Capacity Block of two instances in the stacks' second zone, ending in two weeks, for capacity and
preflight tests."""


def render(
    stack: str, *overrides: str, invokes: dict[str, Any] | None = None, monitor: RecordingMonitor | None = None
) -> Run:
    """Run a stack under mocks; `invokes` overrides the mocks' answers to invokes (token -> fields or Exception)."""
    return run_program(ROOT, read_stack(ROOT, stack, list(overrides)), invokes, monitor)


def stack_values(stack: str) -> dict[str, Any]:
    """The project keys of a stack file, unqualified, as load_stack_config takes them."""
    config = safe_yaml.load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]  # the program's own reader
    return {k.split(":", 1)[1]: copy.deepcopy(v) for k, v in config.items() if k.startswith("dsr1:")}


def stacks() -> list[str]:
    """Every stack, discovered from its Pulumi.<stack>.yaml: tests never list stacks or count them by hand."""
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))


def stack_region(stack: str) -> str | None:
    """The stack file's `aws:region`, None when it sets none (an existing cluster)."""
    region = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"].get("aws:region")
    return None if region is None else str(region)


def stack_config(stack: str) -> StackConfig:
    """The stack file's validated config, as the program sees it (no Pulumi, no network)."""
    return load_stack_config(stack_values(stack), stack_region(stack))


def stacks_where(predicate: Callable[[StackConfig], bool]) -> list[str]:
    """The stacks whose config has a property (e.g. creates an EKS cluster): categories follow config, not names."""
    return [s for s in stacks() if predicate(stack_config(s))]


def eks_stacks() -> list[str]:
    """Stacks that create their own VPC and EKS cluster (`target.kind: eks`)."""
    return stacks_where(lambda c: c.target.kind == "eks")


UPSTREAM = re.compile(r"^# Upstream: recipes/deepseek-r1/(\S+\.yaml)", re.M)


def recipe_of(stack: str) -> str | None:
    """The upstream recipe a stack reproduces, as its file's `# Upstream: recipes/deepseek-r1/<path>` comment names
    it (relative to the reference's recipes/deepseek-r1/); None for a stack that follows no recipe."""
    found = UPSTREAM.search((ROOT / f"Pulumi.{stack}.yaml").read_text())
    return found.group(1) if found else None


def recipe_stacks() -> list[str]:
    """Stacks that reproduce an upstream recipe (their file names it), for the parity tests."""
    return [s for s in stacks() if recipe_of(s) is not None]


FETCH_REFERENCE = "scripts/fetch_reference.sh"


def require_reference(path: Path) -> Path:
    """The upstream file, or: under CI (CI=true, as GitHub Actions sets it) a failure, locally a skip.

    CI must never go green without having compared against upstream, so there a missing reference fails loudly."""
    if not path.exists():
        how = (
            f"upstream reference not found at {path}: run `{FETCH_REFERENCE}` (a sparse checkout of ai-dynamo/dynamo "
            "at the pinned commits into ../shared/reference), or set DSR1_REFERENCE_DIR to a folder holding it"
        )
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(f"{how} (CI=true: parity and CRD checks never skip in CI)", pytrace=False)
        pytest.skip(how)
    return path


def strict_schema(schema: Any) -> Any:
    """A CRD version's openAPIV3Schema as strict JSON Schema (unknown fields refused)."""
    return _strict(schema)


def _strict(schema: Any) -> Any:
    """The CRD's OpenAPI schema as JSON Schema: nullable and int-or-string mapped, unknown fields refused."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items() if not k.startswith("x-kubernetes-")}
    if schema.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if out.pop("nullable", False) and "type" in out:
        out["type"] = [out["type"], "null"]
    if (
        "properties" in schema
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


_crd_schemas: dict[str, Any] = {}


def crd_schema(version: str = "v1alpha1") -> dict[str, Any]:
    if version not in _crd_schemas:
        crd = yaml.load(require_reference(CRD_PATH).read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        (served,) = [v for v in crd["spec"]["versions"] if v["name"] == version]
        _crd_schemas[version] = _strict(served["schema"]["openAPIV3Schema"])
    schema: dict[str, Any] = _crd_schemas[version]
    return schema


def walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, dict):
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)


def closure(run: Run, reg: Registration) -> set[str]:
    """Every URN a resource waits for, through dependencies and parents' dependencies."""
    by_urn = {r.urn: r for r in run.registrations}
    seen: set[str] = set()
    todo = list(reg.dependencies)
    while todo:
        urn = todo.pop()
        if urn in seen or urn not in by_urn:
            continue
        seen.add(urn)
        r = by_urn[urn]
        todo += r.dependencies
        todo += [c.urn for c in run.registrations if c.parent == urn]  # depending on a component waits for children
    return seen


_validators: dict[str, Any] = {}


def crd_validator(version: str = "v1alpha1") -> Any:
    """A compiled validator of the CRD's schema (building one per check would cost seconds each)."""
    if version not in _validators:
        schema = crd_schema(version)
        _validators[version] = jsonschema.validators.validator_for(schema)(schema)
    return _validators[version]


def working_tree_files() -> list[str]:
    """Every file git tracks or would track (uncommitted changes included), relative to the repo: what a copy of
    the working tree must hold."""
    return subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
