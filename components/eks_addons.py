"""EKS add-ons in the order EKS needs them, and the StorageClass the platform's own claims bind to.

Before the nodes: the VPC CNI (with its network policy agent on, so the stack's NetworkPolicies are enforced) and
the EKS Pod Identity Agent (the CSI add-ons authenticate through it). After the system nodes, which run their
controllers: the EBS CSI driver (IAM role through a Pod Identity association) and the cache's CSI driver.
"""

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from specs import eks_addon_spec as spec


def _pod_identity_role(name: str, policy_arn: str, opts: pulumi.ResourceOptions) -> aws.iam.Role:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": spec.POD_IDENTITY_PRINCIPAL},
                "Action": list(spec.POD_IDENTITY_ACTIONS),
            }
        ],
    }
    role = aws.iam.Role(f"{name}-role", assume_role_policy=json.dumps(trust), opts=opts)
    aws.iam.RolePolicyAttachment(f"{name}-policy", role=role.name, policy_arn=policy_arn, opts=opts)
    return role


@dataclass
class NodeAddons:
    """Add-ons the node groups must wait for."""

    before_nodes: list[pulumi.Resource]


def before_nodes(name: str, cluster: aws.eks.Cluster, parent: pulumi.Resource) -> NodeAddons:
    """The CNI with network policy enforcement, and the Pod Identity Agent; node groups depend on both.

    Both are DaemonSets that reach ACTIVE with no node yet, and nodes stay NotReady until the CNI runs: created
    after the nodes they would deadlock the node group's create (terraform-aws-modules/eks `before_compute = true`
    for exactly these two add-ons)."""
    opts = pulumi.ResourceOptions(parent=parent)
    cni = aws.eks.Addon(
        f"{name}-{spec.VPC_CNI}",
        cluster_name=cluster.name,
        addon_name=spec.VPC_CNI,
        addon_version=spec.ADDONS[spec.VPC_CNI].version,
        configuration_values=spec.VPC_CNI_CONFIGURATION,
        # EKS installs a self-managed vpc-cni with every cluster; the add-on takes it over.
        resolve_conflicts_on_create="OVERWRITE",
        opts=opts,
    )
    agent = aws.eks.Addon(
        f"{name}-{spec.POD_IDENTITY_AGENT}",
        cluster_name=cluster.name,
        addon_name=spec.POD_IDENTITY_AGENT,
        addon_version=spec.ADDONS[spec.POD_IDENTITY_AGENT].version,
        opts=opts,
    )
    return NodeAddons([cni, agent])


def after_nodes(
    name: str,
    cluster: aws.eks.Cluster,
    cache_storage: str,
    waits_for: list[pulumi.Resource],
    provider: k8s.Provider,
    parent: pulumi.Resource,
) -> tuple[k8s.storage.v1.StorageClass, aws.eks.Addon | None]:
    """The EBS CSI driver with its role, the cache's CSI driver, and the encrypted gp3 default StorageClass; returns
    the StorageClass and the cache's CSI add-on (what a pod mounting the cache waits for)."""
    opts = pulumi.ResourceOptions(parent=parent)
    after = pulumi.ResourceOptions(parent=parent, depends_on=waits_for)
    ebs_role = _pod_identity_role(f"{name}-ebs-csi", spec.EBS_CSI_POLICY_ARN, opts)
    ebs = aws.eks.Addon(
        f"{name}-{spec.EBS_CSI}",
        cluster_name=cluster.name,
        addon_name=spec.EBS_CSI,
        addon_version=spec.ADDONS[spec.EBS_CSI].version,
        pod_identity_associations=[
            aws.eks.AddonPodIdentityAssociationArgs(role_arn=ebs_role.arn, service_account=spec.EBS_CSI_SERVICE_ACCOUNT)
        ],
        opts=after,
    )
    cache_csi = None
    if cache_storage in spec.CACHE_ADDON:
        # The stack creates the file system itself (statically provisioned): the controller needs no IAM role.
        addon = spec.CACHE_ADDON[cache_storage]
        cache_csi = aws.eks.Addon(
            f"{name}-{addon}",
            cluster_name=cluster.name,
            addon_name=addon,
            addon_version=spec.ADDONS[addon].version,
            opts=after,
        )
    sc = spec.storage_class()
    storage_class = k8s.storage.v1.StorageClass(
        f"{name}-{spec.STORAGE_CLASS}",
        metadata=sc["metadata"],
        provisioner=sc["provisioner"],
        parameters=sc["parameters"],
        reclaim_policy=sc["reclaimPolicy"],
        volume_binding_mode=sc["volumeBindingMode"],
        allow_volume_expansion=sc["allowVolumeExpansion"],
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=[ebs]),
    )
    return storage_class, cache_csi
