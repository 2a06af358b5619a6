"""Which input changes make Pulumi replace (delete and recreate) a resource, for the types this program creates.

Inputs are named as in resources.json (camelCase, dotted, list indexes dropped). A listed path forces replacement
when it, anything under it, or anything above it changes. Sources:
- AWS: the `ForceNew: true` attributes of the Terraform AWS provider that pulumi-aws bridges
  (hashicorp/terraform-provider-aws internal/service/<svc>/<resource>.go; read for eks/cluster.go, eks/node_group.go,
  fsx/lustre_file_system.go, ec2/vpc_.go, ec2/vpc_subnet.go). Types marked (check) were not read there: they
  are the long-standing ForceNew attributes as documented, to be confirmed.
- Kubernetes: pulumi-kubernetes provider/pkg/provider/diff.go `forceNewProperties` (metadata.name and
  metadata.namespace for every kind, plus the per-kind immutable fields below).
A type missing here is diffed but never reported as replaced: the comment lists it (preview_plan.unknown_types).
"""

AWS: dict[str, tuple[str, ...]] = {
    # eks/cluster.go: name, role_arn, bootstrap_self_managed_addons, access_config.bootstrap_cluster_creator_admin_
    # permissions, kubernetes_network_config.{ip_family,service_ipv4_cidr}, outpost_config, remote_network_config.
    # vpc_config.subnet_ids and security_group_ids update in place (UpdateClusterConfig), but only within the
    # cluster's VPC: see REPLACED_WITH_DEPENDENCY.
    "aws:eks/cluster:Cluster": (
        "name",
        "roleArn",
        "bootstrapSelfManagedAddons",
        "accessConfig.bootstrapClusterCreatorAdminPermissions",
        "kubernetesNetworkConfig.ipFamily",
        "kubernetesNetworkConfig.serviceIpv4Cidr",
        "outpostConfig",
        "remoteNetworkConfig",
    ),
    # eks/node_group.go: scaling_config, labels, taints, launch_template.version, version, release_version and
    # update_config update in place; these do not.
    "aws:eks/nodeGroup:NodeGroup": (
        "amiType",
        "capacityType",
        "clusterName",
        "diskSize",
        "instanceTypes",
        "launchTemplate.id",
        "launchTemplate.name",
        "nodeGroupName",
        "nodeGroupNamePrefix",
        "nodeRoleArn",
        "remoteAccess",
        "subnetIds",
    ),
    # fsx/lustre_file_system.go (a smaller storage_capacity also replaces: CustomizeDiff, see SHRINK_REPLACES).
    "aws:fsx/lustreFileSystem:LustreFileSystem": (
        "subnetIds",
        "securityGroupIds",
        "deploymentType",
        "perUnitStorageThroughput",
        "fileSystemTypeVersion",
        "kmsKeyId",
        "storageType",
        "driveCacheType",
        "importPath",
        "exportPath",
        "importedFileChunkSize",
        "backupId",
        "copyTagsToBackups",
    ),
    "aws:ec2/vpc:Vpc": ("cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength"),  # ec2/vpc_.go
    "aws:ec2/subnet:Subnet": (  # ec2/vpc_subnet.go
        "vpcId",
        "cidrBlock",
        "availabilityZone",
        "availabilityZoneId",
        "outpostArn",
        "ipv4IpamPoolId",
        "ipv4NetmaskLength",
        "ipv6IpamPoolId",
        "ipv6Native",
        "ipv6NetmaskLength",
    ),
    "aws:ec2/securityGroup:SecurityGroup": ("name", "namePrefix", "description", "vpcId"),  # (check)
    "aws:ec2/internetGateway:InternetGateway": (),  # (check) vpcId re-attaches in place
    "aws:ec2/eip:Eip": ("domain", "networkBorderGroup", "publicIpv4Pool", "address"),  # (check)
    "aws:ec2/natGateway:NatGateway": ("allocationId", "subnetId", "connectivityType", "privateIp"),  # (check)
    "aws:ec2/routeTable:RouteTable": ("vpcId",),  # (check)
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ("subnetId", "gatewayId"),  # (check)
    "aws:ec2/launchTemplate:LaunchTemplate": ("name", "namePrefix"),  # (check) other changes add a version
    "aws:eks/addon:Addon": ("clusterName", "addonName"),  # (check)
    "aws:iam/role:Role": ("name", "namePrefix", "path"),  # (check)
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("role", "policyArn"),  # (check)
    "aws:efs/fileSystem:FileSystem": (
        "creationToken",
        "encrypted",
        "kmsKeyId",
        "availabilityZoneName",
        "performanceMode",
    ),  # (check)
    "aws:efs/mountTarget:MountTarget": ("fileSystemId", "subnetId", "ipAddress"),  # (check)
    "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation": (
        "fileSystemId",
        "fileSystemPath",
        "dataRepositoryPath",
        "batchImportMetaDataOnCreate",
    ),  # (check)
    "aws:s3/bucket:Bucket": ("bucket", "bucketPrefix", "objectLockEnabled"),  # (check)
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ("bucket",),  # (check)
}

SHRINK_REPLACES = {"aws:fsx/lustreFileSystem:LustreFileSystem": "storageCapacity"}
"""Grows in place, shrinks by replacement."""

REPLACED_WITH_DEPENDENCY: dict[str, dict[str, str]] = {
    "aws:eks/cluster:Cluster": {
        "vpcConfig": "EKS cannot move a cluster to another VPC: subnets that are recreated mean a new cluster (check)"
    },
}
"""Inputs that update in place when edited, but not when what they come from is recreated."""

KUBERNETES_ALL = ("metadata.name", "metadata.namespace")
KUBERNETES: dict[str, tuple[str, ...]] = {
    "kubernetes:batch/v1:Job": ("spec.completions", "spec.parallelism", "spec.selector", "spec.template"),
    "kubernetes:core/v1:ConfigMap": ("binaryData", "data"),
    "kubernetes:core/v1:Secret": ("type", "stringData", "data"),
    "kubernetes:core/v1:Service": ("spec.clusterIP",),
    "kubernetes:core/v1:PersistentVolumeClaim": ("spec",),
    "kubernetes:core/v1:PersistentVolume": ("spec.csi", "spec.nfs", "spec.hostPath", "spec.local"),
    "kubernetes:storage.k8s.io/v1:StorageClass": ("parameters", "provisioner"),
}
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
"""A Release updates in place (helm upgrade) except when its name changes."""

CLUSTER = "aws:eks/cluster:Cluster"
EXPENSIVE = {
    CLUSTER: "the EKS cluster: a new control plane (~10-15 min to create (check)), every Kubernetes object "
    "recreated on it, and the endpoint down until the graph is Ready again (weights reloaded)",
    "aws:eks/nodeGroup:NodeGroup": "a node group: new instances (a Capacity Block or reservation must have room "
    "for them), the pods on it restart and reload the weights",
    "aws:fsx/lustreFileSystem:LustreFileSystem": "the model cache: recreated empty, so the weights download again "
    "(~690 GB for R1: 1-4 h from the Hub, unless S3-staged); it is protected, so `pulumi up` refuses until "
    "modelCache.deletable is true",
    "aws:efs/fileSystem:FileSystem": "the model cache (EFS): recreated empty, the weights download again (1-4 h); "
    "protected, so `pulumi up` refuses until modelCache.deletable is true",
}
"""Replacements called out at the top of the preview comment, with what they cost."""


def replace_paths(resource_type: str) -> tuple[str, ...] | None:
    """The inputs whose change replaces this type; None when the type is not in the tables."""
    if resource_type.startswith("kubernetes:"):
        if resource_type == HELM_RELEASE:
            return ("name", "namespace")
        return KUBERNETES_ALL + KUBERNETES.get(resource_type, ())
    if resource_type.startswith(("pulumi:providers:", "dsr1:")):
        return ()
    return AWS.get(resource_type)


def _related(changed: str, listed: str) -> bool:
    return changed == listed or changed.startswith(listed + ".") or listed.startswith(changed + ".")


def forcing(resource_type: str, changed: str) -> str | None:
    """The listed path `changed` touches, if it forces replacement."""
    return next((p for p in replace_paths(resource_type) or () if _related(changed, p)), None)
