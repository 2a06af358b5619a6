"""The stack's resource graph as the program registers it, for the time-to-endpoint estimate in the stack outputs.

A stack transformation sees every resource as it is registered; its dependencies are what the engine gets: explicit
`depends_on` (a component stands for all its custom descendants), the resources behind every input Output, and the
provider. tests/program/test_estimate.py checks this graph against the one the engine receives (offline/mocks.py).
"""

from collections.abc import Iterable
from typing import Any

import pulumi

from specs.estimate.critical_path import Node
from specs.estimate.model import Flows
from specs.estimate.summary import estimate


def _custom(resources: Iterable[pulumi.Resource]) -> set[pulumi.Resource]:
    """Components replaced by their custom descendants, as the SDK expands a dependency on a component."""
    out: set[pulumi.Resource] = set()
    for r in resources:
        if isinstance(r, pulumi.CustomResource):
            out.add(r)
        else:
            out |= _custom(getattr(r, "_childResources", set()))
    return out


async def _input_resources(value: Any) -> set[pulumi.Resource]:
    if isinstance(value, pulumi.Output):
        found: set[pulumi.Resource] = set(await value.resources())
        inner = await value.future(with_unknowns=True)
        return found | await _input_resources(inner)
    if isinstance(value, pulumi.Resource):
        return {value}
    if isinstance(value, dict):
        return set().union(*[await _input_resources(v) for v in value.values()])
    if isinstance(value, (list, tuple)):
        return set().union(*[await _input_resources(v) for v in value])
    if hasattr(value, "__dict__") and not isinstance(value, type):  # input classes (aws.ec2.SecurityGroupIngressArgs)
        return await _input_resources(dict(vars(value)))
    return set()


class ResourceGraph:
    """Records what the program registers; `estimate` resolves to the `timeToEndpoint` output."""

    def __init__(self) -> None:
        self._seen: list[tuple[pulumi.Resource, Any, pulumi.ResourceOptions]] = []
        pulumi.runtime.register_stack_transformation(self._record)

    def _record(self, args: pulumi.ResourceTransformationArgs) -> None:
        self._seen.append((args.resource, args.props, args.opts))
        return None

    async def nodes(self) -> list[Node]:
        nodes = []
        for res, props, opts in self._seen:
            if not isinstance(res, pulumi.CustomResource):
                continue
            explicit = opts.depends_on if isinstance(opts.depends_on, list) else [opts.depends_on]
            deps = _custom(r for r in explicit if isinstance(r, pulumi.Resource))
            deps |= _custom(await _input_resources(props))
            provider = getattr(res, "_provider", None)
            if provider is not None:
                deps.add(provider)
            urns = frozenset([str(await d.urn.future()) for d in deps if d is not res])
            urn = str(await res.urn.future())
            nodes.append(Node(urn, urn.split("::")[2].split("$")[-1], urns))
        return nodes

    def estimate(self, flows: Flows) -> pulumi.Output[dict[str, Any]]:
        async def compute() -> dict[str, Any]:
            return estimate(await self.nodes(), flows)

        return pulumi.Output.from_input(compute())
