"""What a rendered stack costs to run, per hour and per month, line by line, from the resources it registers.

Every price comes from config/catalog.py with its source and date. Per-use charges (NAT data processing, EFS reads,
cross-zone traffic, the Hub download's egress) are left out and said so.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from config import catalog, versions
from offline.mocks import Registration, scrub

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


@dataclass(frozen=True)
class LineItem:
    name: str
    per_hour: float
    source: str
    region: str | None = None
    """The Region the price is for (None: the same everywhere, or no price)."""

    def elsewhere(self, region: str | None) -> bool:
        """Priced for another Region than the one rendered: the summary marks it."""
        return self.region is not None and region is not None and self.region != region

    @property
    def per_month(self) -> float:
        return self.per_hour * catalog.HOURS_PER_MONTH


def _inputs(reg: Registration) -> dict[str, Any]:
    data: dict[str, Any] = scrub(reg.wire_inputs)
    return data


def _hourly(price: catalog.Price, quantity: float) -> float:
    if price.unit == "hour":
        return price.usd * quantity
    return price.usd * quantity / catalog.HOURS_PER_MONTH


def _node_groups(regs: Sequence[Registration]) -> list[LineItem]:
    templates = {f"{r.name}-id": _inputs(r) for r in regs if r.type == "aws:ec2/launchTemplate:LaunchTemplate"}
    items: list[LineItem] = []
    disks: dict[str, float] = {}
    for reg in (r for r in regs if r.type == NODE_GROUP):
        data = _inputs(reg)
        count = int((data.get("scalingConfig") or {}).get("desiredSize") or 0)
        template = templates.get(((data.get("launchTemplate") or {}).get("id")) or "")
        # A Capacity Block node group leaves the type out (EKS's Capacity Blocks guide): its launch template has it.
        (itype,) = data.get("instanceTypes") or [(template or {}).get("instanceType") or "?"]
        gpu = catalog.INSTANCE_TYPES.get(itype)
        price = catalog.SYSTEM_INSTANCE_PRICES.get(itype)
        what = "GPU nodes" if gpu else "download node (until scaled to 0)" if "download" in reg.name else "system nodes"
        if gpu is not None:
            block = (
                " (Capacity Block: paid upfront for the block)" if data.get("capacityType") == "CAPACITY_BLOCK" else ""
            )
            items.append(
                LineItem(
                    f"{what}: {count} x {itype}{block}",
                    gpu.price_per_hour_usd * count,
                    gpu.price_source,
                    gpu.price_region,
                )
            )
        elif price is not None:
            items.append(LineItem(f"{what}: {count} x {itype}", _hourly(price, count), price.cite(), price.region))
        else:
            items.append(LineItem(f"{what}: {count} x {itype}", 0.0, "no price in config/catalog.py (check)"))
        ebs = [m.get("ebs") or {} for m in (template or {}).get("blockDeviceMappings") or []]
        for v in ebs or [{"volumeSize": data.get("diskSize") or catalog.DEFAULT_NODE_DISK_GIB}]:
            kind = str(v.get("volumeType") or "gp3")
            disks[kind] = disks.get(kind, 0.0) + count * float(v.get("volumeSize") or 0)
    for kind, size in sorted(disks.items(), key=lambda kv: kv[0] != "gp3"):
        price = catalog.PRICES.get(f"ebs-{kind}") or catalog.PRICES["ebs-gp3"]
        items.append(LineItem(f"root volumes: {size:.0f} GB {kind}", _hourly(price, size), price.cite(), price.region))
    return items


def _control_plane(regs: Sequence[Registration], today: datetime.date) -> list[LineItem]:
    items = []
    for reg in (r for r in regs if r.type == "aws:eks/cluster:Cluster"):
        version = str(_inputs(reg).get("version") or "")
        ends = versions.EKS_STANDARD_SUPPORT_END.get(version)
        extended = ends is not None and today.isoformat() > ends
        price = catalog.PRICES["eks-extended" if extended else "eks-standard"]
        when = (
            f"extended support since {ends}"
            if extended
            else (
                f"standard support until {ends}, then ${catalog.PRICES['eks-extended'].usd:.2f}/h"
                if ends
                else "support dates unknown (check)"
            )
        )
        items.append(
            LineItem(f"EKS control plane (Kubernetes {version}: {when})", price.usd, price.cite(), price.region)
        )
    return items


def _network(regs: Sequence[Registration]) -> list[LineItem]:
    nats = sum(1 for r in regs if r.type == "aws:ec2/natGateway:NatGateway")
    ips = sum(1 for r in regs if r.type == "aws:ec2/eip:Eip")
    items = []
    if nats:
        nat = catalog.PRICES["nat-gateway"]
        items.append(LineItem(f"NAT gateway(s): {nats} (+$0.045/GB processed)", nat.usd * nats, nat.cite(), nat.region))
    if ips:
        ip = catalog.PRICES["public-ipv4"]
        items.append(LineItem(f"public IPv4 address(es): {ips}", ip.usd * ips, ip.cite(), ip.region))
    return items


def _storage(regs: Sequence[Registration], weight_bytes: int | None) -> list[LineItem]:
    items = []
    for reg in (r for r in regs if r.type == "aws:fsx/lustreFileSystem:LustreFileSystem"):
        data = _inputs(reg)
        size, tier = int(data.get("storageCapacity") or 0), int(data.get("perUnitStorageThroughput") or 0)
        price = catalog.FSX_PERSISTENT_2.get(tier)
        if price is not None:
            name = f"FSx for Lustre: {size} GiB at {tier} MB/s/TiB"
            items.append(LineItem(name, _hourly(price, size), price.cite(), price.region))
    stored_gb = (weight_bytes or 0) / 1e9
    if any(r.type == "aws:efs/fileSystem:FileSystem" for r in regs) and stored_gb:
        efs = catalog.PRICES["efs-standard"]
        items.append(
            LineItem(
                f"EFS: ~{stored_gb:.0f} GB of weights (+ elastic reads per GB)",
                _hourly(efs, stored_gb),
                efs.cite(),
                efs.region,
            )
        )
    if any(r.type == "aws:s3/bucket:Bucket" for r in regs) and stored_gb:
        s3 = catalog.PRICES["s3-standard"]
        items.append(
            LineItem(f"S3 staging: ~{stored_gb:.0f} GB of weights", _hourly(s3, stored_gb), s3.cite(), s3.region)
        )
    return items


def _monitoring(regs: Sequence[Registration]) -> list[LineItem]:
    """The in-cluster Prometheus's volume, a gp3 EBS volume on EKS (kube-prometheus-stack's storageSpec)."""
    if not any(r.type == "aws:eks/cluster:Cluster" for r in regs):
        return []
    items = []
    for reg in (r for r in regs if r.type == "kubernetes:helm.sh/v3:Release"):
        data = _inputs(reg)
        if data.get("chart") != "kube-prometheus-stack":
            continue
        spec = (data.get("values") or {}).get("prometheus", {}).get("prometheusSpec", {})
        claim = spec.get("storageSpec", {}).get("volumeClaimTemplate", {}).get("spec", {})
        size = str(claim.get("resources", {}).get("requests", {}).get("storage", "0Gi"))
        gib = int(size.removesuffix("Gi")) if size.endswith("Gi") else 0
        gp3 = catalog.PRICES["ebs-gp3"]
        items.append(LineItem(f"Prometheus volume: {gib} GiB gp3", _hourly(gp3, gib * 1.073741824), gp3.cite()))
    return items


def line_items(
    regs: Sequence[Registration], weight_bytes: int | None = None, today: datetime.date | None = None
) -> list[LineItem]:
    """Every cost of the stack that runs by the hour or the month; `today` picks EKS standard or extended support."""
    day = today or datetime.datetime.now(datetime.UTC).date()
    return [
        *_node_groups(regs),
        *_control_plane(regs, day),
        *_network(regs),
        *_storage(regs, weight_bytes),
        *_monitoring(regs),
    ]


NOTHING_BILLED = (
    "cost: this stack creates nothing billed by the hour (an existing cluster's nodes and storage are not modelled)"
)


def total_per_hour(items: list[LineItem]) -> float:
    return sum(i.per_hour for i in items)


def where_priced(items: list[LineItem], region: str | None) -> str:
    """Which Region's list prices these are: the rendered one, or said plainly when some come from another."""
    others = sorted({i.region for i in items if i.elsewhere(region) and i.region})
    if not others:
        return f"{region or 'us-east-1'} list prices"
    return f"list prices; items marked * are {', '.join(others)} prices (config/catalog.py has none for {region})"


def headline(items: list[LineItem], region: str | None) -> list[str]:
    """The one cost line a reader sees first: the full hourly and monthly cost, and how much of it the GPUs are."""
    if not items:
        return [NOTHING_BILLED]
    total = total_per_hour(items)
    gpus = sum(i.per_hour for i in items if i.name.startswith("GPU nodes"))
    return [
        f"cost: ${total:,.2f}/h, ${total * catalog.HOURS_PER_MONTH:,.0f}/month (GPU nodes ${gpus:,.2f}/h); "
        f"{where_priced(items, region)}; per-use charges not included"
    ]


def summary(items: list[LineItem], region: str | None = None) -> list[str]:
    """Every line item, per hour and per month, then the total and each price's source."""
    if not items:
        return [NOTHING_BILLED]
    lines = [f"cost by line item ({where_priced(items, region)}; a month is {catalog.HOURS_PER_MONTH} h):"]
    for i in items:
        mark = " *" if i.elsewhere(region) else ""
        lines.append(f"  ${i.per_hour:>9,.2f}/h  ${i.per_month:>11,.0f}/month  {i.name}{mark}")
    total = total_per_hour(items)
    lines.append(f"  ${total:>9,.2f}/h  ${total * catalog.HOURS_PER_MONTH:>11,.0f}/month  total")
    lines.append("price sources:")
    lines += [f"  {i.name.split(' (')[0]}: {i.source}" for i in items]
    return lines
