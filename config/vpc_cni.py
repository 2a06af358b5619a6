"""The vpc-cni add-on's network policy switch: one rule, shared by the policy pack and the offline checks.

The EKS user guide, "Configure your cluster for Kubernetes network policies" (cni-network-policy-configure), documents
the value only as the JSON string "true" (`--configuration-values '{"enableNetworkPolicy": "true"}'`); whether the
add-on's configuration schema also takes a JSON boolean or "True" is not documented there (check), so both are
refused here: the stricter rule cannot pass a value EKS would reject or ignore.
"""

import json

ENABLE_NETWORK_POLICY = "enableNetworkPolicy"
CONFIGURATION = json.dumps({ENABLE_NETWORK_POLICY: "true"})
"""The configurationValues that turn the network policy agent on (off by default)."""


def network_policy_enabled(configuration_values: object) -> bool:
    """Whether an add-on's configurationValues (a JSON string, as aws.eks.Addon takes it) turn the agent on.

    Only the documented form counts: the string "true" (EKS user guide, "Configure your cluster for Kubernetes
    network policies"). A JSON boolean, "True", a parsed mapping or anything that is not JSON turns nothing on.
    """
    try:
        parsed = json.loads(configuration_values) if isinstance(configuration_values, str) else None
    except ValueError:
        return False
    return isinstance(parsed, dict) and parsed.get(ENABLE_NETWORK_POLICY) == "true"
