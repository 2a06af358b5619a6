"""Helm releases of pinned charts: one way to install a chart, whoever installs it."""

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from config.versions import Chart


def pinned_release(
    resource_name: str,
    chart: Chart,
    namespace: str,
    values: dict[str, Any],
    opts: pulumi.ResourceOptions,
    create_namespace: bool = False,
) -> k8s.helm.v3.Release:
    """A helm.v3.Release (a plain resource, so previews and offline renders show its chart and values)."""
    return k8s.helm.v3.Release(
        resource_name,
        name=chart.name,
        chart=chart.name,
        version=chart.version,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=chart.repo),
        namespace=namespace,
        create_namespace=create_namespace,
        values=values,
        timeout=900,
        opts=opts,
    )
