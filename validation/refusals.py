"""Values a cluster or AWS would refuse, or that would be dangerous, refused before anything is created.

- Reserved namespaces: the stack owns the graph's Namespace (and puts a default-deny NetworkPolicy in it), so it
  must not be one the cluster runs on (Kubernetes "Namespaces": default, kube-system, kube-public,
  kube-node-lease are created by the cluster) nor the Dynamo platform's own.
- Duplicate taints: Kubernetes refuses a node whose taints repeat a key and effect pair (ValidateNodeTaints:
  "taints must be unique by key and effect pair"); the EKS node group would not register its nodes.
- Zones: a Region zone's code is the Region code followed by a letter (AWS "Availability Zones"); a zone listed
  twice would be two subnets of one zone. No Region has more than six zones (us-east-1, the largest, lists
  use1-az1..az6 in AWS's table), so a letter past 'f' cannot exist (check: a Region that grows a seventh zone);
  the preflight asks EC2 about every zone online.
- The Hugging Face token belongs in `hfToken` as a secret only: anywhere else (a worker's env, extraArgs, any
  other value) it would be written in plain text to the render, the state and the pod specs.
"""

import ipaddress
import re
from collections.abc import Iterator, Mapping
from typing import Any

from config.errors import Problem
from config.k8s_types import check_aws_region
from config.keys import key
from config.schema import EksTarget, StackConfig
from specs import aws_specs
from specs.network_policies import NOT_INTERNET

RESERVED_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
REGION_ZONE_LETTERS = "abcdef"
HF_TOKEN = re.compile(r"hf_[A-Za-z0-9]{30,}")
"""A Hugging Face user access token: `hf_` and 34 letters (the gitleaks and detect-secrets rule); 30 or more
letters or digits here, the policy pack's pattern, so a near miss is caught too."""
TOKEN_ENV_NAMES = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACE_HUB_TOKEN", "HF_API_TOKEN")
"""Environment variables huggingface_hub reads the token from (HF_TOKEN; the older HUGGING_FACE_HUB_TOKEN)."""


def _namespaces(cfg: StackConfig) -> Iterator[Problem]:
    for name, value in (("serving.namespace", cfg.serving.namespace), ("dynamo.namespace", cfg.dynamo.namespace)):
        if value in RESERVED_NAMESPACES:
            yield Problem(
                key(name),
                f"{value!r} is a namespace the cluster itself runs on; the stack would own it and deny traffic in it.",
                "use a namespace of its own, such as 'dynamo' (graph) or 'dynamo-system' (platform).",
            )
    if cfg.serving.namespace == cfg.dynamo.namespace:
        yield Problem(
            key("serving.namespace"),
            f"{cfg.serving.namespace!r} is the Dynamo platform's namespace (dynamo.namespace); the graph's default-deny"
            " policies would cut the operator, NATS and etcd off.",
            "give the graph a namespace of its own, such as 'dynamo'.",
        )


def _taints(cfg: StackConfig) -> Iterator[Problem]:
    seen: dict[tuple[str, str], int] = {}
    for i, t in enumerate(cfg.gpu_pool.taints or []):
        if (t.key, t.effect) in seen:
            yield Problem(
                key(f"gpuPool.taints[{i}]"),
                f"repeats taint {seen[(t.key, t.effect)]} ({t.key}:{t.effect}); Kubernetes refuses a node whose taints"
                " repeat a key and effect.",
                "remove one of them (a key may appear once per effect).",
            )
        seen.setdefault((t.key, t.effect), i)


def _zones(cfg: StackConfig, aws_region: str | None) -> Iterator[Problem]:
    t = cfg.target
    if not isinstance(t, EksTarget) or not aws_region or check_aws_region(aws_region) is not None:
        return  # an existing cluster names no zones; rules.py reports a missing or malformed Region
    zones = list(t.availability_zones or [])
    for z in sorted({z for z in zones if zones.count(z) > 1}):
        yield Problem(
            key("target.availabilityZones"),
            f"lists {z} more than once; each zone gets one subnet.",
            "list each zone once (two different zones at least).",
        )
    named = [("target.availabilityZones", z) for z in zones]
    if cfg.gpu_pool.capacity.availability_zone:
        named.append(("gpuPool.capacity.availabilityZone", cfg.gpu_pool.capacity.availability_zone))
    for name, z in named:
        if aws_specs.is_local_zone(z) or not z.startswith(aws_region):
            continue  # Local Zones and zones of another Region: rules.py says what is wrong with those
        letter = z[len(aws_region) :]
        if len(letter) != 1 or letter not in REGION_ZONE_LETTERS:
            yield Problem(
                key(name),
                f"{z} cannot be a zone of {aws_region}: a zone is the Region's code and one letter, a to f.",
                f"use a zone `aws ec2 describe-availability-zones --region {aws_region}` lists (e.g. {aws_region}a).",
            )


def _vpc_private(cfg: StackConfig) -> Iterator[Problem]:
    """The Jobs' "internet only" egress leaves out the private ranges (specs/network_policies.NOT_INTERNET): a VPC
    on public addresses would be reachable from them as if it were the internet. AWS allows such a VPC; this
    stack does not."""
    t = cfg.target
    if not isinstance(t, EksTarget):
        return
    name, cidr = ("target.vpcCidr", t.vpc_cidr) if t.network is None else ("target.network.vpcCidr", t.network.vpc_cidr)
    if cidr is None:
        return
    try:
        network = ipaddress.IPv4Network(str(cidr))
    except ValueError:
        return  # rules.py says what is wrong with it
    if not any(network.subnet_of(ipaddress.IPv4Network(p)) for p in NOT_INTERNET[:4]):
        yield Problem(
            key(name),
            f"{cidr} is not a private range; the download and benchmark Jobs may reach only public addresses, so"
            " they could reach this VPC.",
            "use a block inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10.",
        )


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _strings(k, path)
            yield from _strings(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


def token_problems(values: Mapping[str, Any]) -> list[Problem]:
    """The raw config values (all but hfToken): a token-shaped string or a token variable anywhere is refused."""
    found: list[Problem] = []
    for path, text in _strings(values, ""):
        if HF_TOKEN.search(text):
            found.append(
                Problem(
                    key(path),
                    "holds what looks like a Hugging Face token, in plain text (it would be written to the render,"
                    " the state and the pod specs).",
                    "remove it, revoke it at huggingface.co/settings/tokens, and give the new one only as"
                    " `pulumi config set --secret hfToken hf_...`.",
                )
            )
    serving = values.get("serving")
    envs: list[tuple[str, Any]] = []
    if isinstance(serving, Mapping):
        envs.append(("serving.env", serving.get("env")))
        for role in ("prefill", "decode"):
            worker = serving.get(role)
            envs.append((f"serving.{role}.env", worker.get("env") if isinstance(worker, Mapping) else None))
    for path, env in envs:
        for name in env if isinstance(env, Mapping) else {}:
            if str(name).upper() in TOKEN_ENV_NAMES:
                found.append(
                    Problem(
                        key(f"{path}.{name}"),
                        "passes the Hugging Face token to the serving pods in plain text; they read the weights from"
                        " the cache and need no token.",
                        "remove it; the download Job alone gets the token, from hfToken as a Kubernetes Secret.",
                    )
                )
    return found


def problems(cfg: StackConfig, aws_region: str | None) -> list[Problem]:
    return [*_namespaces(cfg), *_taints(cfg), *_zones(cfg, aws_region), *_vpc_private(cfg)]
