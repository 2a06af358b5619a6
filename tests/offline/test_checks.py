"""The offline checks: zero findings on every stack and variant, and each rule fires on the input it guards."""

import copy
import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from config import resource_types as rt
from offline.checks import aws_constraints, cluster
from offline.checks.__main__ import main
from offline.checks.render_data import Finding, Render
from offline.run import Run
from tests.support import BLOCK, block_time, render, stacks

RESERVATION = {**BLOCK, "type": "reservation", "availabilityZone": "us-east-1a"}
H200_POOL = {"instanceType": "p5en.48xlarge", "nodeCount": 2, "fabric": "efa"}
VARIANTS: dict[str, tuple[str, ...]] = {
    "h200-reservation": ("h200-sglang-8", f"gpuPool={json.dumps({**H200_POOL, 'capacity': RESERVATION})}"),
    "h200-efs": ("h200-sglang-8", f"modelCache={json.dumps({'storage': 'efs'})}"),
    "h200-s3-staging": ("h200-sglang-8", f"modelCache={json.dumps({'storage': 'fsx-lustre', 's3Staging': {}})}"),
    "gb200-efs": ("gb200", f"modelCache={json.dumps({'storage': 'efs'})}"),
    "gb200-staged": (
        "gb200",
        f"gpuPool.capacity.startTime='{block_time(1)}'",
        f"gpuPool.capacity.endTime='{block_time(3)}'",
    ),
}


def findings(render_: Render, today: date | None = None) -> list[Finding]:
    found = cluster.check(render_) + [
        f for rule in aws_constraints.RULES if rule is not aws_constraints.kubernetes_version for f in rule(render_)
    ]
    return found + list(aws_constraints.kubernetes_version(render_, today or date(2026, 11, 28)))


@pytest.mark.parametrize("stack", stacks())
def test_every_stack_has_no_findings(stack: str, rendered: Callable[[str], Run]) -> None:
    assert findings(Render.from_run(rendered(stack))) == []


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_variant_has_no_findings(variant: str) -> None:
    stack, *overrides = VARIANTS[variant]
    assert findings(Render.from_run(render(stack, *overrides))) == []


def test_the_existing_cluster_states_what_it_assumes(rendered: Callable[[str], Run]) -> None:
    r = Render.from_run(rendered("dev"))
    assert findings(r) == []
    assert any("default StorageClass" in s for s in r.statements)
    assert any("enforces NetworkPolicies, which target.networkPolicyEnforced states" in s for s in r.statements)


@pytest.fixture(scope="module")
def gb200() -> Render:
    return Render.from_run(render("gb200"))


def broken(base: Render, edit: Callable[[Render], None]) -> list[str]:
    r = copy.deepcopy(base)
    edit(r)
    return sorted({f.rule for f in findings(r)})


def record(r: Render, token: str, name: str | None = None) -> dict[str, Any]:
    (found,) = [x for x in r.of_type(token) if name is None or x["name"] == name]
    return found


def manifest(r: Render, kind: str) -> dict[str, Any]:
    (found,) = [m for m in r.manifests if m["kind"] == kind]
    return found


def addon(r: Render, name: str) -> dict[str, Any]:
    (found,) = [x for x in r.of_type(rt.EKS_ADDON) if x["inputs"]["addonName"] == name]
    return found


def test_a_security_group_description_with_an_apostrophe_is_refused(gb200: Render) -> None:
    def edit(r: Render) -> None:
        # The description the cache's security group had: EC2 refuses the apostrophes.
        sg = record(r, rt.SECURITY_GROUP, "model-cache-sg")
        sg["inputs"]["description"] = (
            "FSx for Lustre: traffic from the cluster's nodes and between the file system's servers"
        )

    assert broken(gb200, edit) == ["sg-text"]


def _platform(r: Render) -> dict[str, Any]:
    return next(m for m in r.manifests if m["kind"] == "Release" and m["chart"]["name"] == "dynamo-platform")


def _with_nats(r: Render) -> None:
    """NATS installed, as Dynamo 1.3 needs it (1.6's default planes are TCP and ZMQ: the stacks leave it off)."""
    _platform(r)["values"]["global"]["nats"]["install"] = True


def test_platform_claims_without_a_class_are_found(gb200: Render) -> None:
    def no_class(r: Render) -> None:
        _with_nats(r)
        r.manifests = [m for m in r.manifests if m["kind"] != "StorageClass"]

    def no_values(r: Render) -> None:
        no_class(r)
        del _platform(r)["values"]["nats"]["config"]

    assert broken(gb200, no_class) == ["pvc-binds"]
    assert broken(gb200, no_values) == ["pvc-binds"]
    # Without NATS (the 1.6 platform's setting), the platform claims nothing: no class is needed for it.
    assert (
        broken(gb200, lambda r: setattr(r, "manifests", [m for m in r.manifests if m["kind"] != "StorageClass"])) == []
    )


def test_a_class_without_its_driver_is_found(gb200: Render) -> None:
    def edit(r: Render) -> None:
        _with_nats(r)
        r.records.remove(addon(r, "aws-ebs-csi-driver"))

    assert broken(gb200, edit) == ["pvc-binds"]


def test_the_cache_volume_needs_its_csi_driver(gb200: Render) -> None:
    def edit(r: Render) -> None:
        r.records.remove(addon(r, "aws-fsx-csi-driver"))

    assert broken(gb200, edit) == ["pvc-binds"]


def test_a_csi_addon_created_before_the_pod_identity_agent_is_found(gb200: Render) -> None:
    def edit(r: Render) -> None:
        # As the FSx add-on was created before: after the cluster only.
        eks = record(r, "aws:eks/cluster:Cluster")
        for name in ("aws-fsx-csi-driver", "aws-ebs-csi-driver"):
            addon(r, name)["dependsOn"] = [eks["urn"]]

    assert broken(gb200, edit) == ["addon-pod-identity"]


def test_the_agent_is_needed_by_pod_identity_associations_not_by_add_on_names(gb200: Render) -> None:
    """EBS, EFS CSI take IRSA or Pod Identity: an association needs the agent first, an add-on without one does not
    (FSx stays ordered after the agent: one rendition of the EKS user guide says its add-on always needs it)."""
    r = copy.deepcopy(gb200)
    eks = record(r, rt.EKS_CLUSTER)
    efs = copy.deepcopy(addon(r, "aws-ebs-csi-driver"))
    efs["inputs"] = {**efs["inputs"], "addonName": "aws-efs-csi-driver"}
    efs["inputs"].pop("podIdentityAssociations")
    efs["dependsOn"], efs["urn"] = [eks["urn"]], efs["urn"] + "-efs"
    r.records.append(efs)
    assert list(aws_constraints.addons(r)) == []
    cni = addon(r, "vpc-cni")
    cni["inputs"]["podIdentityAssociations"] = [{"roleArn": "arn", "serviceAccount": "aws-node"}]
    cni["dependsOn"] = [eks["urn"]]
    (found,) = aws_constraints.addons(r)
    assert found.rule == "addon-pod-identity" and "vpc-cni" in found.message
    assert "Pod Identity association" in found.message and found.source == aws_constraints.SRC_POD_ID


def test_node_groups_wait_for_the_cni_and_the_agent(gb200: Render) -> None:
    def edit(r: Render) -> None:
        for name in ("cluster-system-nodes", "gpu-nodes"):
            ng = record(r, rt.NODE_GROUP, name)
            ng["dependsOn"] = [d for d in ng["dependsOn"] if "eks/addon" not in d]

    assert broken(gb200, edit) == ["addon-before-nodes"]


def test_network_policies_need_the_cni_policy_agent(gb200: Render) -> None:
    def edit(r: Render) -> None:
        addon(r, "vpc-cni")["inputs"]["configurationValues"] = "{}"

    assert broken(gb200, edit) == ["network-policy-enforced", "vpc-cni-network-policy"]


def test_a_local_zone_subnet_in_the_control_plane_is_found(gb200: Render) -> None:
    def edit(r: Render) -> None:
        eks = record(r, "aws:eks/cluster:Cluster")
        eks["inputs"]["vpcConfig"]["subnetIds"].append("cluster-private-us-east-1-dfw-2a-id")

    def fsx_there(r: Render) -> None:
        record(r, rt.LUSTRE)["inputs"]["subnetIds"] = "cluster-private-us-east-1-dfw-2a-id"

    def gpus_in_the_region(r: Render) -> None:
        # Where the gb200 stack put its GPU nodes before: a Region zone, where no GB200 block can be.
        record(r, rt.NODE_GROUP, "gpu-nodes")["inputs"]["subnetIds"] = ["cluster-private-us-east-1a-id"]

    assert broken(gb200, edit) == ["control-plane-local-zone"]
    assert broken(gb200, gpus_in_the_region) == ["gb200-local-zone"]
    assert broken(gb200, fsx_there) == ["fsx-zone"]


def test_capacity_block_templates_name_the_instance_type_once(gb200: Render) -> None:
    def on_the_node_group(r: Render) -> None:
        # Where the program put it before: on the node group, not in the launch template.
        del record(r, rt.LAUNCH_TEMPLATE, "gpu-lt")["inputs"]["instanceType"]
        record(r, rt.NODE_GROUP, "gpu-nodes")["inputs"]["instanceTypes"] = ["p6e-gb200.36xlarge"]

    def in_both(r: Render) -> None:
        record(r, rt.NODE_GROUP, "gpu-nodes")["inputs"]["instanceTypes"] = ["p6e-gb200.36xlarge"]

    assert broken(gb200, on_the_node_group) == ["capacity-block-template"]
    assert broken(gb200, in_both) == ["node-group-instance-types"]


def test_reserved_capacity_without_the_update_path_is_found(gb200: Render) -> None:
    def edit(r: Render) -> None:
        record(r, rt.NODE_GROUP, "gpu-nodes").pop("ignoreChanges")

    assert broken(gb200, edit) == ["reserved-update-path"]


def test_a_version_out_of_standard_support_is_found(gb200: Render) -> None:
    def edit(r: Render) -> None:
        record(r, "aws:eks/cluster:Cluster")["inputs"]["version"] = "1.33"

    assert broken(gb200, edit) == ["eks-version"]
    assert [f.rule for f in aws_constraints.kubernetes_version(gb200, date(2027, 3, 27))] == ["eks-version"]


def test_pods_that_fit_no_node_group_are_found(gb200: Render) -> None:
    def selector(r: Render) -> None:
        graph = manifest(r, "DynamoGraphDeployment")
        graph["spec"]["services"]["decode"]["extraPodSpec"]["tolerations"] = []

    def too_many_gpus(r: Render) -> None:
        graph = manifest(r, "DynamoGraphDeployment")
        graph["spec"]["services"]["decode"]["resources"]["limits"]["gpu"] = "8"

    def plugin_off_the_gpus(r: Render) -> None:
        plugin = next(
            m for m in r.manifests if m["kind"] == "Release" and m["metadata"]["name"] == "nvidia-device-plugin"
        )
        plugin["values"]["tolerations"] = []

    assert broken(gb200, selector) == ["pod-fits"]
    assert broken(gb200, plugin_off_the_gpus) == ["pod-fits"]
    assert broken(gb200, too_many_gpus) == ["pod-fits"]


def test_derived_names_are_checked(gb200: Render) -> None:
    def edit(r: Render) -> None:
        manifest(r, "DynamoGraphDeployment")["metadata"]["name"] = "1-digit-first"

    assert broken(gb200, edit) == ["name-valid"]


def test_file_system_bucket_and_tag_limits(gb200: Render) -> None:
    def fsx(r: Render) -> None:
        record(r, rt.LUSTRE)["inputs"]["perUnitStorageThroughput"] = 200

    def tag(r: Render) -> None:
        record(r, rt.LUSTRE)["inputs"]["tags"] = {"aws:x": "y"}

    assert broken(gb200, fsx) == ["fsx"]
    assert broken(gb200, tag) == ["tags"]
    staged = Render.from_run(render(*VARIANTS["h200-s3-staging"]))

    def prefix(r: Render) -> None:
        record(r, rt.BUCKET)["inputs"]["bucketPrefix"] = "a" * 38

    assert broken(staged, prefix) == ["s3-bucket-prefix"]


def test_the_cli_checks_a_stack_and_a_render(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from offline import report

    assert main(["--stack", "h200-sglang-8"]) == 0
    assert "h200-sglang-8: 0 findings" in capsys.readouterr().out
    run = render("gb200")
    report.write(run, tmp_path)
    resources = json.loads((tmp_path / "resources.json").read_text())
    for r in resources:
        if r["type"] == rt.SECURITY_GROUP:
            r["inputs"]["description"] = "the cluster's nodes"
    (tmp_path / "resources.json").write_text(json.dumps(resources))
    assert main(["--render", str(tmp_path)]) == 1
    assert "FINDING sg-text" in capsys.readouterr().out
    assert main(["--stack", "no-such-stack"]) == 2


def _set(token: str, name: str | None, path: str, value: Any) -> Callable[[Render], None]:
    def edit(r: Render) -> None:
        target = record(r, token, name)["inputs"]
        *parents, last = path.split(".")
        for p in parents:
            target = target[p]
        target[last] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "rule"),
    [
        (_set("aws:eks/cluster:Cluster", None, "name", "-bad"), "eks-name"),
        (
            _set("aws:eks/cluster:Cluster", None, "vpcConfig.subnetIds", ["cluster-private-us-east-1a-id"]),
            "control-plane-zones",
        ),
        (_set(rt.NODE_GROUP, "gpu-nodes", "amiType", "AL2_x86_64_GPU"), "node-group-enum"),
        (_set(rt.NODE_GROUP, "gpu-nodes", "scalingConfig.maxSize", 0), "node-group-scaling"),
        (_set(rt.PLACEMENT_GROUP, None, "strategy", "clustered"), "placement-group"),
        (_set(rt.LAUNCH_TEMPLATE, "gpu-lt", "metadataOptions.httpPutResponseHopLimit", 0), "imds"),
    ],
)
def test_more_aws_rules_fire(edit: Callable[[Render], None], rule: str) -> None:
    assert broken(Render.from_run(render("h200-sglang-8")), edit) == [rule]


def test_addon_configuration_must_be_json(gb200: Render) -> None:
    def edit(r: Render) -> None:
        addon(r, "eks-pod-identity-agent")["inputs"]["configurationValues"] = "enable: true"

    assert broken(gb200, edit) == ["addon-config"]


def test_a_cni_configuration_that_is_not_json_enforces_nothing(gb200: Render) -> None:
    def edit(r: Render) -> None:
        addon(r, "vpc-cni")["inputs"]["configurationValues"] = "enableNetworkPolicy: true"

    assert broken(gb200, edit) == ["addon-config", "network-policy-enforced", "vpc-cni-network-policy"]


@pytest.mark.parametrize(("value", "enforced"), [("true", True), (True, False), ("True", False)])
def test_a_cni_enforces_only_with_the_documented_string(gb200: Render, value: object, enforced: bool) -> None:
    """The same rule as the policy pack (config.vpc_cni): the EKS user guide documents the string "true" only."""

    def edit(r: Render) -> None:
        addon(r, "vpc-cni")["inputs"]["configurationValues"] = json.dumps({"enableNetworkPolicy": value})

    assert broken(gb200, edit) == ([] if enforced else ["network-policy-enforced", "vpc-cni-network-policy"])


def test_a_claim_with_no_class_and_no_volume_is_found(gb200: Render) -> None:
    def edit(r: Render) -> None:
        del manifest(r, "PersistentVolumeClaim")["spec"]["volumeName"]

    assert broken(gb200, edit) == ["pvc-binds"]
