"""IAM in a partition other than ``aws``: an account lives in the partition it was created in, what is created
in it carries that partition's ARNs, it sees AWS managed policies under that partition's ARNs and no other
partition's copy (docs/adr/0022-partitions.md)."""

from __future__ import annotations

import json

import pytest

from rolegate.authz import Authorizer
from rolegate.authz.caller import root_caller
from rolegate.core.clock import FixedClock
from rolegate.core.errors import InvalidInput, NoSuchEntity
from rolegate.iam.accounts import AccountService
from rolegate.iam.aws_managed import aws_managed_policies, aws_managed_policy, aws_policy_arn, is_aws_managed_arn
from rolegate.iam.policies import ManagedPolicyService
from rolegate.iam.roles import RoleService
from rolegate.store.sql import SqlStore
from tests.iam.conftest import internal

CN = "210987654321"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com.cn"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture
def cn_account(store: SqlStore, clock: FixedClock) -> AccountService:
    svc = AccountService(store, ("aws", "aws-cn"))
    svc.create_account(internal(store, clock), "china", CN, partition="aws-cn")
    return svc


def _cn_request(authz: Authorizer):  # type: ignore[no-untyped-def]
    return authz.request(root_caller(CN, None, "cn-north-1", partition="aws-cn"), "test-request")


def test_an_account_keeps_the_partition_it_was_created_in(cn_account: AccountService) -> None:
    account = cn_account.get_account(CN)
    assert account is not None and account.partition == "aws-cn"


def test_an_account_cannot_be_created_in_a_partition_aws_does_not_have(store: SqlStore, clock: FixedClock) -> None:
    svc = AccountService(store, ("aws", "aws-cn"))
    with pytest.raises(InvalidInput):
        svc.create_account(internal(store, clock), "mars", "444455556666", partition="aws-mars")
    assert svc.get_account("444455556666") is None


def test_a_role_created_in_an_aws_cn_account_has_an_aws_cn_arn(store: SqlStore, authz: Authorizer,
                                                               cn_account: AccountService) -> None:
    role = RoleService(store).create_role(_cn_request(authz), "app", TRUST)
    assert role.arn == f"arn:aws-cn:iam::{CN}:role/app"


def test_aws_managed_policies_are_seen_under_each_partition_s_arns() -> None:
    cn = aws_managed_policy("arn:aws-cn:iam::aws:policy/ReadOnlyAccess")
    aws = aws_managed_policy("arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert cn is not None and aws is not None
    assert cn.policy.arn == "arn:aws-cn:iam::aws:policy/ReadOnlyAccess"
    assert cn.default_version == aws.default_version
    assert is_aws_managed_arn("arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess")
    assert aws_policy_arn("AdministratorAccess", "aws-iso-b") == "arn:aws-iso-b:iam::aws:policy/AdministratorAccess"
    assert all(p.policy.arn.startswith("arn:aws-cn:") for p in aws_managed_policies("aws-cn"))


def test_an_aws_cn_account_attaches_the_aws_cn_copy_and_not_the_commercial_one(
        store: SqlStore, authz: Authorizer, cn_account: AccountService) -> None:
    request = _cn_request(authz)
    RoleService(store).create_role(request, "reader", TRUST)
    policies = ManagedPolicyService(store)
    policies.attach(request, "Role", "reader", "arn:aws-cn:iam::aws:policy/ReadOnlyAccess")
    with pytest.raises(NoSuchEntity) as exc:
        policies.attach(request, "Role", "reader", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    assert str(exc.value) == "Policy arn:aws:iam::aws:policy/IAMReadOnlyAccess does not exist or is not attachable."
    with pytest.raises(NoSuchEntity):
        policies.get_policy(request, "arn:aws:iam::aws:policy/ReadOnlyAccess")


def test_a_customer_policy_named_in_another_partition_is_not_found(store: SqlStore, authz: Authorizer,
                                                                   cn_account: AccountService) -> None:
    request = _cn_request(authz)
    policies = ManagedPolicyService(store)
    document = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",
                                                                   "Resource": "*"}]})
    created = policies.create_policy(request, "mine", document)
    assert created.policy.arn == f"arn:aws-cn:iam::{CN}:policy/mine"
    with pytest.raises(NoSuchEntity):
        policies.get_policy(request, f"arn:aws:iam::{CN}:policy/mine")


def test_a_permissions_boundary_of_another_partition_is_refused(store: SqlStore, authz: Authorizer,
                                                               cn_account: AccountService) -> None:
    roles = RoleService(store)
    with pytest.raises(NoSuchEntity) as exc:
        roles.create_role(_cn_request(authz), "bounded", TRUST,
                          permissions_boundary_arn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert str(exc.value) == "Scope ARN: arn:aws:iam::aws:policy/ReadOnlyAccess does not exist or is not attachable."
    role = roles.create_role(_cn_request(authz), "bounded", TRUST,
                             permissions_boundary_arn="arn:aws-cn:iam::aws:policy/ReadOnlyAccess")
    assert role.permissions_boundary_arn == "arn:aws-cn:iam::aws:policy/ReadOnlyAccess"


def test_list_policies_pages_through_the_whole_catalogue_under_the_partition_s_arns(
        store: SqlStore, authz: Authorizer, cn_account: AccountService) -> None:
    # The marker is a sort key holding the ARN: a page boundary in aws-cn must neither repeat nor skip.
    policies, seen, marker = ManagedPolicyService(store), [], None
    while True:
        page = policies.list_policies(_cn_request(authz), scope="AWS", marker=marker, max_items=97)
        seen += [v.policy.arn for v in page.items]
        if not page.is_truncated:
            break
        marker = page.marker
    assert len(seen) == len(set(seen)) == len(aws_managed_policies())
    assert all(arn.startswith("arn:aws-cn:iam::aws:policy/") for arn in seen)
