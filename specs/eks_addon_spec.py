"""The EKS add-ons a stack installs, what each needs first, and the encrypted gp3 StorageClass of the platform's claims.

Facts the EKS cluster component builds from and the offline checks verify against (offline/checks/).
"""

from dataclasses import dataclass
from typing import Any

from config import versions, vpc_cni

POD_IDENTITY_AGENT = "eks-pod-identity-agent"
VPC_CNI = "vpc-cni"
EBS_CSI = "aws-ebs-csi-driver"
FSX_CSI = "aws-fsx-csi-driver"
EFS_CSI = "aws-efs-csi-driver"


@dataclass(frozen=True)
class AddonSpec:
    name: str
    version: str
    before_nodes: bool
    """A DaemonSet the nodes need as they join (the CNI, the credentials agent): created before the node groups.
    Add-ons with a controller Deployment become ACTIVE only once nodes can run it: created after the system nodes."""
    needs_pod_identity: bool
    """The add-on needs the EKS Pod Identity Agent even without a Pod Identity association of its own. Any add-on
    with an association needs it too (EKS user guide "Attach an IAM Role to an Amazon EKS add-on using Pod Identity":
    confirm the agent is set up first); the checks read that from the add-on's inputs, not from this flag.
    FSx CSI (check): the EKS user guide's renditions disagree. "Deploy the FSx for Lustre driver" in its Markdown
    rendition says the add-on "supports authentication through either EKS Pod Identity or IAM Roles for Service
    Accounts (IRSA)" and needs the agent only for Pod Identity; its HTML rendition and "Amazon EKS add-ons" say it
    "requires the EKS Pod Identity agent" and fails with "Amazon EKS Pod Identity agent is not installed in the
    cluster". The stack's FSx add-on uses neither (it mounts a file system the stack created), so it stays after the
    agent, which holds under both readings."""
    provisioner: str | None = None
    """The CSI driver name StorageClasses and PersistentVolumes refer to."""


ADDONS: dict[str, AddonSpec] = {
    VPC_CNI: AddonSpec(VPC_CNI, versions.VPC_CNI_ADDON_VERSION, before_nodes=True, needs_pod_identity=False),
    POD_IDENTITY_AGENT: AddonSpec(
        POD_IDENTITY_AGENT, versions.POD_IDENTITY_AGENT_ADDON_VERSION, before_nodes=True, needs_pod_identity=False
    ),
    EBS_CSI: AddonSpec(EBS_CSI, versions.EBS_CSI_ADDON_VERSION, False, False, "ebs.csi.aws.com"),
    FSX_CSI: AddonSpec(FSX_CSI, versions.FSX_CSI_ADDON_VERSION, False, True, "fsx.csi.aws.com"),
    EFS_CSI: AddonSpec(EFS_CSI, versions.EFS_CSI_ADDON_VERSION, False, False, "efs.csi.aws.com"),
}

CACHE_ADDON = {"fsx-lustre": FSX_CSI, "efs": EFS_CSI}
"""The CSI driver that mounts each file system the stack can own."""

VPC_CNI_CONFIGURATION = vpc_cni.CONFIGURATION
"""EKS user guide, "Configure your cluster for Kubernetes network policies": the vpc-cni add-on enforces
NetworkPolicies only with `enableNetworkPolicy` set to "true" in its configuration values (off by default); the
rule that reads it back is config.vpc_cni.network_policy_enabled."""


EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa"
EBS_CSI_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
"""EKS user guide, "Amazon EBS CSI driver" add-on: its controller's service account and the managed policy it needs."""
POD_IDENTITY_ACTIONS = ("sts:AssumeRole", "sts:TagSession")
POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com"
"""EKS user guide, "Create IAM role with trust policy required by EKS Pod Identity"."""

STORAGE_CLASS = "gp3-encrypted"
"""Why a class of our own, named in the chart values and also the default: EKS clusters created on 1.30 or later
have no default StorageClass (EKS user guide, Kubernetes 1.30 notes: "no longer includes the default annotation on
the gp2 StorageClass" of newly created clusters), older ones a gp2 class that provisions only through the EBS CSI
driver (in-tree EBS migrated to CSI in Kubernetes 1.23), and dynamo-platform 1.3.0
claims a volume for NATS JetStream (nats.config.jetstream.fileStore.pvc, 10Gi) and, when installed, for etcd
(etcd.persistence) on the default class. Naming the class in the values binds them even if someone else's default
class appears later; marking it default serves any other claim a chart makes."""


def storage_class() -> dict[str, Any]:
    """Encrypted gp3 EBS, bound where the pod lands (WaitForFirstConsumer: EBS volumes are zonal)."""
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {
            "name": STORAGE_CLASS,
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
        },
        "provisioner": ADDONS[EBS_CSI].provisioner,
        "parameters": {"type": "gp3", "encrypted": "true"},
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
    }


def platform_storage_values(storage_class_name: str) -> dict[str, Any]:
    """dynamo-platform values that put its own claims on the class (chart values.yaml, 1.3.0)."""
    return {
        "nats": {"config": {"jetstream": {"fileStore": {"pvc": {"storageClassName": storage_class_name}}}}},
        "etcd": {"persistence": {"storageClass": storage_class_name}},
    }
