"""AWS managed policies: the ``arn:PARTITION:iam::aws:policy/…`` namespace every account sees, read-only.

Each partition has its own copy under its own ARNs: an account in ``aws-cn`` sees
``arn:aws-cn:iam::aws:policy/ReadOnlyAccess`` (docs/adr/0022-partitions.md). The shipped catalog is the ``aws``
partition's; the others' are the same policies with the partition of their ARNs replaced.

The policies and their real documents ship as ``data/aws_managed_policies.json`` (regenerated from a public
archive by ``scripts/regenerate_aws_managed_policies.py``); they are loaded once per process, on first use.
Only the default version of each is shipped, which is the version GetPolicy names.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from rolegate.core.arns import DEFAULT_PARTITION, parse_arn

from .entities import ManagedPolicyRecord, PolicyVersionRecord

AWS_ACCOUNT = "aws"  # the account field of an AWS managed policy's ARN
AWS_POLICY_ARN_PREFIX = "arn:aws:iam::aws:policy/"  # in the default partition; see ``aws_policy_arn``


@dataclass(frozen=True, slots=True)
class AwsManagedPolicy:
    policy: ManagedPolicyRecord
    default_version: PolicyVersionRecord


@lru_cache(maxsize=1)
def _catalog() -> dict[str, AwsManagedPolicy]:
    text = resources.files("rolegate.iam").joinpath("data/aws_managed_policies.json").read_text("utf-8")
    out: dict[str, AwsManagedPolicy] = {}
    for p in json.loads(text)["policies"]:
        version = int(p["default_version_id"][1:])
        policy = ManagedPolicyRecord(
            account_id=AWS_ACCOUNT, policy_id=p["policy_id"], name=p["name"], path=p["path"], arn=p["arn"],
            default_version_id=p["default_version_id"], next_version=version + 1,
            created_at=_date(p["create_date"]), updated_at=_date(p["update_date"]), description=p["description"])
        out[p["arn"]] = AwsManagedPolicy(
            policy, PolicyVersionRecord(p["policy_id"], p["default_version_id"], p["document"],
                                        _date(p["update_date"])))
    return out


@lru_cache(maxsize=16)
def _catalog_in(partition: str) -> dict[str, AwsManagedPolicy]:
    if partition == DEFAULT_PARTITION:
        return _catalog()
    out: dict[str, AwsManagedPolicy] = {}
    for shipped in _catalog().values():
        arn = aws_policy_arn(shipped.policy.arn[len(AWS_POLICY_ARN_PREFIX):], partition)
        out[arn] = AwsManagedPolicy(dataclasses.replace(shipped.policy, arn=arn), shipped.default_version)
    return out


def aws_policy_arn(path_and_name: str, partition: str = DEFAULT_PARTITION) -> str:
    """The ARN of the AWS managed policy ``path_and_name`` (``AdministratorAccess``,
    ``aws-service-role/…``) in ``partition``."""
    return f"arn:{partition}:iam::aws:policy/{path_and_name}"


def is_aws_managed_arn(arn: str) -> bool:
    """Whether ``arn`` is in AWS's managed policy namespace, in any partition."""
    parsed = parse_arn(arn)
    return (parsed is not None and parsed.service == "iam" and parsed.account == AWS_ACCOUNT
            and parsed.resource.startswith("policy/"))


def aws_managed_policy(arn: str) -> AwsManagedPolicy | None:
    """The AWS managed policy ``arn`` names, in the partition the ARN names."""
    parsed = parse_arn(arn)
    if parsed is None:
        return None
    return _catalog_in(parsed.partition).get(arn) if parsed.partition != DEFAULT_PARTITION else _catalog().get(arn)


def aws_managed_policies(partition: str = DEFAULT_PARTITION) -> list[AwsManagedPolicy]:
    """All of them as ``partition`` sees them, ordered by lower-cased name."""
    return sorted(_catalog_in(partition).values(), key=lambda p: p.policy.name.lower())


def _date(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
