"""ModelCache: shared storage for the weights, made to outlive any serving deployment.

On EKS the stack owns the file system (FSx for Lustre, or EFS) as a Pulumi resource: protected from replacement,
retained on destroy, sized for the read time the stack asks for, and optionally linked to S3 so that a new cluster
or region fills its cache from S3 instead of the Hub. On an existing cluster a StorageClass provisions the volume.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from config.schema import S3Staging
from specs import cache_spec
from specs.cache_sizing import CachePlan


@dataclass(frozen=True)
class AwsStorage:
    """Where on AWS the file system goes: inputs from the cluster (Outputs)."""

    name: str
    """Prefix for AWS names (the cluster's)."""
    vpc_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    """The home subnet (the GPU zone's, or the Region zone nearest a Local Zone pool: FSx lives in Region zones)."""
    all_subnet_ids: Sequence[pulumi.Input[str]]
    """EFS mount targets go in every zone."""
    client_cidr_blocks: Sequence[pulumi.Input[str]]
    """The nodes' subnets: file-system traffic is allowed from them. Address ranges rather than the cluster's security
    group, which exists only once EKS has made the control plane: the file system need not wait ~10 minutes for it."""


@dataclass(frozen=True)
class ModelCacheArgs:
    plan: CachePlan
    claim_name: str
    namespace: pulumi.Input[str]
    storage_class: str | None = None
    """For storage-class: the class (None: the cluster's default)."""
    aws: AwsStorage | None = None
    """Required for fsx-lustre and efs."""
    s3_staging: S3Staging | None = None
    deletable: bool = False
    """modelCache.deletable: nothing protected or retained, so a destroy deletes the cache (and staged weights)."""


class ModelCache(pulumi.ComponentResource):
    claim_name: pulumi.Output[str]
    """Name of the ReadWriteMany claim; depending on it orders readers after the cache."""
    file_system_id: pulumi.Output[str] | None
    """The FSx or EFS file system (None for a StorageClass volume)."""
    staging_bucket: pulumi.Output[str] | None
    """The S3 bucket the FSx file system is linked to, if any."""

    def __init__(self, name: str, args: ModelCacheArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dsr1:index:ModelCache", name, None, opts)
        self._retain = not args.deletable
        plan = args.plan
        self.file_system_id = self.staging_bucket = None
        volume_name: pulumi.Output[str] | None = None
        if plan.storage in ("fsx-lustre", "efs"):
            assert args.aws is not None, f"{plan.storage} needs AwsStorage"
            handle, attributes, ready = (
                self._fsx(name, args.aws, plan, args.s3_staging)
                if plan.storage == "fsx-lustre"
                else self._efs(name, args.aws)
            )
            pv = cache_spec.static_volume(f"{args.claim_name}-volume", plan.storage, plan.size_gib, handle, attributes)
            volume = k8s.core.v1.PersistentVolume(
                f"{name}-volume",
                metadata=pv["metadata"],
                spec=pv["spec"],
                # Readers mount it at once: EFS needs its mount targets, and files the download writes before the
                # S3 link exists would never be exported. The volume outlives the claim's deletion (Retain).
                opts=pulumi.ResourceOptions(parent=self, depends_on=ready, retain_on_delete=self._retain),
            )
            volume_name = volume.metadata.name
        manifest = cache_spec.cache_claim(
            args.claim_name, args.namespace, plan.size_gib, args.storage_class, volume_name
        )
        claim = k8s.core.v1.PersistentVolumeClaim(
            f"{name}-claim",
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=pulumi.ResourceOptions(
                parent=self,
                # The weights take hours to download: `pulumi destroy` of a serving stack must not delete them.
                retain_on_delete=self._retain,
                # A StorageClass may create the file system while the claim binds (FSx: 5-15 minutes).
                custom_timeouts=pulumi.CustomTimeouts(create="30m"),
            ),
        )
        self.claim_name = claim.metadata.name
        self.register_outputs({"claim_name": self.claim_name, "file_system_id": self.file_system_id})

    def _keep(self, custom_timeouts: pulumi.CustomTimeouts | None = None) -> pulumi.ResourceOptions:
        """Losing the cache costs hours of download: file systems, their security groups and the staging bucket are
        protected (`pulumi destroy --exclude-protected` keeps them) and retained if removed from the program; unless
        the stack says the cache is deletable. Changing `protect` and `retainOnDelete` takes a `pulumi up`, which
        updates them in the state ("Set protect: false and then run pulumi up", pulumi.com/docs/concepts/options/
        protect)."""
        return pulumi.ResourceOptions(
            parent=self, protect=self._retain, retain_on_delete=self._retain, custom_timeouts=custom_timeouts
        )

    def _security_group(
        self, name: str, where: AwsStorage, ports: tuple[tuple[int, int], ...], what: str
    ) -> aws.ec2.SecurityGroup:
        return aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=where.vpc_id,
            # EC2 CreateSecurityGroup: up to 255 of a-zA-Z0-9, spaces and ._-:/()#,@[]+=&;{}!$* (no apostrophes).
            description=f"{what}: traffic from the cluster nodes and between the file system servers",
            # FSx for Lustre guide, "File system access control with Amazon VPC": inbound TCP 988 and 1018-1023 from
            # the clients (a security group or CIDR ranges) and from the file system's own security group.
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp", from_port=lo, to_port=hi, cidr_blocks=list(where.client_cidr_blocks)
                )
                for lo, hi in ports
            ]
            + [
                aws.ec2.SecurityGroupIngressArgs(protocol="tcp", from_port=lo, to_port=hi, self=True)
                for lo, hi in ports
            ],
            egress=[aws.ec2.SecurityGroupEgressArgs(protocol="-1", from_port=0, to_port=0, cidr_blocks=["0.0.0.0/0"])],
            opts=self._keep(),  # the file system keeps using it
        )

    def _fsx(
        self, name: str, where: AwsStorage, plan: CachePlan, staging: S3Staging | None
    ) -> tuple[pulumi.Output[str], dict[str, pulumi.Input[str]], list[pulumi.Resource]]:
        sg = self._security_group(name, where, cache_spec.LUSTRE_PORTS, "FSx for Lustre")
        fs = aws.fsx.LustreFileSystem(
            f"{name}-fsx",
            storage_capacity=plan.size_gib,
            subnet_ids=where.subnet_id,  # Lustre lives in one subnet (one zone)
            security_group_ids=[sg.id],
            # PERSISTENT_2: SCRATCH loses data when a server fails; throughput scales with size (see cache_sizing).
            deployment_type="PERSISTENT_2",
            per_unit_storage_throughput=plan.throughput_per_tib,
            file_system_type_version="2.15",
            data_compression_type="NONE",  # safetensors do not compress; LZ4 would only cost CPU on every read
            tags={"Name": f"{where.name}-model-cache"},
            opts=self._keep(custom_timeouts=pulumi.CustomTimeouts(create="45m")),  # FSx takes 10-20 min to create
        )
        self.file_system_id = fs.id
        ready = [self._s3_link(name, where, fs, staging)] if staging is not None else []
        return fs.id, {"dnsname": fs.dns_name, "mountname": fs.mount_name}, ready

    def _s3_link(
        self, name: str, where: AwsStorage, fs: aws.fsx.LustreFileSystem, staging: S3Staging
    ) -> aws.fsx.DataRepositoryAssociation:
        """Auto-export pushes every downloaded file to S3; auto-import (and the import on creation) lets a new file
        system in another cluster or region see them at once, loading contents lazily from S3."""
        bucket_name: pulumi.Input[str]
        if staging.bucket is None:
            bucket = aws.s3.Bucket(
                f"{name}-staging",
                bucket_prefix=f"{where.name}-weights-",
                force_destroy=not self._retain,  # deletable: the destroy empties it (the weights go too)
                opts=self._keep(),
            )
            aws.s3.BucketPublicAccessBlock(
                f"{name}-staging-private",
                bucket=bucket.id,
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
                opts=pulumi.ResourceOptions(parent=self),
            )
            bucket_name = bucket.bucket
        else:
            bucket_name = staging.bucket
        self.staging_bucket = pulumi.Output.from_input(bucket_name)
        events = ["NEW", "CHANGED", "DELETED"]
        return aws.fsx.DataRepositoryAssociation(
            f"{name}-s3-link",
            file_system_id=fs.id,
            file_system_path="/models",
            data_repository_path=pulumi.Output.concat("s3://", bucket_name, f"/{staging.prefix}"),
            batch_import_meta_data_on_create=True,
            s3=aws.fsx.DataRepositoryAssociationS3Args(
                auto_export_policy=aws.fsx.DataRepositoryAssociationS3AutoExportPolicyArgs(events=events),
                auto_import_policy=aws.fsx.DataRepositoryAssociationS3AutoImportPolicyArgs(events=events),
            ),
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=self._retain),
        )

    def _efs(
        self, name: str, where: AwsStorage
    ) -> tuple[pulumi.Output[str], dict[str, pulumi.Input[str]], list[pulumi.Resource]]:
        sg = self._security_group(name, where, ((cache_spec.NFS_PORT, cache_spec.NFS_PORT),), "EFS")
        fs = aws.efs.FileSystem(
            f"{name}-efs",
            encrypted=True,
            throughput_mode="elastic",  # bursting credits run out during a 690 GB read
            tags={"Name": f"{where.name}-model-cache"},
            opts=self._keep(),
        )
        targets: list[pulumi.Resource] = [
            aws.efs.MountTarget(
                f"{name}-efs-{i}",
                file_system_id=fs.id,
                subnet_id=subnet,
                security_groups=[sg.id],
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=self._retain),
            )
            for i, subnet in enumerate(where.all_subnet_ids)
        ]
        self.file_system_id = fs.id
        return fs.id, {}, targets
