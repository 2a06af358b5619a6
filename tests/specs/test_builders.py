"""Pure builders, without the Pulumi runtime."""

import json
import re

from config import catalog
from config.schema import Worker
from specs import download_spec, graph_spec
from specs.aws_specs import efa_network_interfaces, kubeconfig, subnet_plan
from specs.backends.base import Role, WorkerContext
from specs.backends.sglang import SGLang
from tests.support import stack_values

R1 = catalog.MODELS["deepseek-r1"]
REV = "56d4cbbb4d29f4355bab4b9a39ccb717a14ad5ad"


def ctx(role: Role, w: Worker, fabric: str) -> WorkerContext:
    return WorkerContext(role, w, "/m", "deepseek-ai/DeepSeek-R1", fabric, 8, "g")


def test_sglang_args_without_efa_keep_the_default_transfer_backend() -> None:
    w = Worker(tp=8, ep=8, mem_fraction_static=0.75)
    args = SGLang().worker_args(ctx("prefill", w, "infiniband"))
    assert "--disaggregation-transfer-backend" not in args
    assert "--dp" not in args and "--enable-dp-attention" not in args
    assert args[-2:] == ["--watchdog-timeout", "3600"]


def test_sglang_extra_args_pass_through_unchanged() -> None:
    w = Worker(tp=16, mem_fraction_static=0.8, extra_args=["--skip-tokenizer-init"])
    args = SGLang().worker_args(ctx("decode", w, "efa"))
    assert "--skip-tokenizer-init" in args and "--ep-size" not in args


def test_subnet_plan_gives_each_zone_a_private_and_a_public_slash_20() -> None:
    plan = subnet_plan("10.40.0.0/16", ["a", "b"])
    assert [(p.private_cidr, p.public_cidr) for p in plan] == [
        ("10.40.0.0/20", "10.40.32.0/20"),
        ("10.40.16.0/20", "10.40.48.0/20"),
    ]


def test_efa_interfaces() -> None:
    nics = efa_network_interfaces(catalog.INSTANCE_TYPES["p5en.48xlarge"].network_interfaces, ["sg-a"])
    assert len(nics) == 16 and [n["network_card_index"] for n in nics] == list(range(16))
    assert nics[0]["interface_type"] == "efa" and all(n["interface_type"] == "efa-only" for n in nics[1:])


def test_kubeconfig_authenticates_through_the_aws_cli() -> None:
    cfg = json.loads(kubeconfig("c", "https://e", "Y2E=", "us-east-1"))
    assert cfg["users"][0]["user"]["exec"]["args"] == [
        "eks",
        "get-token",
        "--cluster-name",
        "c",
        "--region",
        "us-east-1",
    ]
    assert cfg["current-context"] == "c"


def test_job_name_is_unique_per_model_and_revision_and_a_valid_name() -> None:
    fp4 = catalog.MODELS["deepseek-r1-fp4"]
    names = {download_spec.job_name(m, r) for m in (R1, fp4) for r in (REV, "0" * 40)}
    assert len(names) == 4
    assert all(len(n) <= 63 for n in names)
    # Kubernetes refuses a Job name that is not a DNS-1123 label: try revisions the schema admits (tags, branches).
    for rev in ("Main_Branch/v1.0", "refs/pr/12", "v2.0-RC1", "a---------b", "X" * 100):
        name = download_spec.job_name(R1, rev)
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", name), (rev, name)


def test_platform_values_enable_grove_and_kai_only_for_multinode_workers() -> None:
    from config.schema import Serving

    serving = Serving.model_validate(stack_values("h200-sglang-8")["serving"])
    assert graph_spec.platform_values(serving, True)["global"]["grove"]["install"] is False
    multi = serving.model_copy(update={"decode": serving.decode.model_copy(update={"nodes": 2})})
    values = graph_spec.platform_values(multi, True)
    assert values["global"]["grove"]["install"] is True and values["global"]["kai-scheduler"]["install"] is True
    assert "affinity" in values["grove"]


def test_no_control_plane_pinning_on_an_existing_cluster() -> None:
    from config.schema import Serving

    serving = Serving.model_validate(stack_values("h200-sglang-8")["serving"])
    assert set(graph_spec.platform_values(serving, False)) == {"global"}


def test_gb200_takes_four_efa_only_interfaces_beside_an_ena_primary() -> None:
    gb200 = catalog.INSTANCE_TYPES["p6e-gb200.36xlarge"]
    nics = efa_network_interfaces(gb200.network_interfaces, ["sg-a"])
    assert [(n["network_card_index"], n["interface_type"]) for n in nics] == [
        (0, "interface"),
        (1, "efa-only"),
        (5, "efa-only"),
        (9, "efa-only"),
        (13, "efa-only"),
    ]
    assert gb200.efa_devices == 4 and catalog.INSTANCE_TYPES["p5en.48xlarge"].efa_devices == 16
