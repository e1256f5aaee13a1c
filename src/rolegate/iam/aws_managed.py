"""AWS managed policies: the ``arn:aws:iam::aws:policy/…`` namespace every account sees, read-only.

The policies and their real documents ship as ``data/aws_managed_policies.json`` (regenerated from a public
archive by ``scripts/regenerate_aws_managed_policies.py``); they are loaded once per process, on first use.
Only the default version of each is shipped, which is the version GetPolicy names.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .entities import ManagedPolicyRecord, PolicyVersionRecord

AWS_ACCOUNT = "aws"  # the account field of an AWS managed policy's ARN
AWS_POLICY_ARN_PREFIX = "arn:aws:iam::aws:policy/"


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


def is_aws_managed_arn(arn: str) -> bool:
    return arn.startswith(AWS_POLICY_ARN_PREFIX)


def aws_managed_policy(arn: str) -> AwsManagedPolicy | None:
    return _catalog().get(arn)


def aws_managed_policies() -> list[AwsManagedPolicy]:
    """All of them, ordered by lower-cased name."""
    return sorted(_catalog().values(), key=lambda p: p.policy.name.lower())


def _date(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
