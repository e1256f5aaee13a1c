"""ARNs: building and taking apart ``arn:partition:service:region:account:resource``.

Formats follow the IAM User Guide, "IAM identifiers" → "IAM ARNs". The partition is the one of the account the
ARN names (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html: "The partition in which the
resource is located … aws, aws-cn, aws-us-gov"); callers pass the request's (``RequestContext.partition``).
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_PARTITION = "aws"


@dataclass(frozen=True, slots=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


def parse_arn(text: str) -> Arn | None:
    """The parts of an ARN, or None when ``text`` does not have the six colon-separated fields."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2]:
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


def iam_arn(account: str, kind: str, path: str, name: str, partition: str = DEFAULT_PARTITION) -> str:
    """``arn:PARTITION:iam::ACCOUNT:KIND/PATH…NAME`` for a role, user, group, policy or instance profile."""
    return f"arn:{partition}:iam::{account}:{kind}{path}{name}"


def role_arn(account: str, name: str, path: str = "/", partition: str = DEFAULT_PARTITION) -> str:
    return iam_arn(account, "role", path, name, partition)


def account_root_arn(account: str, partition: str = DEFAULT_PARTITION) -> str:
    return f"arn:{partition}:iam::{account}:root"


def assumed_role_arn(account: str, role_name: str, session_name: str, partition: str = DEFAULT_PARTITION) -> str:
    """The session ARN; it carries the role name without the role's path."""
    return f"arn:{partition}:sts::{account}:assumed-role/{role_name}/{session_name}"


def federated_user_arn(account: str, name: str, partition: str = DEFAULT_PARTITION) -> str:
    return f"arn:{partition}:sts::{account}:federated-user/{name}"


def partition_of_arn(text: str) -> str:
    """The partition an ARN names (the default one for text that is no ARN)."""
    arn = parse_arn(text)
    return arn.partition if arn is not None else DEFAULT_PARTITION


# The partitions an ARN may name ("IAM identifiers" → "ARN format"; AWS General Reference, "Amazon Resource
# Names"): the commercial regions, China, GovCloud, the isolated regions and the European Sovereign Cloud.
PARTITIONS = frozenset({"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"})


def is_partition(name: str) -> bool:
    """Whether ``name`` is a partition IAM accepts in a policy's Resource."""
    return name in PARTITIONS
