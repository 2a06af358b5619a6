"""Manifests of the model cache: an FSx for Lustre StorageClass and the ReadWriteMany claim."""

from typing import Any

import pulumi

LUSTRE_PORTS = ((988, 988), (1018, 1023))
"""TCP ports Lustre clients use to reach the file system."""


def fsx_storage_class(
    name: str, subnet_id: pulumi.Input[str], security_group_id: pulumi.Input[str], throughput_per_tib: int
) -> dict[str, Any]:
    """PERSISTENT_2 (SCRATCH loses data when a server fails); Retain, so the file system outlives its claim;
    Immediate binding, so the file system and the download start before any GPU node exists."""
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": name},
        "provisioner": "fsx.csi.aws.com",
        "reclaimPolicy": "Retain",
        "volumeBindingMode": "Immediate",
        "parameters": {
            "subnetId": subnet_id,
            "securityGroupIds": security_group_id,
            "deploymentType": "PERSISTENT_2",
            "perUnitStorageThroughput": str(throughput_per_tib),
            "fileSystemTypeVersion": "2.15",
            "dataCompressionType": "NONE",
        },
        "mountOptions": ["flock"],
    }


def cache_claim(name: str, namespace: pulumi.Input[str], size_gib: int, storage_class: str | None) -> dict[str, Any]:
    """ReadWriteMany: every worker pod on every node reads the same weights. No class: the cluster's default."""
    spec: dict[str, Any] = {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": f"{size_gib}Gi"}}}
    if storage_class:
        spec["storageClassName"] = storage_class
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/name": "model-cache"}},
        "spec": spec,
    }
