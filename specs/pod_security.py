"""The container security context every non-root step of the stack gets: one definition, so none drifts.

Kubernetes Pod Security Standards, "restricted": no privilege escalation, all capabilities dropped, non-root,
seccomp RuntimeDefault; a read-only root on top (checkov CKV_K8S_22).
"""

from typing import Any

NOBODY = 65534
"""For steps that own no files: the conventional unprivileged user."""


def restricted(user: int = NOBODY) -> dict[str, Any]:
    """Restricted container security context running as `user` (0 only for a step that needs root and adds back
    exactly the capabilities it needs)."""
    return {
        "runAsNonRoot": user != 0,
        "runAsUser": user,
        "runAsGroup": user,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
