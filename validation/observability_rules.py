"""Rules of the metrics pipeline's config (observability.*): what a cluster would refuse or silently not scrape."""

from collections.abc import Iterator

from config.errors import Problem
from config.keys import key
from config.schema import EksTarget, StackConfig


def problems(cfg: StackConfig) -> Iterator[Problem]:
    o = cfg.observability
    if not o.enabled:
        return
    if o.prometheus == "existing" and isinstance(cfg.target, EksTarget):
        yield Problem(
            key("observability.prometheus"),
            "existing: the EKS cluster this stack creates has no Prometheus Operator of its own.",
            "use in-cluster (the default).",
        )
    if o.namespace == cfg.serving.namespace:
        yield Problem(
            key("observability.namespace"),
            f"{o.namespace!r} is the serving namespace, which denies all traffic but the graph's own flows.",
            "use another namespace (default monitoring).",
        )
    if o.prometheus == "in-cluster" and o.monitor_labels:
        yield Problem(
            key("observability.monitorLabels"),
            "applies to an existing Prometheus only: the in-cluster one selects every monitor and rule.",
            "remove it, or set observability.prometheus: existing.",
        )
    if not o.prometheus_pod_labels:
        yield Problem(
            key("observability.prometheusPodLabels"),
            "is empty: the NetworkPolicies would admit scrapes from every pod of the namespace.",
            "name the Prometheus pods' labels (the Prometheus Operator's: app.kubernetes.io/name: prometheus).",
        )
