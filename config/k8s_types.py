"""The naming and value rules of Kubernetes and AWS as reusable pydantic types, so a value that the API server or
AWS would refuse fails validation instead, with a message naming the rule and the fix.

Every check is also a plain function (`check_*`, returning None or what is wrong), for names the program derives.
A failing type raises ValueError("<what is wrong>. Fix: <how>"), which the config edge splits into message and fix.
Sources: Kubernetes "Object Names and IDs", "Labels and Selectors" (syntax and character set), "Taints and
Tolerations", the Quantity grammar (k8s.io/apimachinery resource.Quantity), the EKS API's Taint type (key 1-63,
value 0-63 characters), EC2 instance type naming.
"""

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import AfterValidator

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"
_SUFFIX: dict[str, Decimal] = {
    "": Decimal(1),
    "m": Decimal("0.001"),
    **{s: Decimal(10) ** (3 * i) for i, s in enumerate("kMGTPE", start=1)},
    **{f"{s}i": Decimal(2) ** (10 * i) for i, s in enumerate("KMGTPE", start=1)},
}
_QUANTITY = re.compile(r"^(?P<num>[0-9]+(\.[0-9]*)?|\.[0-9]+)(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[mkMGTPE])?$")


def check_dns1123_label(value: str) -> str | None:
    """Namespaces, most object names: lowercase alphanumerics and '-', alphanumeric at both ends, at most 63."""
    if len(value) > 63 or not re.fullmatch(_LABEL, value):
        return (
            f"{value!r} is not a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter "
            "or digit, at most 63 characters). Fix: use a name such as 'dynamo'"
        )
    return None


def check_dns1035_label(value: str) -> str | None:
    """Service names: a DNS-1123 label that starts with a letter."""
    if len(value) > 63 or not re.fullmatch(r"[a-z]([-a-z0-9]*[a-z0-9])?", value):
        return (
            f"{value!r} is not a DNS-1035 label (a lowercase letter first, then lowercase letters, digits and '-', "
            "ending with a letter or digit, at most 63 characters; Services are named after it). Fix: use a name "
            "such as 'dsr1'"
        )
    return None


def check_dns1123_subdomain(value: str) -> str | None:
    """StorageClass and other object names: dot-separated DNS-1123 labels, at most 253 characters."""
    if len(value) > 253 or not re.fullmatch(rf"{_LABEL}(\.{_LABEL})*", value):
        return (
            f"{value!r} is not a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', starting and ending "
            "with a letter or digit, at most 253 characters). Fix: use the name `kubectl get` shows"
        )
    return None


def check_qualified_name(value: str, max_total: int | None = None) -> str | None:
    """Label and taint keys: an optional DNS subdomain prefix and '/', then a name of at most 63 characters."""
    prefix, _, name = value.rpartition("/")
    bad_prefix = "/" in value and (not prefix or check_dns1123_subdomain(prefix) is not None)
    if bad_prefix or len(name) > 63 or not re.fullmatch(_NAME, name) or (max_total and len(value) > max_total):
        limit = f", at most {max_total} characters in all" if max_total else ""
        return (
            f"{value!r} is not a valid key ([prefix/]name: the name at most 63 letters, digits, '-', '_' or '.', "
            f"alphanumeric at both ends; the prefix a DNS subdomain{limit}). Fix: use a key such as "
            "'example.com/pool'"
        )
    return None


def check_label_value(value: str) -> str | None:
    """Label and taint values: empty, or at most 63 letters, digits, '-', '_' or '.', alphanumeric at both ends."""
    if value and (len(value) > 63 or not re.fullmatch(_NAME, value)):
        return (
            f"{value!r} is not a valid label value (empty, or at most 63 letters, digits, '-', '_' or '.', "
            "alphanumeric at both ends). Fix: shorten it or replace the other characters"
        )
    return None


def check_env_name(value: str) -> str | None:
    """Environment variable names as a C identifier: what every shell and engine launcher can read back."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        return (
            f"{value!r} is not a valid environment variable name (a C identifier: letters, digits and '_', not "
            "starting with a digit). Fix: rename it, e.g. 'NCCL_DEBUG'"
        )
    return None


def quantity_value(value: str) -> Decimal | None:
    """The number a Kubernetes quantity stands for, or None when it is not one (exponent forms are not accepted)."""
    m = _QUANTITY.fullmatch(value)
    if m is None:
        return None
    try:
        return Decimal(m["num"]) * _SUFFIX[m["suffix"] or ""]
    except InvalidOperation:
        return None


def check_positive_quantity(value: str) -> str | None:
    """CPU, memory and shared-memory sizes: a well-formed Kubernetes quantity greater than zero."""
    amount = quantity_value(value)
    if amount is None or amount <= 0:
        return (
            f"{value!r} is not a positive Kubernetes quantity (a number with an optional suffix: m, k, M, G, Ki, Mi, "
            "Gi, Ti...). Fix: use e.g. '16' CPUs or '64Gi'"
        )
    return None


def check_binary_quantity(value: str) -> str | None:
    """Memory sizes as the recipes write them: a positive whole number of Ki, Mi, Gi or Ti."""
    if not re.fullmatch(r"[0-9]+(Ki|Mi|Gi|Ti)", value) or check_positive_quantity(value):
        return f"{value!r} is not a positive size in Ki, Mi, Gi or Ti. Fix: use e.g. '80Gi'"
    return None


def check_absolute_path(value: str) -> str | None:
    """A container's workingDir: an absolute path, no '..' segments."""
    if not value.startswith("/") or ".." in value.split("/") or "\0" in value:
        return f"{value!r} is not an absolute path without '..'. Fix: use e.g. '/workspace'"
    return None


def check_instance_type_name(value: str) -> str | None:
    """An EC2 instance type name: family (letters, digits, '-') '.' size (e.g. m7i.4xlarge, u-p6e-gb200x36)."""
    if not re.fullmatch(
        r"[a-z][a-z0-9-]*[0-9][a-z0-9-]*\.(nano|micro|small|medium|large|[0-9]*xlarge|metal(-[0-9]+xl)?)", value
    ):
        return f"{value!r} is not an EC2 instance type name (family.size). Fix: use e.g. 'm7i.4xlarge'"
    return None


def check_aws_region(value: str) -> str | None:
    """An AWS Region code: e.g. us-east-1, eu-central-2, ap-southeast-4, us-gov-west-1, cn-north-1."""
    if not re.fullmatch(r"(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov)-[a-z]+-[0-9]", value):
        return f"{value!r} is not an AWS Region code. Fix: pulumi config set aws:region us-east-1"
    return None


def check_s3_bucket(value: str) -> str | None:
    """S3 general purpose bucket naming rules (S3 User Guide, "Bucket naming rules"): 3-63 lowercase letters,
    digits, '.' and '-', alphanumeric at both ends, no '..', not an IP address, no reserved prefix or suffix."""
    reserved = value.startswith(("xn--", "sthree-", "amzn-s3-demo-")) or value.endswith(
        ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
    )
    ip = re.fullmatch(r"[0-9]+(\.[0-9]+){3}", value)
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", value) or ".." in value or ip or reserved:
        return (
            f"{value!r} is not a valid S3 bucket name (3-63 lowercase letters, digits, '.' and '-', no '..', not an IP "
            "address, no reserved prefix such as xn-- or suffix such as -s3alias). Fix: choose another name"
        )
    return None


def rule(check: Callable[[str], str | None]) -> AfterValidator:
    """A pydantic validator from a check function."""

    def validate(value: str) -> str:
        problem = check(value)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(validate)


Dns1123Label = Annotated[str, rule(check_dns1123_label)]
Dns1035Label = Annotated[str, rule(check_dns1035_label)]
Dns1123Subdomain = Annotated[str, rule(check_dns1123_subdomain)]
LabelKey = Annotated[str, rule(check_qualified_name)]
LabelValue = Annotated[str, rule(check_label_value)]
TaintKey = Annotated[str, rule(lambda v: check_qualified_name(v, max_total=63))]
"""A label-key-shaped taint key, at most 63 characters in all (the EKS API's Taint limit)."""
TaintValue = Annotated[str, rule(check_label_value)]
EnvName = Annotated[str, rule(check_env_name)]
PositiveQuantity = Annotated[str, rule(check_positive_quantity)]
BinaryQuantity = Annotated[str, rule(check_binary_quantity)]
AbsolutePath = Annotated[str, rule(check_absolute_path)]
InstanceTypeName = Annotated[str, rule(check_instance_type_name)]
S3BucketName = Annotated[str, rule(check_s3_bucket)]
ExtendedResourceName = Annotated[
    str,
    rule(
        lambda v: (
            None
            if "/" in v and not check_qualified_name(v)
            else f"{v!r} is not an extended resource name (domain/name). Fix: use e.g. 'rdma/ib'"
        )
    ),
]
