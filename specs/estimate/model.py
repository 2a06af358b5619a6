"""The duration model: minutes per kind of resource, and the data flows (download, pulls, weight load, compile) that
depend on the config: the download's rate (the Hub, the download node's share of the internet, the cache's writes),
the cache's throughput shared by every pod that loads at once, the engine's first and later starts."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from specs import cache_sizing
from specs.estimate import figures
from specs.estimate.critical_path import Node, Schedule, schedule
from specs.estimate.figures import Case

MB = 1_000_000
SERVING_GRAPH = "kubernetes:nvidia.com/v1alpha1:DynamoGraphDeployment"
JOB = "kubernetes:batch/v1:Job"
ADDON = "aws:eks/addon:Addon"
_BY_TYPE = {
    "aws:eks/cluster:Cluster": "eks-cluster",
    ADDON: "eks-addon",
    "aws:ec2/natGateway:NatGateway": "nat-gateway",
    "aws:fsx/lustreFileSystem:LustreFileSystem": "fsx-lustre",
    "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation": "s3-link",
    "aws:efs/fileSystem:FileSystem": "efs",
    "aws:efs/mountTarget:MountTarget": "efs-mount-target",
    "kubernetes:helm.sh/v3:Release": "helm-release",
    SERVING_GRAPH: "serving-graph",
}
CSI_ADDONS = ("aws-ebs-csi-driver", "aws-fsx-csi-driver", "aws-efs-csi-driver")
"""Add-ons with a controller Deployment health-checked before ACTIVE (figures.CSI_ADDON)."""
CACHE_KINDS = ("fsx-lustre", "efs", "efs-mount-target", "s3-link")
"""Warm: the cache's file system already exists (protected and retained, it outlives the serving stack)."""
_JOBS = {"-kv-job": "kv-check", "ModelDownloadJob$": "download", "FabricCheck$": "fabric-check", "GpuGate$": "gpu-gate"}
"""URN marker -> kind, first match wins (the fabric check's NIXL Job, `<check>-kv-job`, before its NCCL Job)."""


MONITORING_STACK = "kube-prometheus-stack"
"""The metrics pipeline's chart (components/observability.py): the platform release waits for its CRDs."""


def kind(node: Node) -> str:
    """What a resource is for the duration model, from its type and the component it belongs to (its URN)."""
    t, urn = node.type, node.urn
    if t.startswith("dsr1:index:"):
        return "component"
    if t.startswith("pulumi:providers:"):
        return "provider"
    if t == "aws:eks/nodeGroup:NodeGroup":
        return "gpu-node-group" if "GpuNodePool$" in urn else "cpu-node-group"
    if t == ADDON and node.name.endswith(CSI_ADDONS):
        return "csi-addon"
    if t == "kubernetes:helm.sh/v3:Release" and "Observability$" in urn and node.name.endswith(MONITORING_STACK):
        return "monitoring-stack"
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
    """GPU nodes in a Local Zone read the Region's cache across its link, this fast each at typical values (its
    range: figures.LOCAL_ZONE_READ_MBPS_PER_NODE); None: same zone."""
    verify_while_downloading: bool = figures.VERIFY_WHILE_DOWNLOADING
    node_internet_mbps: float | None = None
    """The download node's share of traffic leaving the VPC (specs/download_node.py); None: not known."""
    download_node: str = ""
    """The download node's instance type, for the summary."""
    backend: str = "sglang"
    compile_cache: bool = True
    """The engines' JIT caches are on the shared cache (specs/compile_cache.py): later starts skip the compile."""

    def download_mbps(self, case: Case = "typical") -> float:
        """The slowest of the Hub, the downloader's process, the download node's internet share and the cache's
        writes."""
        return min(self._limits(case).values())

    def download_limit(self, case: Case = "typical") -> str:
        limits = self._limits(case)
        return min(limits, key=lambda k: limits[k])

    def _limits(self, case: Case) -> dict[str, float]:
        limits = {"the Hub": figures.HUB_MBPS.at(case), "the downloader's CPU": figures.DOWNLOADER_MBPS.at(case)}
        if self.node_internet_mbps:
            limits[f"the download node ({self.download_node or 'its type'})"] = self.node_internet_mbps
        if self.cache_write_mbps:
            limits["the cache's writes"] = self.cache_write_mbps
        return limits

    def download_minutes(self, case: Case = "typical") -> float:
        fetch = self.weight_bytes / (self.download_mbps(case) * MB) / 60
        hash_rate = figures.SHA256_MBPS.at(case) * figures.HASH_WORKERS
        read_rate = min(hash_rate, self.cache_read_mbps or hash_rate)
        # Overlapped: only the last file's hash is left when its bytes arrive; a second pass re-reads everything.
        verified = figures.LARGEST_SHARD_BYTES if self.verify_while_downloading else self.weight_bytes
        return figures.MINUTES["job-start"].at(case) + fetch + verified / (read_rate * MB) / 60

    def load_minutes(self, nodes: int | None = None, case: Case = "typical") -> float:
        """Every loading node (`nodes`, default all of the graph's) reads its share at once: the cache's throughput
        is divided among them (FSx), or each reads at the per-client rate (EFS)."""
        if not self.cache_read_mbps:
            return 0.0
        per_node = self.weight_bytes * cache_sizing.READ_FRACTION_PER_NODE
        loading = self.loading_nodes if nodes is None else nodes
        total = per_node if self.per_client else per_node * max(loading, 1)
        return max(total / (self.cache_read_mbps * MB) / 60, self.link_minutes(case))

    def link_minutes(self, case: Case = "typical") -> float:
        """Each GPU node's load across a Local Zone's link, in parallel (0 when the GPUs share the cache's zone)."""
        if not self.link_mbps_per_node:
            return 0.0
        rate = self.link_mbps_per_node if case == "typical" else figures.LOCAL_ZONE_READ_MBPS_PER_NODE.at(case)
        return self.weight_bytes * cache_sizing.READ_FRACTION_PER_NODE / (rate * MB) / 60

    def engine_minutes(self, first_start: bool, case: Case = "typical") -> float:
        """After the weights: the JIT compile (a first start, or every start without persistent caches) and the
        engine's own start (CUDA graphs, warm-up)."""
        compile_ = figures.COMPILE_MINUTES[self.backend].at(case) if first_start or not self.compile_cache else 0.0
        return compile_ + figures.ENGINE_START_MINUTES.at(case)

    def restart_minutes(self, first_start: bool, case: Case = "typical") -> float:
        """One worker pod restarted on a node that has the image: it alone loads, then starts (and compiles only on
        a first start)."""
        return self.load_minutes(nodes=1, case=case) + self.engine_minutes(first_start, case)


def graph_start_minutes(flows: Flows, case: Case = "typical", first_start: bool = True) -> float:
    """From the graph's creation to Ready without a pre-pulled image: pull, concurrent load, compile, start."""
    return figures.IMAGE_PULL_MINUTES.at(case) + flows.load_minutes(case=case) + flows.engine_minutes(first_start, case)


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


def run(nodes: Sequence[Node], flows: Flows, warm: bool, case: Case = "typical") -> Run:
    """Schedule the graph: cold (the download fetches every byte, the engines compile) or warm (the cache holds the
    revision and the compile caches of this engine version on this GPU type)."""
    kinds = {n.urn: kind(n) for n in nodes}
    first: dict[str, str] = {}
    for urn, k in sorted(kinds.items()):
        first.setdefault(k, urn)
    gpu_nodes, download = first.get("gpu-node-group"), first.get("download")
    prepull = "image-prepull" in kinds.values()
    job_start = figures.MINUTES["job-start"].at(case)
    pull_minutes = figures.IMAGE_PULL_MINUTES.at(case)

    def minutes(
        node: Node, start: Mapping[str, float], finish: Mapping[str, float], prior: Mapping[str, float]
    ) -> float:
        k = kinds[node.urn]
        if warm and k in CACHE_KINDS:
            return 0.0
        if k == "download":
            return job_start if warm else flows.download_minutes(case)
        if k == "serving-graph":
            pull = pull_minutes
            if prepull and gpu_nodes is not None and gpu_nodes in finish:
                pull = max(0.0, pull - (start[node.urn] - finish[gpu_nodes]))
            return pull + flows.load_minutes(case=case) + flows.engine_minutes(not warm, case)
        if k == "gpu-gate":
            # Ends when the download is within the lead of its end (its own measured rate decides in the cluster).
            end = prior.get(download or "", 0.0)
            return max(job_start, end - (flows.jit_lead_minutes or 0.0) - start[node.urn])
        if k == "image-prepull":
            return figures.MINUTES["kubernetes-object"].at(case)  # not awaited (pulumi.com/skipAwait)
        return figures.MINUTES[k].at(case)

    # Two passes: the gate's end follows the download's, which does not depend on the gate.
    first_pass = schedule(nodes, lambda n, s, f: minutes(n, s, f, {}))
    final = schedule(nodes, lambda n, s, f: minutes(n, s, f, first_pass.finish))
    target = first.get("smoke-test") or max(final.finish, key=lambda u: (final.finish[u], u))
    return Run(final, target, gpu_nodes, first.get("serving-graph"))
