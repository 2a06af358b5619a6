"""The EKS control plane: logs, Secrets under the stack's key, endpoint access and admins from config."""

import json
from collections.abc import Callable
from typing import Any

import pytest

from config.errors import ConfigError
from offline.report import inputs
from offline.run import Run
from tests.support import render, stack_values

ADMINS = ["arn:aws:iam::123456789012:role/github-ci", "arn:aws:iam::123456789012:user/alice"]


def with_target(**fields: Any) -> str:
    return f"target={json.dumps({**stack_values('h200-sglang-8')['target'], **fields})}"


def _one(run: Run, type_: str, name: str | None = None) -> Any:
    (r,) = [r for r in run.registrations if r.type == type_ and (name is None or r.name == name)]
    return r


def test_control_plane_logs_and_secrets_encryption(sglang8: Run) -> None:
    cluster = _one(sglang8, "aws:eks/cluster:Cluster")
    props = inputs(cluster)
    assert {"api", "audit", "authenticator"} <= set(props["enabledClusterLogTypes"])
    key = _one(sglang8, "aws:kms/key:Key")
    assert props["encryptionConfig"]["resources"] == ["secrets"]
    assert props["encryptionConfig"]["provider"]["keyArn"] == inputs(key).get(
        "arn", props["encryptionConfig"]["provider"]["keyArn"]
    )
    assert inputs(key)["enableKeyRotation"] is True
    # The cluster waits for the role's use of the key and for the log group with its retention.
    grant = _one(sglang8, "aws:iam/rolePolicy:RolePolicy", "cluster-cluster-secrets-key")
    logs = _one(sglang8, "aws:cloudwatch/logGroup:LogGroup")
    assert {grant.urn, logs.urn} <= set(cluster.dependencies)
    assert inputs(logs)["name"] == "/aws/eks/dsr1-h200-sglang-8/cluster" and inputs(logs)["retentionInDays"] == 90


def test_the_secrets_key_goes_with_the_cluster_after_a_deletion_window(rendered: Callable[[str], Run]) -> None:
    key = _one(rendered("gb200"), "aws:kms/key:Key")
    assert key.options["retainOnDelete"] is False  # a full destroy leaves nothing behind (issue 12)
    assert inputs(key)["deletionWindowInDays"] == 30 and inputs(key)["enableKeyRotation"] is True


def test_default_endpoint_is_private_and_public_with_a_warning(sglang8: Run) -> None:
    vpc = inputs(_one(sglang8, "aws:eks/cluster:Cluster"))["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True and vpc["endpointPublicAccess"] is True
    assert vpc["publicAccessCidrs"] == ["0.0.0.0/0"]
    assert "set target.endpointAccess.publicCidrs" in sglang8.outputs["apiEndpoint"]


def test_endpoint_allow_list_and_admins_from_config() -> None:
    run = render(
        "h200-sglang-8",
        with_target(endpointAccess={"publicCidrs": ["203.0.113.0/24"], "private": True}, clusterAdmins=ADMINS),
    )
    vpc = inputs(_one(run, "aws:eks/cluster:Cluster"))["vpcConfig"]
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24"]
    entries = sorted(
        inputs(r)["principalArn"] for r in run.registrations if r.type == "aws:eks/accessEntry:AccessEntry"
    )
    assert entries == ["arn:aws:iam::123456789012:role/github-ci", "arn:aws:iam::123456789012:user/alice"]
    policies = [
        inputs(r) for r in run.registrations if r.type == "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
    ]
    assert len(policies) == 2
    assert {p["policyArn"] for p in policies} == {"arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"}
    assert all(p["accessScope"] == {"type": "cluster"} for p in policies)


@pytest.mark.parametrize(
    "fields",
    [
        {"clusterAdmins": ["arn:aws:iam::12345:role/ci"]},
        {"clusterAdmins": ["ci-role"]},
        {"endpointAccess": {"publicCidrs": ["10.0.0.1/8"]}},
        {"endpointAccess": {"public": False, "private": False}},
    ],
)
def test_bad_access_config_is_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as e:
        render("h200-sglang-8", with_target(**fields))
    assert f"target.{next(iter(fields))}" in str(e.value)
