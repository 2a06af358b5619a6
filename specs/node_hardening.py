"""What every node group's launch template sets, whatever the node: instance metadata for the node only, encrypted
root volumes.

IMDSv2 with a response hop limit of 1 keeps the node role's credentials from pods: a pod's packets cross one more
hop (its network namespace), so the token response never reaches it; host-network pods (the VPC CNI, kube-proxy,
the CSI node plugins, the Pod Identity agent) still do (Amazon EKS security best practices, "Restrict access to
the instance profile assigned to the worker node"). No pod of this stack calls AWS with the node's role: the
Dynamo pods, the Jobs and the device plugins use no AWS API; an add-on controller that does gets its own role
through EKS Pod Identity, never the node's.
"""

import pulumi_aws as aws

IMDS_HOP_LIMIT = 1
METADATA_OPTIONS = {
    "http_endpoint": "enabled",
    "http_tokens": "required",
    "http_put_response_hop_limit": IMDS_HOP_LIMIT,
}
"""Keyword arguments of aws.ec2.LaunchTemplateMetadataOptionsArgs."""
ROOT_DEVICE = "/dev/xvda"
"""The EKS-optimized AL2023 AMIs' root device."""
SYSTEM_ROOT_VOLUME_GIB = 100
"""The CPU nodes hold images of the platform (operator, NATS), the frontend's runtime image (~20 GB) and the
download Job's scratch; 100 GiB leaves room for an image update beside the old one."""


def encrypted_root(size_gib: int, volume_type: str = "gp3") -> list[aws.ec2.LaunchTemplateBlockDeviceMappingArgs]:
    """An encrypted root volume of `size_gib` (gp3, or the Local Zone's type: aws_specs.root_volume_type), deleted
    with the node: every node group's launch template. Encrypted explicitly: a Local Zone's default encryption
    behaviour varies by zone (AWS Local Zones user guide, "How AWS Local Zones work", Considerations)."""
    return [
        aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
            device_name=ROOT_DEVICE,
            ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                volume_size=size_gib, volume_type=volume_type, encrypted="true", delete_on_termination="true"
            ),
        )
    ]


def metadata_options() -> aws.ec2.LaunchTemplateMetadataOptionsArgs:
    """IMDSv2 only, hop limit 1: the node's credentials stay with the node."""
    return aws.ec2.LaunchTemplateMetadataOptionsArgs(**METADATA_OPTIONS)
