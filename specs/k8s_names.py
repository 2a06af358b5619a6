"""Kubernetes name rules and every name the program or the Dynamo operator derives from the graph's name.

A name that is valid in the config can still make an invalid derived name (a suffix pushes it past 63 characters, or
a Service name starts with a digit); the API server refuses it only after the GPUs and the download are paid for.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from config.k8s_types import check_dns1035_label, check_dns1123_label, check_dns1123_subdomain
from config.schema import Serving

NameRule = Literal["dns1123-label", "dns1123-subdomain", "dns1035-label"]
"""Kubernetes "Object Names and IDs": labels are at most 63 characters, subdomains 253; Service names are DNS-1035
labels (they start with a letter). A Job's name also becomes its pods' `job-name` label value, so at most 63."""

RULE_OF_KIND: dict[str, NameRule] = {
    "Service": "dns1035-label",
    "Namespace": "dns1123-label",
    "Job": "dns1123-label",
}
"""Kinds whose names are labels; every other kind's name is a DNS-1123 subdomain."""

SMOKE_DIGEST_LEN = 8


CHECK_OF_RULE: dict[NameRule, Callable[[str], str | None]] = {
    "dns1123-label": check_dns1123_label,
    "dns1123-subdomain": check_dns1123_subdomain,
    "dns1035-label": check_dns1035_label,
}


def problem(name: str, rule: NameRule) -> str | None:
    """Why `name` is not valid under `rule`, or None (the config's own checks, without their config-key fix)."""
    why = CHECK_OF_RULE[rule](name)
    return None if why is None else why.split(". Fix:")[0]


def rule_of_kind(kind: str) -> NameRule:
    return RULE_OF_KIND.get(kind, "dns1123-subdomain")


@dataclass(frozen=True)
class Derived:
    kind: str
    name: str
    rule: NameRule


def frontend_service_name(graph_name: str) -> str:
    """The Service the operator creates for the Frontend (`<graph>-frontend`)."""
    return f"{graph_name}-frontend"


def benchmark_job_name(graph_name: str, input_length: int, output_length: int, concurrency: int) -> str:
    return f"{graph_name}-bench-{input_length}-{output_length}-{concurrency}"


def graph_derived_names(serving: Serving) -> list[Derived]:
    """Every name made from `serving.graphName`, with the rule of its kind (the smoke Job's digest stands in as
    8 characters, its length)."""
    g = serving.graph_name
    names = [
        Derived("DynamoGraphDeployment", g, "dns1123-subdomain"),
        Derived("Service", frontend_service_name(g), "dns1035-label"),
        # The operator names each service's DynamoComponentDeployment `<graph>-<service, lowercased>`
        # (ai-dynamo/dynamo deploy/cloud/operator/internal/dynamo/graph.go, GetDynamoComponentName).
        *(Derived("DynamoComponentDeployment", f"{g}-{s}", "dns1123-subdomain") for s in ("prefill", "decode")),
        Derived("Job", f"{g}-smoke-{'0' * SMOKE_DIGEST_LEN}", "dns1123-label"),
        Derived("ConfigMap", f"{g}-smoke-client", "dns1123-subdomain"),
        Derived("ConfigMap", f"{g}-prefill-engine", "dns1123-subdomain"),
        Derived("ResourceClaimTemplate", f"{g}-compute-domain-channel", "dns1123-subdomain"),
    ]
    b = serving.benchmark
    if b.enabled:
        names.append(
            Derived("Job", benchmark_job_name(g, b.input_length, b.output_length, b.concurrency), "dns1123-label")
        )
    return names
