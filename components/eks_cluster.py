"""EksCluster: the VPC, the EKS control plane, a CPU system node group, device plugins and the Kubernetes provider."""

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import eks_addons, helm
from config import versions
from config.schema import EksTarget
from specs import aws_specs, download_node, node_hardening
from specs.scheduling import GPU_NODE_LABELS, GPU_TAINT, SYSTEM_LABELS

CONTROL_PLANE_LOGS = ("api", "audit", "authenticator")
"""Who called the API and what they did, and who authenticated as whom (EKS control plane logging)."""
LOG_RETENTION_DAYS = 90
CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
"""EKS access policy for cluster-wide admin (EKS user guide, "Associate access policies with access entries")."""
KEY_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey")
"""What the cluster role needs on the secrets key (the actions terraform-aws-modules/eks grants it). (check)"""


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
    """Which private subnet (zone) holds the system nodes and the cache, and the GPU nodes unless `local_zone`."""
    gpu_plugins: bool = True
    """Install the GPU nodes' device plugins (and DRA driver); off while a Capacity Block has not started: there are
    no GPU nodes for them yet, and the `pulumi up` after the start adds them with the node group."""
    local_zone: str | None = None
    """A Local Zone for the GPU nodes (GB200 UltraServer blocks live in us-east-1-dfw-2a): it gets its own private
    subnet, kept out of the control plane's subnets (EKS "Local Zones": EKS cannot place its network interfaces in
    Local Zone subnets), routed through the Region's NAT gateway."""


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
    """Private subnet of the GPU nodes: the home subnet, or the Local Zone's."""
    home_subnet_id: pulumi.Output[str]
    """Private subnet in a Region zone for the system nodes and the cache (FSx lives in Region zones); the GPU
    zone's unless the GPUs are in a Local Zone, so control plane, NATS, cache and GPUs talk without crossing zones."""
    cluster_security_group_id: pulumi.Output[str]
    """The security group EKS attaches to the control plane and managed nodes."""
    private_subnet_cidrs: list[pulumi.Input[str]]
    """Address ranges of the private subnets, the Local Zone's included, where every node (and, with the VPC CNI,
    every pod) lives: what the cache admits, known without waiting for the cluster (its security group exists only
    once EKS made it)."""

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dsr1:index:EksCluster", name, None, opts)
        t = args.target
        child = pulumi.ResourceOptions(parent=self)
        vpc_id, private_subnet_ids, local_subnet = self._network(name, t, args.local_zone, child)
        home_subnet = private_subnet_ids[args.gpu_subnet_index]
        gpu_subnet = local_subnet if local_subnet is not None else home_subnet

        cluster_role, cluster_policies = _service_role(
            f"{name}-cluster", "eks.amazonaws.com", ("AmazonEKSClusterPolicy",), child
        )
        secrets_key, key_grant = self._secrets_key(name, cluster_role)
        log_group = self._control_plane_log_group(name, t.cluster_name)
        access = t.endpoint_access
        cluster = aws.eks.Cluster(
            f"{name}-eks",
            name=t.cluster_name,
            version=t.kubernetes_version,
            role_arn=cluster_role.arn,
            # Region zones only: a Local Zone subnet here fails the create (EKS "Local Zones").
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=private_subnet_ids,
                endpoint_private_access=access.private,
                endpoint_public_access=access.public,
                public_access_cidrs=[str(c) for c in access.public_cidrs] if access.public else None,
            ),
            # API mode: access entries only (no aws-auth ConfigMap); managed node groups get theirs from EKS.
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API", bootstrap_cluster_creator_admin_permissions=True
            ),
            enabled_cluster_log_types=list(CONTROL_PLANE_LOGS),
            # Secrets (the Hugging Face token) envelope-encrypted with the stack's key, on top of EKS's default
            # encryption with an AWS-owned key (EKS user guide, "Default envelope encryption").
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=secrets_key.arn), resources=["secrets"]
            ),
            # The role's policies (and its use of the key) must exist while EKS creates (and deletes) the control
            # plane; the log group first, so EKS does not create it without a retention.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*cluster_policies, key_grant, log_group]),
        )
        self._access_entries(name, cluster, t.cluster_admins)

        node_role, node_policies = _service_role(f"{name}-node", "ec2.amazonaws.com", NODE_POLICIES, child)
        # The CNI (network policy on) and the Pod Identity Agent are DaemonSets the nodes need as they join.
        node_addons = eks_addons.before_nodes(name, cluster, self)
        self.node_prerequisites: list[pulumi.Resource] = [*node_policies, *node_addons.before_nodes]
        system_template = self._system_launch_template(name)
        system_nodes = aws.eks.NodeGroup(
            f"{name}-system-nodes",
            cluster_name=cluster.name,
            node_role_arn=node_role.arn,
            # The home zone: the GPU pool's, or the Region zone nearest a Local Zone pool.
            subnet_ids=[home_subnet],
            instance_types=[t.system_nodes.instance_type],
            ami_type="AL2023_x86_64_STANDARD",
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                desired_size=t.system_nodes.count, min_size=t.system_nodes.count, max_size=t.system_nodes.count
            ),
            labels=SYSTEM_LABELS,
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=system_template.id, version=system_template.latest_version.apply(str)
            ),
            # Nodes cannot join before their role can pull images and run the CNI.
            opts=pulumi.ResourceOptions(parent=self, depends_on=self.node_prerequisites),
        )

        self.download_node_group = self._download_nodes(name, t, cluster, node_role, home_subnet, system_template)
        self.name_prefix = t.cluster_name
        self.region = args.region
        self.cluster_name = cluster.name
        self.node_role_arn = node_role.arn
        self.vpc_id = pulumi.Output.from_input(vpc_id)
        self.gpu_subnet_id = pulumi.Output.from_input(gpu_subnet)
        self.home_subnet_id = pulumi.Output.from_input(home_subnet)
        self.private_subnet_ids = [pulumi.Output.from_input(sid) for sid in private_subnet_ids]
        self.private_subnet_cidrs = (
            [aws.ec2.get_subnet_output(id=s, region=args.region).cidr_block for s in t.network.private_subnet_ids]
            if t.network is not None
            else [plan.private_cidr for plan in aws_specs.subnet_plan(t.vpc_cidr, t.availability_zones or [])]
        )
        if local_subnet is not None:
            # The GPU nodes in the Local Zone mount the cache too (offline/checks/cache_reach.py proves it): a Local
            # Zone subnet routes like any subnet of the VPC (Local Zones user guide, "How AWS Local Zones work");
            # FSx's guide names no Local Zone clients either way (check).
            self.private_subnet_cidrs.append(aws_specs.local_zone_cidr(t.vpc_cidr, t.availability_zones or []))
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
        # Add-ons with controllers become ACTIVE only once the system nodes run them; the agent must be there first.
        _, self.cache_csi = eks_addons.after_nodes(
            name, cluster, args.cache_storage, [system_nodes, *node_addons.before_nodes], self.provider, self
        )
        if args.gpu_plugins:
            self._device_plugins(name, args.dra_driver)
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "kubeconfig": self.kubeconfig,
                "vpc_id": self.vpc_id,
                "gpu_subnet_id": self.gpu_subnet_id,
            }
        )

    def _secrets_key(self, name: str, cluster_role: aws.iam.Role) -> tuple[aws.kms.Key, aws.iam.RolePolicy]:
        """The stack's own key for Secrets, and the cluster role's right to use it.

        Not retained: it encrypts only this cluster's Secrets, so it goes with the cluster on `destroy`. KMS never
        deletes a key at once: the 30-day deletion window below lets `aws kms cancel-key-deletion` undo a mistake
        (KMS "Deleting AWS KMS keys"), which is the safety a retained key would give, without an orphan to pay for."""
        key = aws.kms.Key(
            f"{name}-secrets-key",
            description=f"{name}: envelope encryption of Kubernetes Secrets",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            opts=pulumi.ResourceOptions(parent=self),
        )
        grant = aws.iam.RolePolicy(
            f"{name}-cluster-secrets-key",
            role=cluster_role.id,
            policy=key.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": list(KEY_ACTIONS), "Resource": arn}],
                    }
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return key, grant

    def _control_plane_log_group(self, name: str, cluster_name: str) -> aws.cloudwatch.LogGroup:
        """The group EKS writes control-plane logs to, created first with a retention (EKS's own never expires)."""
        return aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs",
            name=f"/aws/eks/{cluster_name}/cluster",
            retention_in_days=LOG_RETENTION_DAYS,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _access_entries(self, name: str, cluster: aws.eks.Cluster, admins: list[str]) -> None:
        """Cluster admins from config: each principal gets an access entry and the cluster admin policy."""
        for i, arn in enumerate(admins):
            entry = aws.eks.AccessEntry(
                f"{name}-admin-{i}",
                cluster_name=cluster.name,
                principal_arn=arn,
                type="STANDARD",
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.eks.AccessPolicyAssociation(
                f"{name}-admin-{i}",
                cluster_name=cluster.name,
                principal_arn=entry.principal_arn,
                policy_arn=CLUSTER_ADMIN_POLICY,
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _download_nodes(
        self,
        name: str,
        t: EksTarget,
        cluster: aws.eks.Cluster,
        node_role: aws.iam.Role,
        subnet: pulumi.Input[str],
        template: aws.ec2.LaunchTemplate,
    ) -> aws.eks.NodeGroup | None:
        """One network-optimized node for the download (specs/download_node.py), tainted so only it lands there.

        The download Job prefers it and falls back to a system node; after the download the node only costs money:
        `downloadNodeScaleDown` (a stack output) sets it to 0, and `pulumi up` leaves that size alone."""
        if not t.download_node.enabled:
            return None
        return aws.eks.NodeGroup(
            f"{name}-download-nodes",
            cluster_name=cluster.name,
            node_role_arn=node_role.arn,
            subnet_ids=[subnet],  # the cache's zone (the home zone): no cross-zone traffic for the writes
            instance_types=[t.download_node.instance_type],
            ami_type="AL2023_x86_64_STANDARD",
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(desired_size=1, min_size=0, max_size=1),
            labels=download_node.LABELS,
            taints=[
                aws.eks.NodeGroupTaintArgs(
                    key=download_node.TAINT["key"], value=download_node.TAINT["value"], effect="NO_SCHEDULE"
                )
            ],
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            # Scaled to 0 by hand after the download: a later `up` must not bring the node back.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=self.node_prerequisites, ignore_changes=["scalingConfig.desiredSize"]
            ),
        )

    def _system_launch_template(self, name: str) -> aws.ec2.LaunchTemplate:
        """IMDSv2 for the node only and an encrypted gp3 root: what the node group's defaults leave open."""
        return aws.ec2.LaunchTemplate(
            f"{name}-system-lt",
            metadata_options=node_hardening.metadata_options(),
            block_device_mappings=node_hardening.encrypted_root(node_hardening.SYSTEM_ROOT_VOLUME_GIB),
            update_default_version=True,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _network(
        self, name: str, t: EksTarget, local_zone: str | None, child: pulumi.ResourceOptions
    ) -> tuple[pulumi.Input[str], list[pulumi.Input[str]], pulumi.Input[str] | None]:
        """The given VPC and subnets, or a new VPC with a public and a private subnet per zone and one NAT gateway
        (nodes pull images through it), plus a private subnet in the Local Zone if any."""
        if t.network is not None:
            return t.network.vpc_id, list(t.network.private_subnet_ids), None
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
        local_subnet = None
        if local_zone is not None:
            # Egress from a Local Zone private subnet through the NAT gateway in the Region (the Local Zone's route
            # table may point at a Region NAT gateway; kubernetes-sigs/cluster-api-provider-aws#4885).
            local = aws.ec2.Subnet(
                f"{name}-private-{local_zone}",
                vpc_id=vpc.id,
                cidr_block=aws_specs.local_zone_cidr(t.vpc_cidr, t.availability_zones),
                availability_zone=local_zone,
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{local_zone}", subnet_id=local.id, route_table_id=private_rt.id, opts=child
            )
            local_subnet = local.id
        return vpc.id, [s.id for s in private], local_subnet

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
