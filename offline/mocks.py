"""Mocks that answer like the providers would, and a monitor that records what the program registers."""

import json
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks

from config import catalog

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
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    """Input name -> URNs its value came from: what a replaced dependency changes (tools/preview_plan.py)."""


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
                        "ignoreChanges": list(request.ignoreChanges),
                        "customTimeouts": json_format.MessageToDict(request.customTimeouts)
                        if request.HasField("customTimeouts")
                        else {},
                    },
                    property_dependencies={
                        k: sorted(set(v.urns)) for k, v in sorted(request.propertyDependencies.items()) if v.urns
                    },
                )
            )
        return response


INSTANCE_TYPE_OFFERINGS = "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings"
CAPACITY_BLOCK = "aws:ec2/getCapacityBlockReservation:getCapacityBlockReservation"
CLOUD_CONTROL = "aws:cloudcontrol/getResource:getResource"
SUBNET = "aws:ec2/getSubnet:getSubnet"
AVAILABILITY_ZONES = "aws:index/getAvailabilityZones:getAvailabilityZones"
SERVICE_QUOTA = "aws:servicequotas/getServiceQuota:getServiceQuota"


def _block_state(start: str | None, end: str | None) -> str:
    """A Capacity Block's state as EC2 reports it for the config's times: scheduled before its start, expired after
    its end, else active (EC2 API CapacityBlock: active | expired | scheduled | ...)."""
    now = datetime.now(UTC)
    if end and now >= datetime.fromisoformat(end.replace("Z", "+00:00")):
        return "expired"
    if start and now < datetime.fromisoformat(start.replace("Z", "+00:00")):
        return "scheduled"
    return "active"


class StackMocks(pulumi.runtime.Mocks):
    """Providers' answers: inputs echoed back, plus the outputs the program reads (ids, ARNs, endpoints).

    Invokes (the preflight's lookups) are answered from the stack's own config, so a valid stack passes: the
    instance type is offered wherever asked, the reservation or block is what the config says. `invoke_answers`
    (token -> fields merged over that answer, or an Exception to fail the invoke with) lets a test make any lookup fail.
    """

    def __init__(
        self, config: Mapping[str, str] | None = None, invoke_answers: Mapping[str, Any] | None = None
    ) -> None:
        self.config = dict(config or {})
        self.invoke_answers = dict(invoke_answers or {})
        self.invokes: list[tuple[str, dict[str, Any]]] = []

    def _value(self, name: str) -> Any:
        raw = self.config.get(f"dsr1:{name}", "{}")
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw

    def _pool(self) -> tuple[dict[str, Any], dict[str, Any]]:
        pool = self._value("gpuPool") if isinstance(self._value("gpuPool"), dict) else {}
        return pool, pool.get("capacity") or {}

    def _answer(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        pool, cap = self._pool()
        region = self.config.get("aws:region", "us-east-1")
        if token == INSTANCE_TYPE_OFFERINGS:
            filters = {f["name"]: f["values"] for f in args.get("filters", [])}
            return {
                "id": region,
                "instanceTypes": filters.get("instance-type", []),
                "locations": filters.get("location", []),
                "locationTypes": ["availability-zone"],
            }
        if token == CAPACITY_BLOCK:
            return {
                "id": args.get("id"),
                "state": _block_state(cap.get("startTime"), cap.get("endTime")),
                "startDate": cap.get("startTime"),
                "reservationType": "capacity-block",
                "instanceType": pool.get("instanceType"),
                "instanceCount": cap.get("instanceCount"),
                "availabilityZone": cap.get("availabilityZone"),
                "endDate": cap.get("endTime"),
            }
        if token == CLOUD_CONTROL:
            props = {
                "Id": args.get("identifier"),
                "State": "active",
                "InstanceType": pool.get("instanceType"),
                "TotalInstanceCount": cap.get("instanceCount"),
                "AvailableInstanceCount": cap.get("instanceCount"),
                "AvailabilityZone": cap.get("availabilityZone"),
            }
            if cap.get("endTime"):
                props["EndDate"] = cap["endTime"]
            return {"id": args.get("identifier"), "typeName": args.get("typeName"), "properties": json.dumps(props)}
        if token == AVAILABILITY_ZONES:
            # Every zone asked about is opted in (a test overrides `names` to say otherwise).
            filters = {f["name"]: f["values"] for f in args.get("filters", [])}
            return {"id": region, "names": filters.get("zone-name", []), "zoneIds": [], "groupNames": []}
        if token == SERVICE_QUOTA:
            # Exactly what the pool needs: a valid stack passes, one more node would not.
            itype = catalog.INSTANCE_TYPES.get(pool.get("instanceType") or "")
            need = (pool.get("nodeCount") or 0) * (itype.vcpus if itype else 0)
            return {"id": args.get("quotaCode"), "quotaCode": args.get("quotaCode"), "value": float(need)}
        if token == SUBNET:
            # An existing network's subnets: the first in the capacity's zone (or zone a), the others in the next.
            target = self._value("target")
            subnets = (target.get("network") or {}).get("privateSubnetIds", []) if isinstance(target, dict) else []
            first = cap.get("availabilityZone") or f"{region}a"
            others = [f"{region}{c}" for c in string.ascii_lowercase if f"{region}{c}" != first]
            zones = [first, *others]
            index = subnets.index(args.get("id")) if args.get("id") in subnets else 0
            return {
                "id": args.get("id"),
                "availabilityZone": zones[index % len(zones)],
                "cidrBlock": f"10.99.{16 * index}.0/20",
            }
        return {}

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
        elif args.typ == "aws:s3/bucket:Bucket":
            state.setdefault("bucket", f"{state.get('bucketPrefix', '')}{name}")
        elif args.typ == "aws:fsx/lustreFileSystem:LustreFileSystem":
            state["dnsName"] = f"{name}.fsx.mock.amazonaws.com"
            state["mountName"] = "mockmnt"
        elif args.typ == "aws:ec2/launchTemplate:LaunchTemplate":
            state["latestVersion"] = 1
        elif args.typ == "aws:eks/nodeGroup:NodeGroup":
            state["nodeGroupName"] = name
        elif args.typ.startswith("kubernetes:") and "metadata" in state:
            state["metadata"] = {"name": name, **state["metadata"]}
        return f"{name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        request = dict(args.args)
        self.invokes.append((args.token, request))
        override = self.invoke_answers.get(args.token)
        if isinstance(override, Exception):
            # How a provider reports a failed lookup: the SDK raises it from the invoke, in the program.
            return {}, [("id", str(override))]
        return {**self._answer(args.token, request), **(override or {})}, []
