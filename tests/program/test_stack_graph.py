"""The h200-sglang-8 stack under mocks: what each component registers, and the dependency structure."""

from typing import Any

from offline.mocks import Registration
from offline.report import inputs
from offline.run import Run
from tests.support import closure

COMPONENTS = {
    "dsr1:index:EksCluster",
    "dsr1:index:GpuNodePool",
    "dsr1:index:ModelCache",
    "dsr1:index:ModelDownloadJob",
    "dsr1:index:DisaggInferenceGraph",
    "dsr1:index:FabricCheck",
    "dsr1:index:EndpointChecks",
    "dsr1:index:ServingNetworkPolicies",
    "dsr1:index:ImagePrepull",
    "dsr1:index:GpuGate",
    "dsr1:index:Observability",
}


def one(run: Run, type_: str, name: str | None = None) -> Registration:
    found = [r for r in run.registrations if r.type == type_ and (name is None or r.name == name)]
    assert len(found) == 1, f"expected one {type_} {name or ''}, found {[r.name for r in found]}"
    return found[0]


def all_of(run: Run, type_: str) -> list[Registration]:
    return [r for r in run.registrations if r.type == type_]


def parent_type(run: Run, reg: Registration) -> str | None:
    return next((r.type for r in run.registrations if r.urn == reg.parent), None)


def test_every_component_is_registered_once(sglang8: Run) -> None:
    assert {r.type for r in sglang8.registrations if r.type.startswith("dsr1:")} == COMPONENTS
    for t in COMPONENTS:
        one(sglang8, t)


def test_every_resource_but_the_namespace_lives_inside_a_component(sglang8: Run) -> None:
    top_level = sorted(
        r.type for r in sglang8.registrations if parent_type(sglang8, r) in (None, "pulumi:pulumi:Stack")
    )
    assert top_level == sorted([*COMPONENTS, "kubernetes:core/v1:Namespace"])


def test_kubernetes_resources_use_the_clusters_provider(sglang8: Run) -> None:
    provider = one(sglang8, "pulumi:providers:kubernetes")
    assert inputs(provider)["kubeconfig"] == "[secret]"
    for r in sglang8.registrations:
        if r.custom and r.type.startswith("kubernetes:"):
            assert r.provider and r.provider.startswith(provider.urn), r.name


def test_launch_template_has_one_efa_interface_per_network_card(sglang8: Run) -> None:
    lt = inputs(one(sglang8, "aws:ec2/launchTemplate:LaunchTemplate", "gpu-lt"))
    nics = lt["networkInterfaces"]
    assert [n["networkCardIndex"] for n in nics] == list(range(16))
    assert nics[0]["interfaceType"] == "efa"
    assert {n["interfaceType"] for n in nics[1:]} == {"efa-only"}
    # The mocks give every resource the id "<name>-id": each interface carries the EFA group and the cluster's.
    assert all(n["securityGroups"] == ["gpu-efa-sg-id", "sg-cluster-eks-cluster"] for n in nics)


def test_launch_template_requires_imdsv2_and_encrypts_the_root_volume(sglang8: Run) -> None:
    lt = inputs(one(sglang8, "aws:ec2/launchTemplate:LaunchTemplate", "gpu-lt"))
    assert lt["metadataOptions"]["httpTokens"] == "required"
    (root,) = lt["blockDeviceMappings"]
    assert root["ebs"]["encrypted"] == "true"


def test_every_node_group_has_a_launch_template_keeping_imds_from_pods(sglang8: Run) -> None:
    templates = {r.urn: inputs(r) for r in sglang8.registrations if r.type == "aws:ec2/launchTemplate:LaunchTemplate"}
    groups = [r for r in sglang8.registrations if r.type == "aws:eks/nodeGroup:NodeGroup"]
    assert len(groups) == 3 and len(templates) == 2  # the download node shares the system nodes' template
    for ng in groups:
        (lt_urn,) = [d for d in ng.dependencies if d in templates]  # the group waits for its template
        lt = templates[lt_urn]
        assert lt["metadataOptions"] == {
            "httpEndpoint": "enabled",
            "httpTokens": "required",
            "httpPutResponseHopLimit": 1,
        }
        (root,) = lt["blockDeviceMappings"]
        assert root["ebs"]["encrypted"] == "true" and root["ebs"]["volumeType"] == "gp3"


def test_efa_security_group_allows_all_traffic_to_and_from_itself(sglang8: Run) -> None:
    sg = inputs(one(sglang8, "aws:ec2/securityGroup:SecurityGroup", "gpu-efa-sg"))
    assert {"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}.items() <= sg["ingress"][0].items()
    assert any(e.get("self") and e["protocol"] == "-1" for e in sg["egress"])


def test_on_demand_pool_gets_a_cluster_placement_group(sglang8: Run) -> None:
    pg = one(sglang8, "aws:ec2/placementGroup:PlacementGroup")
    assert inputs(pg)["strategy"] == "cluster"
    lt = inputs(one(sglang8, "aws:ec2/launchTemplate:LaunchTemplate", "gpu-lt"))
    assert lt["placement"]["groupName"] == "gpu-placement"


def test_gpu_node_group(sglang8: Run) -> None:
    ng = inputs(one(sglang8, "aws:eks/nodeGroup:NodeGroup", "gpu-nodes"))
    assert ng["amiType"] == "AL2023_x86_64_NVIDIA"
    assert ng["instanceTypes"] == ["p5en.48xlarge"]
    assert ng["scalingConfig"] == {"desiredSize": 2, "minSize": 2, "maxSize": 2}
    assert ng["capacityType"] == "ON_DEMAND"
    assert ng["labels"]["dsr1.io/pool"] == "gpu"
    assert ng["taints"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}]
    assert ng["releaseVersion"]


def test_system_nodes_are_in_the_gpu_pools_zone(sglang8: Run) -> None:
    system = inputs(one(sglang8, "aws:eks/nodeGroup:NodeGroup", "cluster-system-nodes"))
    gpu = inputs(one(sglang8, "aws:eks/nodeGroup:NodeGroup", "gpu-nodes"))
    assert system["subnetIds"] == gpu["subnetIds"]
    assert system["labels"] == {"dsr1.io/pool": "system"}


def test_device_plugins_are_pinned_and_tolerate_the_gpu_taint(sglang8: Run) -> None:
    releases = {inputs(r)["name"]: inputs(r) for r in all_of(sglang8, "kubernetes:helm.sh/v3:Release")}
    for name in ("nvidia-device-plugin", "aws-efa-k8s-device-plugin"):
        assert releases[name]["version"]
        assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in releases[name]["values"][
            "tolerations"
        ]


def test_cache_is_a_protected_fsx_file_system_bound_through_a_static_volume(sglang8: Run) -> None:
    fs = one(sglang8, "aws:fsx/lustreFileSystem:LustreFileSystem")
    fsx = inputs(fs)
    # Two nodes load R1 at once within 15 minutes: 2400 GiB at 1000 MB/s/TiB (specs/cache_sizing.py).
    assert (fsx["deploymentType"], fsx["storageCapacity"], fsx["perUnitStorageThroughput"]) == (
        "PERSISTENT_2",
        2400,
        1000,
    )
    assert fsx["subnetIds"] == inputs(one(sglang8, "aws:eks/nodeGroup:NodeGroup", "gpu-nodes"))["subnetIds"][0]
    assert fs.options["protect"] is True and fs.options["retainOnDelete"] is True
    pv = inputs(one(sglang8, "kubernetes:core/v1:PersistentVolume"))["spec"]
    assert pv["csi"] == {
        "driver": "fsx.csi.aws.com",
        "volumeHandle": "model-cache-fsx-id",
        "volumeAttributes": {"dnsname": "model-cache-fsx.fsx.mock.amazonaws.com", "mountname": "mockmnt"},
    }
    assert pv["persistentVolumeReclaimPolicy"] == "Retain" and pv["accessModes"] == ["ReadWriteMany"]
    claim = one(sglang8, "kubernetes:core/v1:PersistentVolumeClaim")
    spec = inputs(claim)["spec"]
    assert spec["accessModes"] == ["ReadWriteMany"] and spec["storageClassName"] == ""
    assert spec["volumeName"] == "model-cache-deepseek-r1-volume"
    assert claim.options["retainOnDelete"] is True
    classes = [inputs(r) for r in sglang8.registrations if r.type.endswith(":StorageClass")]
    assert [c["provisioner"] for c in classes] == ["ebs.csi.aws.com"]  # the platform's, not the cache's


def test_the_csi_driver_mounts_only_and_needs_no_aws_permissions(sglang8: Run) -> None:
    addons = {inputs(r)["addonName"]: inputs(r) for r in all_of(sglang8, "aws:eks/addon:Addon")}
    assert set(addons) == {"aws-fsx-csi-driver", "aws-ebs-csi-driver", "vpc-cni", "eks-pod-identity-agent"}
    assert (
        addons["aws-fsx-csi-driver"]["addonVersion"] and "podIdentityAssociations" not in addons["aws-fsx-csi-driver"]
    )
    assert not all_of(sglang8, "aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert not any(
        "FSx" in str(inputs(r)) for r in all_of(sglang8, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    )


def test_download_job_is_unique_per_revision_and_waited_on(sglang8: Run) -> None:
    job = one(sglang8, "kubernetes:batch/v1:Job", "model-download-job")
    meta = inputs(job)["metadata"]
    assert meta["name"] == "download-deepseek-r1-56d4cbbb4d"
    assert job.options["customTimeouts"]["create"] == "360m"
    assert "pulumi.com/skipAwait" not in meta.get("annotations", {})


def test_download_job_reads_the_token_from_the_secret_as_a_file(sglang8: Run) -> None:
    pod = inputs(one(sglang8, "kubernetes:batch/v1:Job", "model-download-job"))["spec"]["template"]["spec"]
    secret = inputs(one(sglang8, "kubernetes:core/v1:Secret", "model-download-hf-token"))
    (token_volume,) = [v for v in pod["volumes"] if "secret" in v]
    assert token_volume["secret"]["secretName"] == secret["metadata"]["name"]
    env = {e["name"]: e for e in pod["containers"][0]["env"]}
    assert env["HF_TOKEN_PATH"]["value"].startswith("/var/run/secrets/")
    assert "HF_TOKEN" not in env
    assert secret["stringData"] == {"token": "[secret]"}


def test_download_does_not_wait_for_the_gpu_node_group(sglang8: Run) -> None:
    job = one(sglang8, "kubernetes:batch/v1:Job", "model-download-job")
    gpu_pool = one(sglang8, "dsr1:index:GpuNodePool")
    gpu_nodes = one(sglang8, "aws:eks/nodeGroup:NodeGroup", "gpu-nodes")
    waits_for = closure(sglang8, job)
    assert gpu_nodes.urn not in waits_for and gpu_pool.urn not in waits_for
    assert one(sglang8, "kubernetes:core/v1:PersistentVolumeClaim").urn in waits_for


def test_graph_waits_for_the_download_the_platform_and_the_gpu_nodes(sglang8: Run) -> None:
    dgd = one(sglang8, "kubernetes:nvidia.com/v1alpha1:DynamoGraphDeployment")
    waits_for = closure(sglang8, dgd)
    assert one(sglang8, "kubernetes:batch/v1:Job", "model-download-job").urn in waits_for
    assert one(sglang8, "aws:eks/nodeGroup:NodeGroup", "gpu-nodes").urn in waits_for
    platform = [r for r in all_of(sglang8, "kubernetes:helm.sh/v3:Release") if inputs(r)["name"] == "dynamo-platform"]
    assert platform[0].urn in dgd.dependencies


def test_platform_release_is_pinned_and_kept_off_gpu_nodes(sglang8: Run) -> None:
    (platform,) = [
        inputs(r) for r in all_of(sglang8, "kubernetes:helm.sh/v3:Release") if inputs(r)["name"] == "dynamo-platform"
    ]
    assert platform["version"] == "1.6.1" and platform["chart"] == "dynamo-platform"  # dynamo.version
    values: dict[str, Any] = platform["values"]
    assert values["global"]["nats"]["install"] is False  # set explicitly: 1.6's default planes are TCP and ZMQ
    terms = values["dynamo-operator"]["controllerManager"]["affinity"]["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ]["nodeSelectorTerms"]
    assert terms == [{"matchExpressions": [{"key": "dsr1.io/pool", "operator": "In", "values": ["system"]}]}]
    assert values["nats"]["podTemplate"]["merge"]["spec"]["affinity"]["nodeAffinity"]
    assert values["global"]["grove"]["install"] is False  # single-node workers need no gang scheduler
    assert "kai-scheduler" not in values  # nor KAI's staleness setting


def test_outputs(sglang8: Run) -> None:
    out = sglang8.outputs
    assert out["frontendUrl"] == "http://sgl-dsr1-8gpu-frontend.dynamo.svc.cluster.local:8000/v1"
    assert out["portForwardCommand"] == "kubectl -n dynamo port-forward svc/sgl-dsr1-8gpu-frontend 8000:8000"
    assert out["kubeconfig"] == "[secret]"
    assert out["gpus"] == 16 and out["gpuNodes"] == 2
    assert out["gpuCostPerHourUsd"] == round(2 * 63.296, 2)


def test_namespace_is_retained_with_the_cache(sglang8: Run) -> None:
    assert one(sglang8, "kubernetes:core/v1:Namespace").options["retainOnDelete"] is True


def test_device_plugins_run_on_gpu_nodes_only(sglang8: Run) -> None:
    releases = {inputs(r)["name"]: inputs(r) for r in all_of(sglang8, "kubernetes:helm.sh/v3:Release")}
    gpu_labels = inputs(one(sglang8, "aws:eks/nodeGroup:NodeGroup", "gpu-nodes"))["labels"]
    system_labels = inputs(one(sglang8, "aws:eks/nodeGroup:NodeGroup", "cluster-system-nodes"))["labels"]
    for name in ("nvidia-device-plugin", "aws-efa-k8s-device-plugin"):
        selector = releases[name]["values"]["nodeSelector"]
        assert selector.items() <= gpu_labels.items(), name
        assert not selector.items() <= system_labels.items(), name
