"""Manifests of the model cache: a statically provisioned PersistentVolume and the ReadWriteMany claim bound to it."""

from typing import Any

import pulumi

LUSTRE_PORTS = ((988, 988), (1018, 1023))
"""TCP ports Lustre clients use to reach the file system."""
NFS_PORT = 2049
CSI_DRIVERS = {"fsx-lustre": "fsx.csi.aws.com", "efs": "efs.csi.aws.com"}
MOUNT_OPTIONS = {"fsx-lustre": ["flock"], "efs": ["tls"]}


def static_volume(
    name: str,
    storage: str,
    size_gib: int,
    volume_handle: pulumi.Input[str],
    attributes: dict[str, pulumi.Input[str]],
) -> dict[str, Any]:
    """A PersistentVolume for a file system the stack owns; Retain, so deleting it never deletes the weights."""
    csi: dict[str, Any] = {"driver": CSI_DRIVERS[storage], "volumeHandle": volume_handle}
    if attributes:
        csi["volumeAttributes"] = attributes
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/name": "model-cache"}},
        "spec": {
            "capacity": {"storage": f"{size_gib}Gi"},
            "volumeMode": "Filesystem",
            "accessModes": ["ReadWriteMany"],
            "persistentVolumeReclaimPolicy": "Retain",
            "storageClassName": "",
            "mountOptions": MOUNT_OPTIONS[storage],
            "csi": csi,
        },
    }


def cache_claim(
    name: str,
    namespace: pulumi.Input[str],
    size_gib: int,
    storage_class: str | None,
    volume_name: pulumi.Input[str] | None = None,
) -> dict[str, Any]:
    """ReadWriteMany: every worker pod on every node reads the same weights. Bound to `volume_name` when the stack
    owns the file system; otherwise provisioned from `storage_class` (None: the cluster's default)."""
    spec: dict[str, Any] = {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": f"{size_gib}Gi"}}}
    if volume_name is not None:
        spec["storageClassName"] = ""
        spec["volumeName"] = volume_name
    elif storage_class:
        spec["storageClassName"] = storage_class
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/name": "model-cache"}},
        "spec": spec,
    }
