"""Managed policies as the domain service enforces them: versions, deletion rules, attachments, exact
usage counts, permissions boundaries, and the read-only AWS managed policies."""

from __future__ import annotations

import json

import pytest

from rolegate.core.clock import FixedClock
from rolegate.core.errors import (
    AccessDenied,
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
)
from rolegate.iam.accounts import AccountService
from rolegate.iam.limits import IamLimits
from rolegate.iam.policies import ManagedPolicyService
from rolegate.iam.roles import RoleService
from rolegate.store.sql import SqlStore

from .conftest import ACCOUNT
from tests.iam.conftest import Requests

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
DOC = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                          "Resource": "*"}]})
DOC2 = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket",
                                                           "Resource": "*"}]})
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


@pytest.fixture
def policies(store: SqlStore, clock: FixedClock, accounts: AccountService) -> ManagedPolicyService:
    return ManagedPolicyService(store)


def _arn(name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT}:policy{path}{name}"


def test_create_policy_gives_an_anpa_id_the_account_arn_and_version_v1(policies: ManagedPolicyService,
                                                                       req: Requests) -> None:
    view = policies.create_policy(req(ACCOUNT), "p1", DOC, path="/team/", description="d", tags=[("k", "v")])
    assert view.policy.policy_id.startswith("ANPA") and len(view.policy.policy_id) == 21
    assert view.policy.arn == _arn("p1", "/team/")
    assert view.policy.default_version_id == "v1"
    got = policies.get_policy(req(ACCOUNT), view.policy.arn)
    assert (got.attachment_count, got.boundary_count) == (0, 0)
    assert got.policy.tags == (("k", "v"),) and got.policy.description == "d"
    assert policies.get_policy_version(req(ACCOUNT), view.policy.arn, "v1").version.document == DOC


def test_policy_names_are_unique_per_account_ignoring_case(policies: ManagedPolicyService, req: Requests) -> None:
    policies.create_policy(req(ACCOUNT), "Same", DOC)
    with pytest.raises(EntityAlreadyExists, match="A policy called SAME already exists"):
        policies.create_policy(req(ACCOUNT), "SAME", DOC)


def test_a_document_over_6144_non_whitespace_characters_is_limit_exceeded(policies: ManagedPolicyService,
                                                                          req: Requests) -> None:
    big = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": [f"s3:GetObject{i}" for i in range(500)], "Resource": "*"}]})
    with pytest.raises(LimitExceeded, match="PolicySize: 6144"):
        policies.create_policy(req(ACCOUNT), "big", big)
    assert policies.list_policies(req(ACCOUNT), scope="Local").items == []


def test_a_malformed_document_is_refused(policies: ManagedPolicyService, req: Requests) -> None:
    with pytest.raises(MalformedPolicyDocument):
        policies.create_policy(req(ACCOUNT), "bad", "{not json")


def test_a_policy_holds_at_most_five_versions_and_ids_are_never_reused(policies: ManagedPolicyService,
                                                                       req: Requests) -> None:
    arn = policies.create_policy(req(ACCOUNT), "v", DOC).policy.arn
    for _ in range(4):
        policies.create_policy_version(req(ACCOUNT), arn, DOC2)
    with pytest.raises(LimitExceeded, match="A managed policy can have up to 5 versions"):
        policies.create_policy_version(req(ACCOUNT), arn, DOC2)
    policies.delete_policy_version(req(ACCOUNT), arn, "v5")
    assert policies.create_policy_version(req(ACCOUNT), arn, DOC2).version.version_id == "v6"
    ids = [v.version.version_id for v in policies.list_policy_versions(req(ACCOUNT), arn).items]
    assert ids == ["v6", "v4", "v3", "v2", "v1"]


def test_set_as_default_moves_the_default_and_the_update_date(policies: ManagedPolicyService,
                                                              clock: FixedClock, req: Requests) -> None:
    arn = policies.create_policy(req(ACCOUNT), "d", DOC).policy.arn
    clock.advance(60)
    view = policies.create_policy_version(req(ACCOUNT), arn, DOC2, set_as_default=True)
    got = policies.get_policy(req(ACCOUNT), arn).policy
    assert view.is_default and got.default_version_id == "v2" and got.updated_at > got.created_at
    policies.set_default_policy_version(req(ACCOUNT), arn, "v1")
    assert policies.get_policy_version(req(ACCOUNT), arn, "v1").is_default
    assert not policies.get_policy_version(req(ACCOUNT), arn, "v2").is_default


def test_the_default_version_cannot_be_deleted(policies: ManagedPolicyService, req: Requests) -> None:
    arn = policies.create_policy(req(ACCOUNT), "dd", DOC).policy.arn
    with pytest.raises(DeleteConflict, match="Cannot delete the default version of a policy."):
        policies.delete_policy_version(req(ACCOUNT), arn, "v1")


def test_a_missing_version_is_no_such_entity(policies: ManagedPolicyService, req: Requests) -> None:
    arn = policies.create_policy(req(ACCOUNT), "mv", DOC).policy.arn
    with pytest.raises(NoSuchEntity, match="version v9 does not exist"):
        policies.set_default_policy_version(req(ACCOUNT), arn, "v9")


def test_delete_policy_is_refused_while_other_versions_exist(policies: ManagedPolicyService, req: Requests) -> None:
    arn = policies.create_policy(req(ACCOUNT), "ov", DOC).policy.arn
    policies.create_policy_version(req(ACCOUNT), arn, DOC2)
    with pytest.raises(DeleteConflict, match="This policy has more than one version"):
        policies.delete_policy(req(ACCOUNT), arn)
    policies.delete_policy_version(req(ACCOUNT), arn, "v2")
    policies.delete_policy(req(ACCOUNT), arn)
    with pytest.raises(NoSuchEntity):
        policies.get_policy(req(ACCOUNT), arn)


def test_counts_follow_every_attach_detach_and_boundary_change(policies: ManagedPolicyService,
                                                               roles: RoleService, req: Requests) -> None:
    arn = policies.create_policy(req(ACCOUNT), "cnt", DOC).policy.arn
    roles.create_role(req(ACCOUNT), "r1", TRUST)
    roles.create_role(req(ACCOUNT), "r2", TRUST)
    policies.attach(req(ACCOUNT), "Role", "r1", arn)
    policies.attach(req(ACCOUNT), "Role", "r1", arn)  # again: no change
    policies.attach(req(ACCOUNT), "Role", "r2", arn)
    roles.put_permissions_boundary(req(ACCOUNT), "r1", arn)

    def counts() -> tuple[int, int]:
        v = policies.get_policy(req(ACCOUNT), arn)
        return v.attachment_count, v.boundary_count

    assert counts() == (2, 1)
    with pytest.raises(DeleteConflict, match="Cannot delete a policy attached to entities."):
        policies.delete_policy(req(ACCOUNT), arn)
    policies.detach(req(ACCOUNT), "Role", "r2", arn)
    assert counts() == (1, 1)
    roles.delete_permissions_boundary(req(ACCOUNT), "r1")
    assert counts() == (1, 0)
    policies.detach(req(ACCOUNT), "Role", "r1", arn)
    assert counts() == (0, 0)
    policies.delete_policy(req(ACCOUNT), arn)


def test_a_role_takes_at_most_its_quota_of_managed_policies(store: SqlStore, clock: FixedClock,
                                                             accounts: AccountService, roles: RoleService,
                                                             req: Requests) -> None:
    svc = ManagedPolicyService(store, IamLimits(managed_policies_per_role=2))
    roles.create_role(req(ACCOUNT), "lim", TRUST)
    arns = [svc.create_policy(req(ACCOUNT), f"lim{i}", DOC).policy.arn for i in range(3)]
    svc.attach(req(ACCOUNT), "Role", "lim", arns[0])
    svc.attach(req(ACCOUNT), "Role", "lim", arns[1])
    with pytest.raises(LimitExceeded, match="Cannot exceed quota for PoliciesPerRole: 2"):
        svc.attach(req(ACCOUNT), "Role", "lim", arns[2])
    assert [a.arn for a in svc.list_attached(req(ACCOUNT), "Role", "lim").items] == sorted(arns[:2])


@pytest.mark.parametrize("kind", ["User", "Group"])
def test_a_user_and_a_group_take_at_most_their_quota_of_managed_policies(store: SqlStore, clock: FixedClock,
                                                                         accounts: AccountService, req: Requests,
                                                                         kind: str) -> None:
    from rolegate.iam.groups import GroupService
    from rolegate.iam.users import UserService

    svc = ManagedPolicyService(store, IamLimits(managed_policies_per_user=2, managed_policies_per_group=2))
    if kind == "User":
        UserService(store).create_user(req(ACCOUNT), "lim")
    else:
        GroupService(store).create_group(req(ACCOUNT), "lim")
    arns = [svc.create_policy(req(ACCOUNT), f"lim{i}", DOC).policy.arn for i in range(3)]
    svc.attach(req(ACCOUNT), kind, "lim", arns[0])
    svc.attach(req(ACCOUNT), kind, "lim", arns[1])
    with pytest.raises(LimitExceeded, match=f"Cannot exceed quota for PoliciesPer{kind}: 2"):
        svc.attach(req(ACCOUNT), kind, "lim", arns[2])


def test_an_account_holds_at_most_its_quota_of_customer_managed_policies(store: SqlStore, clock: FixedClock,
                                                                         accounts: AccountService,
                                                                         req: Requests) -> None:
    svc = ManagedPolicyService(store, IamLimits(customer_managed_policies_per_account=2))
    svc.create_policy(req(ACCOUNT), "q0", DOC)
    svc.create_policy(req(ACCOUNT), "q1", DOC)
    with pytest.raises(LimitExceeded, match="Cannot exceed quota for PoliciesPerAccount: 2."):
        svc.create_policy(req(ACCOUNT), "q2", DOC)


def test_attaching_a_nonexistent_policy_is_no_such_entity(policies: ManagedPolicyService,
                                                          roles: RoleService, req: Requests) -> None:
    roles.create_role(req(ACCOUNT), "ne", TRUST)
    missing = _arn("nope")
    with pytest.raises(NoSuchEntity, match=f"Policy {missing} does not exist or is not attachable."):
        policies.attach(req(ACCOUNT), "Role", "ne", missing)
    with pytest.raises(NoSuchEntity, match="does not exist or is not attachable"):
        policies.attach(req(ACCOUNT), "Role", "ne", "arn:aws:iam::aws:policy/NoSuchAwsPolicy")


def test_detaching_a_policy_that_is_not_attached_is_no_such_entity(policies: ManagedPolicyService,
                                                                   roles: RoleService, req: Requests) -> None:
    roles.create_role(req(ACCOUNT), "dt", TRUST)
    with pytest.raises(NoSuchEntity, match=f"Policy {ADMIN} was not found."):
        policies.detach(req(ACCOUNT), "Role", "dt", ADMIN)


def test_aws_managed_policies_exist_with_their_real_documents(policies: ManagedPolicyService, req: Requests) -> None:
    view = policies.get_policy(req(ACCOUNT), ADMIN)
    assert view.policy.policy_id == "ANPAIWMBCKSKIEE64ZLYK" and view.policy.path == "/"
    doc = json.loads(policies.get_policy_version(req(ACCOUNT), ADMIN, "v1").version.document)
    assert doc["Statement"] == [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    ro = policies.get_policy(req(ACCOUNT), "arn:aws:iam::aws:policy/ReadOnlyAccess").policy
    ro_doc = json.loads(policies.get_policy_version(req(ACCOUNT), ro.arn, ro.default_version_id).version.document)
    actions = [a for statement in ro_doc["Statement"] for a in statement["Action"]]
    assert "s3:Get*" in actions and len(actions) > 1000


def test_aws_managed_policies_are_read_only(policies: ManagedPolicyService, req: Requests) -> None:
    with pytest.raises(AccessDenied, match="iam:CreatePolicyVersion on resource: policy " + ADMIN):
        policies.create_policy_version(req(ACCOUNT), ADMIN, DOC)
    with pytest.raises(AccessDenied):
        policies.delete_policy(req(ACCOUNT), ADMIN)
    with pytest.raises(AccessDenied):
        policies.tag_policy(req(ACCOUNT), ADMIN, [("k", "v")])


def test_list_policies_scopes_aws_and_local(policies: ManagedPolicyService, req: Requests) -> None:
    policies.create_policy(req(ACCOUNT), "local1", DOC)
    local = [v.policy.name for v in policies.list_policies(req(ACCOUNT), scope="Local").items]
    aws = [v.policy.arn for v in policies.list_policies(req(ACCOUNT), scope="AWS", max_items=1000).items]
    assert local == ["local1"]
    assert ADMIN in aws and "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" in aws


def test_list_policies_only_attached_and_usage_filter(policies: ManagedPolicyService, roles: RoleService,
                                                      req: Requests) -> None:
    a = policies.create_policy(req(ACCOUNT), "att", DOC).policy.arn
    b = policies.create_policy(req(ACCOUNT), "bnd", DOC).policy.arn
    policies.create_policy(req(ACCOUNT), "unused", DOC)
    roles.create_role(req(ACCOUNT), "u1", TRUST)
    policies.attach(req(ACCOUNT), "Role", "u1", a)
    roles.put_permissions_boundary(req(ACCOUNT), "u1", b)

    def names(**kw: object) -> list[str]:
        return [v.policy.name for v in policies.list_policies(req(ACCOUNT), scope="Local", only_attached=True,
                                                              **kw).items]  # type: ignore[arg-type]

    assert names() == ["att", "bnd"]
    assert names(usage_filter="PermissionsPolicy") == ["att"]
    assert names(usage_filter="PermissionsBoundary") == ["bnd"]


def test_list_policies_pages_with_a_marker(policies: ManagedPolicyService, req: Requests) -> None:
    for i in range(5):
        policies.create_policy(req(ACCOUNT), f"pg{i}", DOC, path="/pg/")
    first = policies.list_policies(req(ACCOUNT), path_prefix="/pg/", max_items=2)
    seen = [v.policy.name for v in first.items]
    marker = first.marker
    while marker:
        page = policies.list_policies(req(ACCOUNT), path_prefix="/pg/", max_items=2, marker=marker)
        seen += [v.policy.name for v in page.items]
        marker = page.marker
    assert first.is_truncated and seen == [f"pg{i}" for i in range(5)]


def test_permissions_boundary_must_name_an_existing_policy(policies: ManagedPolicyService,
                                                           roles: RoleService, req: Requests) -> None:
    roles.create_role(req(ACCOUNT), "pb", TRUST)
    with pytest.raises(NoSuchEntity, match="does not exist or is not attachable"):
        roles.put_permissions_boundary(req(ACCOUNT), "pb", _arn("missing"))
    with pytest.raises(NoSuchEntity):
        roles.create_role(req(ACCOUNT), "pb2", TRUST, permissions_boundary_arn=_arn("missing"))
    roles.put_permissions_boundary(req(ACCOUNT), "pb", ADMIN)
    assert roles.get_role(req(ACCOUNT), "pb").permissions_boundary_arn == ADMIN
    assert policies.get_policy(req(ACCOUNT), ADMIN).boundary_count == 1


def test_list_entities_for_policy_filters_by_kind_and_usage(policies: ManagedPolicyService,
                                                            roles: RoleService, req: Requests) -> None:
    arn = policies.create_policy(req(ACCOUNT), "ent", DOC).policy.arn
    roles.create_role(req(ACCOUNT), "e1", TRUST, path="/x/")
    roles.create_role(req(ACCOUNT), "e2", TRUST)
    policies.attach(req(ACCOUNT), "Role", "e1", arn)
    roles.put_permissions_boundary(req(ACCOUNT), "e2", arn)
    everything = [e.name for e in policies.list_entities_for_policy(req(ACCOUNT), arn).items]
    assert everything == ["e1", "e2"]
    assert [e.name for e in policies.list_entities_for_policy(
        req(ACCOUNT), arn, usage_filter="PermissionsBoundary").items] == ["e2"]
    assert [e.name for e in policies.list_entities_for_policy(req(ACCOUNT), arn, path_prefix="/x/").items] == ["e1"]
    assert policies.list_entities_for_policy(req(ACCOUNT), arn, entity_filter="User").items == []


def test_tags_on_a_customer_policy(policies: ManagedPolicyService, req: Requests) -> None:
    arn = policies.create_policy(req(ACCOUNT), "tg", DOC).policy.arn
    policies.tag_policy(req(ACCOUNT), arn, [("a", "1"), ("b", "2")])
    policies.untag_policy(req(ACCOUNT), arn, ["A"])
    assert policies.list_policy_tags(req(ACCOUNT), arn).items == [("b", "2")]
