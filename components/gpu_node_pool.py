"""GpuNodePool: GPU capacity with its fabric, or the scheduling facts of a pool that already exists."""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from config import catalog, versions
from config.schema import GpuPool
from specs import aws_specs, node_hardening
from specs.scheduling import GPU_NODE_LABELS, PoolScheduling


@dataclass(frozen=True)
class AwsPlacement:
    """Where on AWS the pool's nodes go: inputs from the cluster (Outputs)."""

    cluster_name: pulumi.Input[str]
    node_role_arn: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    cluster_security_group_id: pulumi.Input[str]
    node_prerequisites: list[pulumi.Resource] | None = None
    """What every node group waits for: its role's policies, the CNI and the Pod Identity Agent add-ons."""


@dataclass(frozen=True)
class GpuNodePoolArgs:
    pool: GpuPool
    scheduling: PoolScheduling
    aws: AwsPlacement | None
    """None on an existing cluster: the pool is described, not created."""
    after: Sequence[pulumi.Resource] = ()
    """What the node group waits for before it is created (just-in-time GPUs: the download's gate)."""


class GpuNodePool(pulumi.ComponentResource):
    scheduling: PoolScheduling
    """Labels, taints and fabric devices the workers must match."""
    node_group_name: pulumi.Output[str] | None
    """The EKS managed node group (None on an existing cluster)."""
    gpus: int
    """GPUs in the pool."""
    price_per_hour_usd: float
    """List price of the pool's instances per hour (0 where unknown)."""

    def __init__(self, name: str, args: GpuNodePoolArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dsr1:index:GpuNodePool", name, None, opts)
        pool = args.pool
        self.scheduling = args.scheduling
        self.gpus = pool.node_count * args.scheduling.gpus_per_node
        itype = catalog.INSTANCE_TYPES.get(pool.instance_type or "")
        self.price_per_hour_usd = pool.node_count * itype.price_per_hour_usd if itype else 0.0
        self.node_group_name = None
        if args.aws is not None:
            assert itype is not None, "rules.problems() requires an instance type on EKS"
            self.node_group_name = self._node_group(name, pool, itype, args.aws, args.after)
        self.register_outputs({"node_group_name": self.node_group_name, "gpus": self.gpus})

    def _node_group(
        self,
        name: str,
        pool: GpuPool,
        itype: catalog.InstanceType,
        where: AwsPlacement,
        after: Sequence[pulumi.Resource] = (),
    ) -> pulumi.Output[str]:
        child = pulumi.ResourceOptions(parent=self)
        fabric_sg = aws.ec2.SecurityGroup(
            f"{name}-efa-sg",
            vpc_id=where.vpc_id,
            description="EFA: all traffic to and from itself",
            ingress=[aws.ec2.SecurityGroupIngressArgs(protocol="-1", from_port=0, to_port=0, self=True)],
            egress=[
                aws.ec2.SecurityGroupEgressArgs(protocol="-1", from_port=0, to_port=0, self=True),
                aws.ec2.SecurityGroupEgressArgs(protocol="-1", from_port=0, to_port=0, cidr_blocks=["0.0.0.0/0"]),
            ],
            opts=child,
        )
        cap = pool.capacity
        reserved = cap.type != "on-demand"
        placement = None
        if not reserved:
            # Reserved capacity already has its own placement; a cluster group on top of it fails with
            # InsufficientInstanceCapacity (terraform-aws-modules/terraform-aws-eks#3730).
            group = aws.ec2.PlacementGroup(f"{name}-placement", strategy="cluster", opts=child)
            placement = aws.ec2.LaunchTemplatePlacementArgs(group_name=group.name)
        template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            network_interfaces=aws_specs.efa_network_interfaces(
                itype.network_interfaces, [fabric_sg.id, where.cluster_security_group_id]
            ),
            metadata_options=node_hardening.metadata_options(),
            block_device_mappings=node_hardening.encrypted_root(
                itype.root_volume_gib, aws_specs.root_volume_type(cap.availability_zone)
            ),
            placement=placement,
            capacity_reservation_specification=(
                aws.ec2.LaunchTemplateCapacityReservationSpecificationArgs(
                    capacity_reservation_target=aws.ec2.LaunchTemplateCapacityReservationSpecificationCapacityReservationTargetArgs(
                        capacity_reservation_id=cap.id
                    )
                )
                if reserved
                else None
            ),
            # EKS "Create a managed node group with Capacity Blocks": the launch template names the instance type
            # (with market type capacity-block and the reservation), and the node group then names none.
            instance_type=itype.name if cap.type == "capacity-block" else None,
            instance_market_options=(
                aws.ec2.LaunchTemplateInstanceMarketOptionsArgs(market_type="capacity-block")
                if cap.type == "capacity-block"
                else None
            ),
            update_default_version=True,
            opts=child,
        )
        node_group = aws.eks.NodeGroup(
            f"{name}-nodes",
            cluster_name=where.cluster_name,
            node_role_arn=where.node_role_arn,
            subnet_ids=[where.subnet_id],
            instance_types=None if cap.type == "capacity-block" else [itype.name],
            ami_type=itype.eks_ami_type,
            release_version=versions.EKS_NODE_RELEASE_VERSION,
            capacity_type="CAPACITY_BLOCK" if cap.type == "capacity-block" else "ON_DEMAND",
            scaling_config=aws_specs.gpu_scaling(pool.node_count, pool.scale_to_zero),
            # nvidia.com/gpu.present is what the NVIDIA device plugin's default affinity selects.
            labels={**self.scheduling.labels, **GPU_NODE_LABELS},
            taints=aws_specs.eks_taints(self.scheduling.taints),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            # p5en nodes take 15-30 minutes to boot, run their health checks and join.
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*(where.node_prerequisites or []), *after],
                custom_timeouts=pulumi.CustomTimeouts(create="60m", update="60m"),
                ignore_changes=aws_specs.held_node_group_fields(reserved, pool.scale_to_zero),
            ),
        )
        name_out: pulumi.Output[str] = node_group.node_group_name
        return name_out
