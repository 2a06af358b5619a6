"""ModelCache: shared storage for the weights, made to outlive any serving deployment."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import cache_spec
from components.config import ModelCacheSpec


@dataclass(frozen=True)
class FsxPlacement:
    vpc_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    client_security_group_id: pulumi.Input[str]
    """The nodes' security group: Lustre traffic is allowed from it."""


@dataclass(frozen=True)
class ModelCacheArgs:
    spec: ModelCacheSpec
    claim_name: str
    namespace: pulumi.Input[str]
    fsx: FsxPlacement | None
    """Required for storage fsx-lustre."""


class ModelCache(pulumi.ComponentResource):
    claim_name: pulumi.Output[str]
    """Name of the ReadWriteMany claim; depending on it orders readers after the cache."""
    storage_class: str | None
    """StorageClass of the claim (None: the cluster's default)."""

    def __init__(self, name: str, args: ModelCacheArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dsr1:index:ModelCache", name, None, opts)
        spec = args.spec
        depends: list[pulumi.Resource] = []
        if spec.storage == "fsx-lustre":
            assert args.fsx is not None, "fsx-lustre needs an FsxPlacement"
            self.storage_class = f"{name}-fsx"
            depends.append(self._fsx_class(name, self.storage_class, args.fsx, spec.fsx_throughput_per_tib))
        else:
            self.storage_class = spec.storage_class
        manifest = cache_spec.cache_claim(args.claim_name, args.namespace, spec.size_gib, self.storage_class)
        claim = k8s.core.v1.PersistentVolumeClaim(
            f"{name}-claim",
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=depends,
                # The weights take hours to download: `pulumi destroy` of a serving stack must not delete them.
                # The StorageClass's Retain policy keeps the file system even if the claim is deleted by hand.
                retain_on_delete=True,
                # FSx creates the file system while the claim binds: 5-15 minutes.
                custom_timeouts=pulumi.CustomTimeouts(create="30m"),
            ),
        )
        self.claim_name = claim.metadata.name
        self.register_outputs({"claim_name": self.claim_name, "storage_class": self.storage_class})

    def _fsx_class(self, name: str, class_name: str, fsx: FsxPlacement, throughput: int) -> k8s.storage.v1.StorageClass:
        lustre = aws.ec2.SecurityGroup(
            f"{name}-lustre-sg",
            vpc_id=fsx.vpc_id,
            description="FSx for Lustre: Lustre traffic from the cluster's nodes and between file servers",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp", from_port=lo, to_port=hi, security_groups=[fsx.client_security_group_id]
                )
                for lo, hi in cache_spec.LUSTRE_PORTS
            ]
            + [
                aws.ec2.SecurityGroupIngressArgs(protocol="tcp", from_port=lo, to_port=hi, self=True)
                for lo, hi in cache_spec.LUSTRE_PORTS
            ],
            egress=[aws.ec2.SecurityGroupEgressArgs(protocol="-1", from_port=0, to_port=0, cidr_blocks=["0.0.0.0/0"])],
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),  # the file system keeps using it
        )
        manifest = cache_spec.fsx_storage_class(class_name, fsx.subnet_id, lustre.id, throughput)
        return k8s.storage.v1.StorageClass(
            f"{name}-storage-class",
            metadata=manifest["metadata"],
            provisioner=manifest["provisioner"],
            reclaim_policy=manifest["reclaimPolicy"],
            volume_binding_mode=manifest["volumeBindingMode"],
            parameters=manifest["parameters"],
            mount_options=manifest["mountOptions"],
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),  # volumes provisioned from it refer to it
        )
