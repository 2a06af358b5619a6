"""Mocks that answer like the providers would, and a monitor that records what the program registers."""

from dataclasses import dataclass, field
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks

SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SIG_KEY = "4dabf18193072939515e22adb298388d"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@dataclass
class Registration:
    """One RegisterResource call, inputs as sent over the wire (secrets still wrapped)."""

    urn: str
    type: str
    name: str
    parent: str | None
    dependencies: list[str]
    custom: bool
    provider: str | None
    wire_inputs: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)


def mask(value: Any) -> Any:
    """A secret's shape without its content: keys stay (they are not secret), every value becomes "[secret]"."""
    if isinstance(value, dict):
        return {k: mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    return "[secret]"


def scrub(value: Any) -> Any:
    """Wire format to plain data: secrets masked, resource references as their URN, integral floats as ints."""
    if isinstance(value, dict):
        sig = value.get(SIG_KEY)
        if sig == SECRET_SIG:
            return mask(value.get("value"))
        if sig == RESOURCE_SIG:
            return value.get("urn")
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value == UNKNOWN:
        return "[unknown]"
    return value


class RecordingMonitor(mocks.MockMonitor):
    """Sees what `Mocks.new_resource` does not: parent, dependencies, provider and options of every registration."""

    def __init__(self, mocks_: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks_)
        self.registrations: list[Registration] = []

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != "pulumi:pulumi:Stack":
            self.registrations.append(
                Registration(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    parent=request.parent or None,
                    dependencies=list(request.dependencies),
                    custom=bool(request.custom),
                    provider=request.provider or None,
                    wire_inputs=json_format.MessageToDict(request.object),
                    options={
                        "retainOnDelete": bool(request.retainOnDelete),
                        "protect": bool(request.protect),
                        "deleteBeforeReplace": bool(request.deleteBeforeReplace),
                        "customTimeouts": json_format.MessageToDict(request.customTimeouts)
                        if request.HasField("customTimeouts")
                        else {},
                    },
                )
            )
        return response


class StackMocks(pulumi.runtime.Mocks):
    """Providers' answers: inputs echoed back, plus the outputs the program reads (ids, ARNs, endpoints)."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        state = dict(args.inputs)
        name = args.name
        if args.typ.startswith("aws:"):
            state.setdefault("arn", f"arn:aws:mock:::{name}")
            state.setdefault("name", name)  # AWS auto-names what the program leaves unnamed
        if args.typ == "aws:eks/cluster:Cluster":
            state["endpoint"] = f"https://{name}.eks.mock"
            state["certificateAuthority"] = {"data": "bW9jay1jYQ=="}
            state["vpcConfig"] = {**state.get("vpcConfig", {}), "clusterSecurityGroupId": f"sg-{name}-cluster"}
        elif args.typ == "aws:ec2/launchTemplate:LaunchTemplate":
            state["latestVersion"] = 1
        elif args.typ == "aws:eks/nodeGroup:NodeGroup":
            state["nodeGroupName"] = name
        elif args.typ.startswith("kubernetes:") and "metadata" in state:
            state["metadata"] = {"name": name, **state["metadata"]}
        return f"{name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None
