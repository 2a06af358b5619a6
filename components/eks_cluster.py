"""EksCluster: the VPC, the EKS control plane, a CPU system node group, device plugins and the Kubernetes provider."""

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import helm
from config import versions
from config.schema import EksTarget
from specs import aws_specs
from specs.scheduling import GPU_NODE_LABELS, GPU_TAINT, SYSTEM_LABELS

CSI_ADDONS = {
    "fsx-lustre": ("aws-fsx-csi-driver", "FSX_CSI_ADDON_VERSION"),
    "efs": ("aws-efs-csi-driver", "EFS_CSI_ADDON_VERSION"),
}
"""The CSI driver that mounts each file system the stack can own."""


NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly")


def _assume_role(service: str, actions: tuple[str, ...]) -> str:
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": list(actions)}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _service_role(
    name: str,
    service: str,
    managed_policies: tuple[str, ...],
    opts: pulumi.ResourceOptions,
    actions: tuple[str, ...] = ("sts:AssumeRole",),
) -> tuple[aws.iam.Role, list[aws.iam.RolePolicyAttachment]]:
    """An IAM role a service assumes, with AWS-managed policies attached."""
    role = aws.iam.Role(f"{name}-role", assume_role_policy=_assume_role(service, actions), opts=opts)
    attachments = [
        aws.iam.RolePolicyAttachment(
            f"{name}-{policy}", role=role.name, policy_arn=f"arn:aws:iam::aws:policy/{policy}", opts=opts
        )
        for policy in managed_policies
    ]
    return role, attachments


@dataclass(frozen=True)
class EksClusterArgs:
    target: EksTarget
    region: str
    cache_storage: str
    """The model cache's storage: fsx-lustre and efs get their CSI driver."""
    dra_driver: bool = False
    """Install NVIDIA's DRA driver for ComputeDomains (GB200's IMEX channels)."""
    gpu_subnet_index: int = 0
    """Which private subnet (zone) holds the GPU nodes, the system nodes and the cache: the reserved capacity's."""


class EksCluster(pulumi.ComponentResource):
    """Everything a GPU pool and the serving graph need from AWS before either exists."""

    name_prefix: str
    """The cluster's configured name: a prefix for what else the stack names on AWS."""
    cluster_name: pulumi.Output[str]
    """Name of the EKS cluster."""
    kubeconfig: pulumi.Output[str]
    """Kubeconfig of the cluster (a secret)."""
    provider: k8s.Provider
    """Kubernetes provider for the cluster; usable once the system nodes have joined."""
    node_role_arn: pulumi.Output[str]
    """IAM role of every node group."""
    vpc_id: pulumi.Output[str]
    """The VPC."""
    private_subnet_ids: list[pulumi.Output[str]]
    """Private subnets, one per zone (EFS mount targets go in each)."""
    gpu_subnet_id: pulumi.Output[str]
    """Private subnet in the GPU zone: GPU nodes, system nodes and the cache share it."""
    cluster_security_group_id: pulumi.Output[str]
    """The security group EKS attaches to the control plane and managed nodes."""
    private_subnet_cidrs: list[pulumi.Input[str]]
    """Address ranges of the private subnets, where every node (and, with the VPC CNI, every pod) lives: what the
    cache admits, known without waiting for the cluster (its security group exists only once EKS made it)."""

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dsr1:index:EksCluster", name, None, opts)
        t = args.target
        child = pulumi.ResourceOptions(parent=self)
        vpc_id, private_subnet_ids = self._network(name, t, child)
        gpu_subnet = private_subnet_ids[args.gpu_subnet_index]

        cluster_role, cluster_policies = _service_role(
            f"{name}-cluster", "eks.amazonaws.com", ("AmazonEKSClusterPolicy",), child
        )
        cluster = aws.eks.Cluster(
            f"{name}-eks",
            name=t.cluster_name,
            version=t.kubernetes_version,
            role_arn=cluster_role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(subnet_ids=private_subnet_ids),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API", bootstrap_cluster_creator_admin_permissions=True
            ),
            # The role's policy must exist while EKS creates (and deletes) the control plane.
            opts=pulumi.ResourceOptions(parent=self, depends_on=cluster_policies),
        )

        node_role, node_policies = _service_role(f"{name}-node", "ec2.amazonaws.com", NODE_POLICIES, child)
        system_nodes = aws.eks.NodeGroup(
            f"{name}-system-nodes",
            cluster_name=cluster.name,
            node_role_arn=node_role.arn,
            # The zone of the GPU pool: the control plane, NATS and the cache talk to GPU nodes without crossing zones.
            subnet_ids=[gpu_subnet],
            instance_types=[t.system_nodes.instance_type],
            ami_type="AL2023_x86_64_STANDARD",
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                desired_size=t.system_nodes.count, min_size=t.system_nodes.count, max_size=t.system_nodes.count
            ),
            labels=SYSTEM_LABELS,
            # Nodes cannot join before their role can pull images and run the CNI.
            opts=pulumi.ResourceOptions(parent=self, depends_on=node_policies),
        )
        if args.cache_storage in CSI_ADDONS:
            self._csi_driver(name, cluster, args.cache_storage)

        self.name_prefix = t.cluster_name
        self.cluster_name = cluster.name
        self.node_role_arn = node_role.arn
        self.vpc_id = pulumi.Output.from_input(vpc_id)
        self.gpu_subnet_id = pulumi.Output.from_input(gpu_subnet)
        self.private_subnet_ids = [pulumi.Output.from_input(sid) for sid in private_subnet_ids]
        self.private_subnet_cidrs = (
            [aws.ec2.get_subnet_output(id=s, region=args.region).cidr_block for s in t.network.private_subnet_ids]
            if t.network is not None
            else [plan.private_cidr for plan in aws_specs.subnet_plan(t.vpc_cidr, t.availability_zones or [])]
        )
        self.cluster_security_group_id = cluster.vpc_config.cluster_security_group_id
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(cluster.name, cluster.endpoint, cluster.certificate_authority.data).apply(
                lambda v: aws_specs.kubeconfig(v[0], v[1], v[2], args.region)
            )
        )
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            # Helm releases and Jobs wait for running pods, which need schedulable nodes.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[system_nodes]),
        )
        self._device_plugins(name, args.dra_driver)
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "kubeconfig": self.kubeconfig,
                "vpc_id": self.vpc_id,
                "gpu_subnet_id": self.gpu_subnet_id,
            }
        )

    def _network(
        self, name: str, t: EksTarget, child: pulumi.ResourceOptions
    ) -> tuple[pulumi.Input[str], list[pulumi.Input[str]]]:
        """The given VPC and subnets, or a new VPC with a public and a private subnet per zone and one NAT gateway
        (nodes pull images through it)."""
        if t.network is not None:
            return t.network.vpc_id, list(t.network.private_subnet_ids)
        assert t.availability_zones is not None, "rules.problems() requires zones or a network"
        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=t.vpc_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": t.cluster_name},
            opts=child,
        )
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, opts=child)
        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
            opts=child,
        )
        public, private = [], []
        plans = aws_specs.subnet_plan(t.vpc_cidr, t.availability_zones)
        for plan in plans:
            pub = aws.ec2.Subnet(
                f"{name}-public-{plan.zone}",
                vpc_id=vpc.id,
                cidr_block=plan.public_cidr,
                availability_zone=plan.zone,
                map_public_ip_on_launch=True,
                tags={"kubernetes.io/role/elb": "1"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{plan.zone}", subnet_id=pub.id, route_table_id=public_rt.id, opts=child
            )
            public.append(pub)
            private.append(
                aws.ec2.Subnet(
                    f"{name}-private-{plan.zone}",
                    vpc_id=vpc.id,
                    cidr_block=plan.private_cidr,
                    availability_zone=plan.zone,
                    tags={"kubernetes.io/role/internal-elb": "1"},
                    opts=child,
                )
            )
        eip = aws.ec2.Eip(f"{name}-nat-ip", domain="vpc", opts=child)
        nat = aws.ec2.NatGateway(f"{name}-nat", subnet_id=public[0].id, allocation_id=eip.id, opts=child)
        private_rt = aws.ec2.RouteTable(
            f"{name}-private-rt",
            vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)],
            opts=child,
        )
        for plan, sub in zip(plans, private, strict=True):
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{plan.zone}", subnet_id=sub.id, route_table_id=private_rt.id, opts=child
            )
        return vpc.id, [s.id for s in private]

    def _csi_driver(self, name: str, cluster: aws.eks.Cluster, storage: str) -> None:
        """The CSI driver as an EKS add-on, for its node plugin only: the stack creates the file system itself
        (statically provisioned), so the controller needs no IAM role and no AWS permissions at all."""
        addon, version = CSI_ADDONS[storage]
        aws.eks.Addon(
            f"{name}-{addon}",
            cluster_name=cluster.name,
            addon_name=addon,
            addon_version=getattr(versions, version),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _device_plugins(self, name: str, dra_driver: bool) -> None:
        """NVIDIA and EFA device plugins: the EKS GPU AMIs carry drivers, not the plugins that advertise devices.

        Both run on the GPU nodes only (nodeSelector), tolerating the GPU taint."""
        gpu_toleration = {"key": GPU_TAINT.key, "operator": "Exists", "effect": GPU_TAINT.effect}
        on_cluster = pulumi.ResourceOptions(parent=self, provider=self.provider)
        helm.pinned_release(
            f"{name}-nvidia-device-plugin",
            versions.NVIDIA_DEVICE_PLUGIN,
            "kube-system",
            {
                "nodeSelector": dict(GPU_NODE_LABELS),
                "tolerations": [gpu_toleration, {"key": "CriticalAddonsOnly", "operator": "Exists"}],
            },
            on_cluster,
        )
        helm.pinned_release(
            f"{name}-efa-device-plugin",
            versions.EFA_DEVICE_PLUGIN,
            "kube-system",
            {"nodeSelector": dict(GPU_NODE_LABELS), "tolerations": [gpu_toleration]},
            on_cluster,
        )
        if dra_driver:
            # Values from the EKS GB200 guide: ComputeDomains only (the device plugin allocates GPUs); the
            # controller runs anywhere (EKS has no control-plane nodes), the kubelet plugin on GPU nodes.
            gpu_nodes = [{"key": k, "operator": "In", "values": [v]} for k, v in GPU_NODE_LABELS.items()]
            dra_values = {
                "resources": {"gpus": {"enabled": False}, "computeDomains": {"enabled": True}},
                "controller": {"nodeSelector": None, "affinity": None, "tolerations": []},
                "kubeletPlugin": {
                    "affinity": {
                        "nodeAffinity": {
                            "requiredDuringSchedulingIgnoredDuringExecution": {
                                "nodeSelectorTerms": [{"matchExpressions": gpu_nodes}]
                            }
                        }
                    },
                    "tolerations": [gpu_toleration],
                },
            }
            helm.pinned_release(
                f"{name}-dra-driver",
                versions.NVIDIA_DRA_DRIVER,
                "nvidia-dra-driver-gpu",
                dra_values,
                on_cluster,
                create_namespace=True,
            )
