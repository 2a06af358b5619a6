"""Minutes from the first `pulumi up` after a Capacity Block starts to a passing smoke test.

Everything that needs no GPU (network, cluster, cache, download) was built before the start (program/stack.py
stages it), so what is left is the GPU phase: the node group, the fabric check, the graph's start (image pull, the
weights' load, warm-up) and the smoke test. Used to refuse a block that ends before the endpoint could be up and to
say, while staged, how long the second `up` takes.
"""

from specs.estimate import figures
from specs.estimate.model import Flows, graph_start_minutes


def minutes_after_start(flows: Flows, fabric_check: bool) -> float:
    m = figures.MINUTES
    fabric = m["fabric-check"].value if fabric_check else 0.0
    return m["gpu-node-group"].value + fabric + graph_start_minutes(flows) + m["smoke-test"].value
