"""The duration model: minutes per kind of resource, and the data flows (download, pulls, weight load) that depend on
the config: the Hub's rate, the cache's throughput shared by every pod that loads at once, the engine's warm-up."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from specs import cache_sizing
from specs.estimate import figures
from specs.estimate.critical_path import Node, Schedule, schedule

MB = 1_000_000
SERVING_GRAPH = "kubernetes:nvidia.com/v1alpha1:DynamoGraphDeployment"
JOB = "kubernetes:batch/v1:Job"
_BY_TYPE = {
    "aws:eks/cluster:Cluster": "eks-cluster",
    "aws:eks/addon:Addon": "eks-addon",
    "aws:ec2/natGateway:NatGateway": "nat-gateway",
    "aws:fsx/lustreFileSystem:LustreFileSystem": "fsx-lustre",
    "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation": "s3-link",
    "aws:efs/fileSystem:FileSystem": "efs",
    "aws:efs/mountTarget:MountTarget": "efs-mount-target",
    "kubernetes:helm.sh/v3:Release": "helm-release",
    SERVING_GRAPH: "serving-graph",
}
CACHE_KINDS = ("fsx-lustre", "efs", "efs-mount-target", "s3-link")
"""Warm: the cache's file system already exists (protected and retained, it outlives the serving stack)."""
_JOBS = {"ModelDownloadJob$": "download", "FabricCheck$": "fabric-check", "GpuGate$": "gpu-gate"}


def kind(node: Node) -> str:
    """What a resource is for the duration model, from its type and the component it belongs to (its URN)."""
    t, urn = node.type, node.urn
    if t.startswith("dsr1:index:"):
        return "component"
    if t.startswith("pulumi:providers:"):
        return "provider"
    if t == "aws:eks/nodeGroup:NodeGroup":
        return "gpu-node-group" if "GpuNodePool$" in urn else "cpu-node-group"
    if t in _BY_TYPE:
        return _BY_TYPE[t]
    if t == JOB:
        found = next((k for marker, k in _JOBS.items() if marker in urn), None)
        if found:
            return found
        return "smoke-test" if "EndpointChecks$" in urn and node.name.endswith("-smoke") else "other"
    if t == "kubernetes:apps/v1:DaemonSet" and "ImagePrepull$" in urn:
        return "image-prepull"
    if t.startswith("aws:"):
        return "aws-quick"
    if t.startswith("kubernetes:"):
        return "kubernetes-object"
    return "other"


@dataclass(frozen=True)
class Flows:
    """What the data flows depend on: plain numbers from the config, the catalog and the cache plan."""

    weight_bytes: int
    cache_read_mbps: float | None
    """Aggregate read throughput of the cache (FSx) or per client (EFS: `per_client`); None: unknown."""
    cache_write_mbps: float | None
    loading_nodes: int
    """Nodes whose workers load the weights at the same time when the graph starts."""
    per_client: bool = False
    """The cache's rate is per client (EFS), not shared by all readers (FSx)."""
    price_per_hour_usd: float = 0.0
    capacity_type: str = "on-demand"
    jit_lead_minutes: float | None = None
    """With just-in-time GPUs: the GPU node group starts this long before the download is estimated to end."""
    link_mbps_per_node: float | None = None
    """GPU nodes in a Local Zone read the Region's cache across its link, at most this fast each (None: same zone)."""
    hub_mbps: float = figures.HUB_MBPS.value
    verify_while_downloading: bool = figures.VERIFY_WHILE_DOWNLOADING

    def download_minutes(self) -> float:
        rate = min(self.hub_mbps, self.cache_write_mbps or self.hub_mbps)
        fetch = self.weight_bytes / (rate * MB) / 60
        hash_rate = figures.SHA256_MBPS.value * figures.HASH_WORKERS
        read_rate = min(hash_rate, self.cache_read_mbps or hash_rate)
        # Overlapped: only the last file's hash is left when its bytes arrive; a second pass re-reads everything.
        verified = figures.LARGEST_SHARD_BYTES.value if self.verify_while_downloading else self.weight_bytes
        return figures.MINUTES["job-start"].value + fetch + verified / (read_rate * MB) / 60

    def load_minutes(self) -> float:
        """Every loading node reads its share at once: the cache's throughput is divided among them (FSx), or each
        reads at the per-client rate (EFS)."""
        if not self.cache_read_mbps:
            return 0.0
        per_node = self.weight_bytes * cache_sizing.READ_FRACTION_PER_NODE
        total = per_node if self.per_client else per_node * max(self.loading_nodes, 1)
        return max(total / (self.cache_read_mbps * MB) / 60, self.link_minutes())

    def link_minutes(self) -> float:
        """Each GPU node's load across a Local Zone's link, in parallel (0 when the GPUs share the cache's zone)."""
        if not self.link_mbps_per_node:
            return 0.0
        return self.weight_bytes * cache_sizing.READ_FRACTION_PER_NODE / (self.link_mbps_per_node * MB) / 60


def graph_start_minutes(flows: Flows) -> float:
    """From the graph's creation to Ready without a pre-pulled image: pull, concurrent load, warm-up."""
    return figures.IMAGE_PULL_MINUTES.value + flows.load_minutes() + figures.WARMUP_MINUTES.value


@dataclass(frozen=True)
class Run:
    """One estimated `pulumi up`: when each resource starts and ends."""

    schedule: Schedule
    target: str
    gpu_nodes: str | None
    graph: str | None

    @property
    def minutes(self) -> float:
        return self.schedule.finish[self.target]

    @property
    def gpu_idle_minutes(self) -> float | None:
        """GPU nodes joined but the graph not started yet: paid, doing nothing (the fabric check aside)."""
        if self.gpu_nodes is None or self.graph is None:
            return None
        return max(0.0, self.schedule.start[self.graph] - self.schedule.finish[self.gpu_nodes])


def run(nodes: Sequence[Node], flows: Flows, warm: bool) -> Run:
    """Schedule the graph: cold (the download fetches every byte) or warm (the cache holds the revision already)."""
    kinds = {n.urn: kind(n) for n in nodes}
    first: dict[str, str] = {}
    for urn, k in sorted(kinds.items()):
        first.setdefault(k, urn)
    gpu_nodes, download = first.get("gpu-node-group"), first.get("download")
    prepull = "image-prepull" in kinds.values()

    def minutes(
        node: Node, start: Mapping[str, float], finish: Mapping[str, float], prior: Mapping[str, float]
    ) -> float:
        k = kinds[node.urn]
        if warm and k in CACHE_KINDS:
            return 0.0
        if k == "download":
            return figures.MINUTES["job-start"].value if warm else flows.download_minutes()
        if k == "serving-graph":
            pull = figures.IMAGE_PULL_MINUTES.value
            if prepull and gpu_nodes is not None and gpu_nodes in finish:
                pull = max(0.0, pull - (start[node.urn] - finish[gpu_nodes]))
            return graph_start_minutes(flows) - figures.IMAGE_PULL_MINUTES.value + pull
        if k == "gpu-gate":
            # Ends when the download is within the lead of its end (its own measured rate decides in the cluster).
            end = prior.get(download or "", 0.0)
            return max(figures.MINUTES["job-start"].value, end - (flows.jit_lead_minutes or 0.0) - start[node.urn])
        if k == "image-prepull":
            return figures.MINUTES["kubernetes-object"].value  # not awaited (pulumi.com/skipAwait)
        return figures.MINUTES[k].value

    # Two passes: the gate's end follows the download's, which does not depend on the gate.
    first_pass = schedule(nodes, lambda n, s, f: minutes(n, s, f, {}))
    final = schedule(nodes, lambda n, s, f: minutes(n, s, f, first_pass.finish))
    target = first.get("smoke-test") or max(final.finish, key=lambda u: (final.finish[u], u))
    return Run(final, target, gpu_nodes, first.get("serving-graph"))
