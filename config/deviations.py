"""Every deliberate difference between a generated graph and the upstream recipe it follows, with its reason.

The builders apply exactly these; the recipe parity tests accept a difference only if it is listed here, and fail
on a listed one that no longer occurs.
"""

from dataclasses import dataclass

ANY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Deviation:
    id: str
    what: str
    why: str
    paths: tuple[str, ...]
    """Where the difference shows in a flattened graph (fnmatch patterns; the recipe parity tests use them)."""
    fabrics: frozenset[str] = ANY
    """Fabrics it applies to (empty: every fabric)."""
    backends: frozenset[str] = ANY
    """Backends it applies to (empty: every backend)."""

    def applies(self, fabric: str, backend: str) -> bool:
        return (not self.fabrics or fabric in self.fabrics) and (not self.backends or backend in self.backends)


EFA = frozenset({"efa"})

DEVIATIONS: tuple[Deviation, ...] = (
    Deviation(
        id="model-path-in-cache",
        what="The model path is the pinned revision's directory in the cache, not the Hugging Face repo id or the "
        "recipe's unversioned directory; HF_HUB_OFFLINE=1 is set on every service.",
        why="The download Job fills a revision-specific directory once; engines then read exactly that revision and "
        "never reach the Hub at start (users report every gang member re-downloading the weights, "
        "modelplaneai/modelplane#112).",
        paths=("spec.services.*.args.--model-path", "spec.services.*.args.--model", "spec.envs.HF_HUB_OFFLINE"),
    ),
    Deviation(
        id="pvc-name",
        what="The graph mounts the cache claim the stack creates (named after the model) instead of `model-cache`.",
        why="The recipe expects a claim made by hand; the stack owns its cache.",
        paths=("spec.pvcs.*.name", "spec.services.*.volumeMounts./*"),
    ),
    Deviation(
        id="gpu-pool-placement",
        what="Workers get the GPU pool's nodeSelector and tolerations; the Frontend is pinned to the system nodes.",
        why="The pool is tainted so nothing else lands on rented GPUs; the recipe assumes untainted nodes.",
        paths=("spec.services.*.extraPodSpec.nodeSelector.*", "spec.services.*.extraPodSpec.tolerations"),
    ),
    Deviation(
        id="nixl-on-efa",
        what="SGLang workers add --disaggregation-transfer-backend nixl.",
        why="SGLang's default KV transfer (Mooncake) fails on p5en EFA with `Failed to create QP` "
        "(sgl-project/sglang#24838); NIXL has a libfabric path for EFA.",
        paths=("spec.services.*.args.--disaggregation-transfer-backend",),
        fabrics=EFA,
        backends=frozenset({"sglang"}),
    ),
    Deviation(
        id="dynamo-release",
        what="Every service runs the stack's Dynamo release (dynamo.version, 1.6.1 by default) instead of the "
        "recipe's 1.3.0, as its `-efa` variant on EFA pools (`<backend>-runtime:1.6.1-efa`).",
        why="1.3.0 has known issues that hit these stacks (config/known_issues.py: the SGLang-over-EFA stall, the "
        "TRT-LLM wide-EP decode crash); the `-efa` images carry the EFA installer's libfabric and aws-ofi-nccl that "
        "NIXL's LIBFABRIC backend needs (Dynamo v1.3.0 release artifacts, v1.3.1 notes; docs/releases.md).",
        paths=("spec.services.*.extraPodSpec.mainContainer.image",),
    ),
    Deviation(
        id="efa-devices",
        what="Workers request the node's EFA devices (vpc.amazonaws.com/efa, instead of the vLLM recipe's rdma/ib) "
        "and set FI_PROVIDER=efa, FI_EFA_USE_DEVICE_RDMA=1, FI_EFA_ENABLE_SHM_TRANSFER=0 and FI_EFA_ENABLE_SHM=0; "
        "they run privileged with IPC_LOCK (hardened-pods' securityContext paths).",
        why="Without EFA devices in the pod, NCCL and NIXL silently fall back to TCP sockets and hang or crawl "
        "(aws-samples/aws-do-eks#54); rdma/ib does not exist on AWS. The env and the privilege are the required set "
        "of Dynamo's guide 'EFA (RDMA over AWS Fabric) on EKS', Steps 4 and 5 (specs/efa_worker.py).",
        paths=(
            "spec.services.*.resources.limits.custom.*",
            "spec.services.*.envs.FI_PROVIDER",
            "spec.services.*.envs.FI_EFA_USE_DEVICE_RDMA",
            "spec.services.*.envs.FI_EFA_ENABLE_SHM_TRANSFER",
            "spec.services.*.envs.FI_EFA_ENABLE_SHM",
        ),
        fabrics=EFA,
    ),
    Deviation(
        id="sglang-nixl-libfabric-on-efa",
        what="SGLang workers set SGLANG_DISAGGREGATION_NIXL_BACKEND=LIBFABRIC.",
        why="NIXL's default UCX backend lands on a TCP-speed transport on EFA; Dynamo's EFA guide (Step 4) selects "
        "LIBFABRIC for SGLang with this variable (TRT-LLM: TRTLLM_NIXL_KVCACHE_BACKEND, where its KV crosses EFA; "
        "the gb200 graph's stays on NVLink in its ComputeDomain).",
        paths=("spec.services.*.envs.SGLANG_DISAGGREGATION_NIXL_BACKEND",),
        fabrics=EFA,
        backends=frozenset({"sglang"}),
    ),
    Deviation(
        id="nixl-libfabric-on-efa",
        what="vLLM's NixlConnector gets kv_connector_extra_config.backends [LIBFABRIC].",
        why="NIXL's default UCX backend silently falls back to TCP on EFA; its libfabric backend speaks EFA.",
        paths=("spec.services.*.args.--kv-transfer-config",),
        fabrics=EFA,
        backends=frozenset({"vllm"}),
    ),
    Deviation(
        id="all2all-on-efa",
        what="vLLM uses --all2all-backend allgather_reducescatter instead of deepep_*, without --enable-dbo and "
        "--dbo-decode-token-threshold (micro-batch overlap needs DeepEP).",
        why="DeepEP needs NVSHMEM with InfiniBand GPUDirect Async, which EFA lacks (awslabs/ai-on-eks#198, "
        "deepseek-ai/DeepEP#369); allgather_reducescatter runs on NCCL, which reaches EFA through aws-ofi-nccl.",
        paths=(
            "spec.services.*.args.--all2all-backend",
            "spec.services.*.args.--enable-dbo",
            "spec.services.*.args.--dbo-decode-token-threshold",
        ),
        fabrics=EFA,
        backends=frozenset({"vllm"}),
    ),
    Deviation(
        id="hardened-pods",
        what="Every service runs non-root (the image's UID 1000) with no capabilities, no privilege escalation, "
        "seccomp RuntimeDefault and a read-only root; HOME and /tmp are emptyDirs; images are re-checked at start "
        "(imagePullPolicy Always); the checkov checks it still does not meet are annotated with their reasons.",
        why="The recipes leave the long-running, GPU-holding pods with the runtime's defaults (specs/"
        "serving_security.py says what each engine needs and why the rest is dropped).",
        paths=(
            "spec.services.*.annotations.checkov.io/*",
            "spec.services.*.extraPodSpec.securityContext.*",
            "spec.services.*.extraPodSpec.mainContainer.securityContext.*",
            "spec.services.*.extraPodSpec.mainContainer.imagePullPolicy",
            "spec.services.*.extraPodSpec.mainContainer.volumeMounts.*",
            "spec.services.*.extraPodSpec.volumes.*.emptyDir.*",
            "spec.services.*.extraPodSpec.volumes.*.name",
        ),
    ),
    Deviation(
        id="sized-pods",
        what="The Frontend gets CPU/memory requests and limits; workers request and are limited to their share of "
        "the node's vCPUs and memory from the catalog (85%), unless the stack sets cpu and memory.",
        why="Unbounded pods on shared CPU nodes starve the operator and NATS; Guaranteed QoS keeps the kubelet from "
        "evicting a worker that holds GPUs.",
        paths=(
            "spec.services.*.extraPodSpec.mainContainer.resources.*",
            "spec.services.*.resources.requests.cpu",
            "spec.services.*.resources.requests.memory",
            "spec.services.*.resources.limits.cpu",
            "spec.services.*.resources.limits.memory",
        ),
    ),
    Deviation(
        id="engine-config-per-graph",
        what="TRT-LLM engine configs are ConfigMaps named after the graph (`<graph>-prefill-engine`), mounted as "
        "`<role>_config.yaml`.",
        why="The recipe's `prefill-config`/`decode-config` would clash between two graphs in one namespace.",
        paths=("spec.services.*.args.--extra-engine-args", "spec.services.*.extraPodSpec.volumes.*.configMap.name"),
        backends=frozenset({"trtllm"}),
    ),
    Deviation(
        id="compute-domain-per-graph",
        what="The ComputeDomain and its channel template are named after the graph.",
        why="The recipe's `trtllm-test-compute-domain` is a test name and would clash between graphs.",
        paths=("spec.services.*.extraPodSpec.resourceClaims.*.resourceClaimTemplateName",),
        backends=frozenset({"trtllm"}),
    ),
    Deviation(
        id="compile-caches-on-the-cache",
        what="Every engine's JIT and compilation cache (DeepGEMM, FlashInfer, Triton, TorchInductor, vLLM, CUDA's PTX "
        "cache) points at a directory of the shared cache volume keyed by engine, image and GPU "
        "(specs/compile_cache.py), instead of the image's defaults under the container's home.",
        why="The recipes keep them in the container, so every start, restart and rollout compiles again: SGLang's "
        'DeepGEMM pre-compile alone "may take a long time (typically 10-20 mins)" (docs/time-to-endpoint.md).',
        paths=tuple(
            f"spec.services.*.extraPodSpec.mainContainer.env.{name}"
            for name in (
                "XDG_CACHE_HOME",
                "TORCHINDUCTOR_CACHE_DIR",
                "TRITON_CACHE_DIR",
                "FLASHINFER_WORKSPACE_BASE",
                "CUDA_CACHE_PATH",
                "SGLANG_DG_CACHE_DIR",
                "DG_JIT_CACHE_DIR",
                "VLLM_CACHE_ROOT",
            )
        ),
    ),
)


def applicable(fabric: str, backend: str) -> tuple[Deviation, ...]:
    return tuple(d for d in DEVIATIONS if d.applies(fabric, backend))
