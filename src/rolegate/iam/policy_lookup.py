"""Finding a managed policy by ARN as an account sees it: its own customer managed policies and AWS's.

One rule shared by every service that names a managed policy: attaching one (roles, users, groups) and
setting one as a permissions boundary (PutRolePermissionsBoundary, PutUserPermissionsBoundary, and the
``PermissionsBoundary`` of CreateRole/CreateUser). Call these inside the caller's own transaction.
"""

from __future__ import annotations

from rolegate.core.arns import DEFAULT_PARTITION, parse_arn
from rolegate.core.errors import InvalidInput, NoSuchEntity


from .aws_managed import AWS_ACCOUNT, aws_managed_policy
from .entities import ManagedPolicyRecord
from .ports import HasManagedPolicies


def find_managed_policy(tx: HasManagedPolicies, account_id: str, arn: str,
                        partition: str = DEFAULT_PARTITION) -> ManagedPolicyRecord | None:
    """The managed policy ``arn`` names, if ``account_id`` (in ``partition``) can see it (its own, or an AWS
    managed one of its own partition: another partition's copy is out of its reach, as everything there is)."""
    parsed = parse_arn(arn)
    if parsed is None or parsed.service != "iam" or not parsed.resource.startswith("policy/"):
        return None
    if parsed.partition != partition:
        return None
    if parsed.account == AWS_ACCOUNT:
        found = aws_managed_policy(arn)
        return found.policy if found else None
    if parsed.account != account_id:
        return None  # another account's customer managed policies cannot be attached here
    return tx.managed_policies.get_by_arn(arn)


def check_boundary_arn(arn: str) -> None:
    """The syntactic rule: a boundary must be a managed policy ARN (IAM User Guide, "Permissions boundaries")."""
    parsed = parse_arn(arn)
    if parsed is None or parsed.service != "iam" or not parsed.resource.startswith("policy/"):
        raise InvalidInput(f"ARN {arn} is not valid.")


def require_attachable_policy(tx: HasManagedPolicies, account_id: str, arn: str,
                              partition: str = DEFAULT_PARTITION) -> ManagedPolicyRecord:
    """AttachRolePolicy/AttachUserPolicy/AttachGroupPolicy: NoSuchEntity unless the policy exists here."""
    policy = find_managed_policy(tx, account_id, arn, partition)
    if policy is None:
        raise NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")
    return policy


def check_permissions_boundary(tx: HasManagedPolicies, account_id: str, arn: str,
                               partition: str = DEFAULT_PARTITION) -> None:
    """Put{Role,User}PermissionsBoundary and Create{Role,User}: the boundary must name an existing managed
    policy (customer managed in this account, or AWS managed); AWS answers NoSuchEntity with "Scope ARN"."""
    check_boundary_arn(arn)
    if find_managed_policy(tx, account_id, arn, partition) is None:
        raise NoSuchEntity(f"Scope ARN: {arn} does not exist or is not attachable.")
