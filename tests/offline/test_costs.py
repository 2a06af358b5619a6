"""The summary's cost: every line item a planner pays for, each price with its source, and the Capacity Block end."""

import datetime
import json
from collections.abc import Callable

from config import catalog, versions
from offline import costs, report
from offline.run import Run
from tests.support import BLOCK_END, as_output, render, stack_values

BEFORE_EOS = datetime.date(2026, 1, 1)
AFTER_EOS = datetime.date(2027, 4, 1)  # 1.35 leaves standard support on 2027-03-27
"""Either side of Kubernetes 1.35's end of EKS standard support (2027-03-27), the version the stacks pin."""


def items(run: Run, today: datetime.date = BEFORE_EOS) -> dict[str, costs.LineItem]:
    return {i.name.split(":")[0].split(" (")[0]: i for i in costs.line_items(run.registrations, 688_600_000_000, today)}


def test_an_eks_stack_costs_every_line_item(rendered: Callable[[str], Run]) -> None:
    got = items(rendered("h200-sglang-8"))
    assert set(got) == {
        "GPU nodes",
        "system nodes",
        "download node",
        "root volumes",
        "EKS control plane",
        "NAT gateway(s)",
        "public IPv4 address(es)",
        "FSx for Lustre",
        "Prometheus volume",
    }
    assert round(got["GPU nodes"].per_hour, 3) == round(
        2 * catalog.INSTANCE_TYPES["p5en.48xlarge"].price_per_hour_usd, 3
    )
    assert got["system nodes"].per_hour == 2 * catalog.SYSTEM_INSTANCE_PRICES["m7i.4xlarge"].usd
    assert got["download node"].per_hour == catalog.SYSTEM_INSTANCE_PRICES["c6in.8xlarge"].usd
    # 2 x 500 GB GPU roots + 2 x 100 GB system + 100 GB for the download node (the system nodes' template)
    assert got["root volumes"].name.startswith("root volumes: 1300 GB")
    assert round(got["FSx for Lustre"].per_month) == 1008  # 2400 GiB x $0.42 (both nodes load at once)
    assert round(got["Prometheus volume"].per_month, 2) == round(50 * 1.073741824 * 0.08, 2)  # 50 GiB of gp3
    assert all(i.source for i in got.values())


def test_the_control_plane_is_priced_for_standard_or_extended_support(rendered: Callable[[str], Run]) -> None:
    assert items(rendered("h200-sglang-8"), BEFORE_EOS)["EKS control plane"].per_hour == 0.10
    extended = items(rendered("h200-sglang-8"), AFTER_EOS)["EKS control plane"]
    assert extended.per_hour == 0.60 and "extended support since 2027-03-27" in extended.name


def test_every_offered_kubernetes_version_has_one_end_of_standard_support() -> None:
    """The cost summary and offline/checks read the same table; a version EKS offers is never "unknown" to either."""
    assert set(versions.EKS_KUBERNETES_VERSIONS) <= set(versions.EKS_STANDARD_SUPPORT_END)


def test_efs_and_s3_staging_are_costed_by_the_weights_they_hold() -> None:
    efs = items(render("h200-sglang-8", f"modelCache={json.dumps({'storage': 'efs'})}"))
    assert round(efs["EFS"].per_month) == round(688.6 * 0.30)
    staged = {**stack_values("h200-sglang-8")["modelCache"], "s3Staging": {}}
    assert "S3 staging" in items(render("h200-sglang-8", f"modelCache={json.dumps(staged)}"))


def test_the_summary_totals_per_hour_and_month_and_marks_unverified_prices(rendered: Callable[[str], Run]) -> None:
    text = report.summary(rendered("h200-sglang-8"))
    total = sum(i.per_hour for i in costs.line_items(rendered("h200-sglang-8").registrations, 688_600_000_000))
    assert f"${total:>9,.2f}/h" in text and "/month" in text and "(check)" in text
    assert "EKS control plane (Kubernetes 1.35" in text


def test_a_capacity_block_pool_is_costed_from_its_launch_template(rendered: Callable[[str], Run]) -> None:
    """The block's node group leaves its instance type out (EKS requires it); the template still names it."""
    got = items(rendered("gb200"))
    assert "GPU nodes" in got and "9 x p6e-gb200.36xlarge (Capacity Block" in got["GPU nodes"].name
    assert round(got["GPU nodes"].per_hour, 2) == round(
        9 * catalog.INSTANCE_TYPES["p6e-gb200.36xlarge"].price_per_hour_usd, 2
    )
    assert "?" not in "".join(i.name for i in got.values())


def test_the_capacity_block_end_and_its_warning_are_on_stdout() -> None:
    text = report.summary(render("gb200", f"gpuPool.capacity.endTime='{BLOCK_END}'"))
    assert f"capacity ends {as_output(BLOCK_END)}" in text and "terminates its instances 60 minutes earlier" in text


def test_an_existing_cluster_says_what_is_not_modelled(rendered: Callable[[str], Run]) -> None:
    assert "creates nothing billed by the hour" in report.summary(rendered("dev"))
