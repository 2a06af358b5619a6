"""Just-in-time GPUs: a Job that ends when the download is estimated to be a lead time from done; the GPU node group
waits for it, so on-demand GPUs join as the weights complete instead of idling through the download.

How the moment is decided: the program fixes the lead (the GPU node group's create time plus the image pre-pull,
from specs/estimate/figures.py); the Job measures the download's own rate on the cache (bytes under the model's
directory, partial files included) and ends when the bytes left, at that rate, take no longer than the lead. It also
ends at once when the revision is complete (a warm cache), and after a stall (no progress for STALL_SECONDS: the GPUs
then come up as they would without it, and the download Job reports its own failure). `pulumi up` stays one command:
the node group simply depends on this Job.
"""

from typing import Any

import pulumi

from config import versions
from config.schema import GpuPool
from specs.estimate import figures
from specs.job_manifest import job
from specs.pod_security import restricted
from specs.security_skips import GPU_GATE_SKIPS, checkov_annotations

COMPLETION_MARKER = ".dsr1-complete.json"
"""Written last by the downloader (in_pod/weights/ledger.py MARKER) beside a complete, verified revision."""
CACHE_ROOT = "/cache"
INTERVAL_S = 30
STALL_S = 15 * 60
USER_ID = 10001
DEADLINE_S = 6 * 3600
"""As long as the download's own deadline (specs/download_spec.py)."""

SCRIPT = """set -u
target="$DSR1_TARGET"; total="$DSR1_TOTAL_BYTES"; lead="$DSR1_LEAD_SECONDS"
first=-1; prev=-1; stalled=0; waited=0
while :; do
  if [ -f "$target/$DSR1_MARKER" ]; then echo "revision complete: starting the GPUs"; exit 0; fi
  got=$(du -sb "$target" 2>/dev/null | cut -f1); got=${got:-0}
  if [ "$first" -lt 0 ]; then first=$got; fi
  if [ "$prev" -ge 0 ] && [ "$got" -le "$prev" ]; then stalled=$((stalled + DSR1_INTERVAL)); else stalled=0; fi
  if [ "$stalled" -ge "$DSR1_STALL_SECONDS" ]; then echo "no progress for ${stalled}s: starting the GPUs"; exit 0; fi
  if [ "$waited" -gt 0 ] && [ "$got" -gt "$first" ]; then
    rate=$(( (got - first) / waited ))
    left=$(( (total - got) / (rate > 0 ? rate : 1) ))
    echo "$got of $total bytes at ${rate} B/s: ~${left}s left; the GPUs start at ${lead}s left"
    if [ "$left" -le "$lead" ]; then exit 0; fi
  fi
  prev=$got; sleep "$DSR1_INTERVAL"; waited=$((waited + DSR1_INTERVAL))
done
"""


LABELS = {"app.kubernetes.io/name": "gpu-gate"}


def lead_minutes() -> float:
    """The GPU node group's create time plus the image pull that follows it: nodes and image are ready as the last
    byte lands (the fabric check runs during the pull)."""
    return figures.MINUTES["gpu-node-group"].value + max(
        figures.IMAGE_PULL_MINUTES.value, figures.MINUTES["fabric-check"].value
    )


def gate_job(
    name: str,
    namespace: pulumi.Input[str],
    pvc_name: pulumi.Input[str],
    target: str,
    total_bytes: int,
    node_selector: dict[str, str],
) -> dict[str, Any]:
    labels = dict(LABELS)
    env = {
        "DSR1_TARGET": f"{CACHE_ROOT}/{target}",
        "DSR1_TOTAL_BYTES": str(total_bytes),
        "DSR1_LEAD_SECONDS": str(int(lead_minutes() * 60)),
        "DSR1_MARKER": COMPLETION_MARKER,
        "DSR1_INTERVAL": str(INTERVAL_S),
        "DSR1_STALL_SECONDS": str(STALL_S),
    }
    container = {
        "name": "gate",
        "image": versions.DOWNLOADER_IMAGE,
        "imagePullPolicy": "Always",
        "command": ["sh", "-c", SCRIPT],
        "env": [{"name": k, "value": v} for k, v in env.items()],
        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"cpu": "200m", "memory": "64Mi"}},
        "securityContext": restricted(USER_ID),
        "volumeMounts": [{"name": "model-cache", "mountPath": CACHE_ROOT, "readOnly": True}],
    }
    pod = {
        "restartPolicy": "OnFailure",
        "nodeSelector": node_selector,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container],
        "volumes": [{"name": "model-cache", "persistentVolumeClaim": {"claimName": pvc_name, "readOnly": True}}],
    }
    return job(
        name, namespace, labels, checkov_annotations(GPU_GATE_SKIPS), pod, backoff_limit=3, deadline_s=DEADLINE_S
    )


def enabled(pool: GpuPool, on_eks: bool) -> bool:
    """On by default for on-demand EKS pools (billed by the second from launch); reservations and Capacity Blocks are
    paid from their start whether the nodes run or not, so starting them late saves nothing."""
    if not on_eks:
        return False
    return pool.just_in_time if pool.just_in_time is not None else pool.capacity.type == "on-demand"
