"""The role lifecycle's rules, below the wire: what RoleService allows, refuses and records."""

from __future__ import annotations

import json

import pytest

from rolegate.authz import RequestContext
from rolegate.core.clock import FixedClock
from rolegate.core.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
    UnmodifiableEntity,
)
from rolegate.iam.limits import IamLimits
from rolegate.iam.roles import RoleService
from rolegate.iam.service_linked_roles import ServiceLinkedRoleService
from rolegate.store.sql import SqlStore

from .conftest import ACCOUNT
from tests.iam.conftest import Requests

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole"}]})
ALLOW_S3 = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


def test_a_new_role_gets_an_aroa_id_an_arn_with_its_path_and_the_clock_s_time(
        roles: RoleService, clock: FixedClock, req: Requests) -> None:
    role = roles.create_role(req(ACCOUNT), "Deploy", TRUST, path="/ci/")
    assert role.role_id.startswith("AROA") and len(role.role_id) == 21
    assert role.arn == f"arn:aws:iam::{ACCOUNT}:role/ci/Deploy"
    assert role.created_at == clock.now()


def test_role_names_collide_ignoring_case(roles: RoleService, req: Requests) -> None:
    roles.create_role(req(ACCOUNT), "Deploy", TRUST)
    with pytest.raises(EntityAlreadyExists, match="Role with name deploy already exists."):
        roles.create_role(req(ACCOUNT), "deploy", TRUST)


def test_the_same_name_in_another_account_is_a_different_role(roles: RoleService, accounts, req: Requests,
                                                              internal_request: RequestContext) -> None:  # type: ignore[no-untyped-def]
    accounts.create_account(internal_request, "other", "999988887777")
    roles.create_role(req(ACCOUNT), "Deploy", TRUST)
    assert roles.create_role(req("999988887777"), "Deploy", TRUST).account_id == "999988887777"


def test_a_trust_policy_without_a_principal_is_malformed(roles: RoleService, req: Requests) -> None:
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]})
    with pytest.raises(MalformedPolicyDocument):
        roles.create_role(req(ACCOUNT), "R", doc)


def test_duplicate_json_keys_are_malformed(roles: RoleService, req: Requests) -> None:
    doc = '{"Version": "2012-10-17", "Version": "2012-10-17", "Statement": []}'
    with pytest.raises(MalformedPolicyDocument):
        roles.create_role(req(ACCOUNT), "R", doc)


def test_the_trust_policy_quota_counts_non_whitespace_characters(store: SqlStore, clock: FixedClock,
                                                                 accounts,
                                                                 req: Requests) -> None:  # type: ignore[no-untyped-def]
    svc = RoleService(store, IamLimits(trust_policy_chars=len("".join(TRUST.split()))))
    padded = TRUST.replace(",", ",        ")
    svc.create_role(req(ACCOUNT), "Fits", padded)
    with pytest.raises(LimitExceeded):
        RoleService(store, IamLimits(trust_policy_chars=50)).create_role(req(ACCOUNT), "Big", TRUST)


def test_the_role_quota_per_account_is_enforced(store: SqlStore, clock: FixedClock, accounts,
                                                req: Requests) -> None:  # type: ignore[no-untyped-def]
    svc = RoleService(store, IamLimits(roles_per_account=2))
    svc.create_role(req(ACCOUNT), "a", TRUST)
    svc.create_role(req(ACCOUNT), "b", TRUST)
    with pytest.raises(LimitExceeded):
        svc.create_role(req(ACCOUNT), "c", TRUST)


def test_reserved_aws_tag_keys_are_refused(roles: RoleService, req: Requests) -> None:
    with pytest.raises(InvalidInput):
        roles.create_role(req(ACCOUNT), "R", TRUST, tags=[("aws:owner", "x")])


def test_list_roles_pages_are_stable_and_complete(roles: RoleService, req: Requests) -> None:
    for name in ["c", "A", "b", "D", "e"]:
        roles.create_role(req(ACCOUNT), name, TRUST)
    seen, marker = [], None
    while True:
        page = roles.list_roles(req(ACCOUNT), marker=marker, max_items=2)
        seen += [r.name for r in page.items]
        if not page.is_truncated:
            break
        marker = page.marker
    assert seen == ["A", "b", "c", "D", "e"]


def test_a_marker_we_did_not_issue_is_a_validation_error(roles: RoleService, req: Requests) -> None:
    from rolegate.core.errors import ValidationError

    with pytest.raises(ValidationError):
        roles.list_roles(req(ACCOUNT), marker="!!not-base64!!")


def test_delete_role_refuses_while_an_inline_policy_remains(roles: RoleService, req: Requests) -> None:
    roles.create_role(req(ACCOUNT), "R", TRUST)
    roles.put_role_policy(req(ACCOUNT), "R", "p", ALLOW_S3)
    with pytest.raises(DeleteConflict):
        roles.delete_role(req(ACCOUNT), "R")
    roles.delete_role_policy(req(ACCOUNT), "R", "p")
    roles.delete_role(req(ACCOUNT), "R")
    with pytest.raises(NoSuchEntity):
        roles.get_role(req(ACCOUNT), "R")


def test_service_linked_roles_refuse_ordinary_modification(roles: RoleService, store: SqlStore,
                                                           clock: FixedClock, req: Requests) -> None:
    # Only CreateServiceLinkedRole makes roles under /aws-service-role/ (CreateRole refuses the path).
    name = ServiceLinkedRoleService(store).create_service_linked_role(req(ACCOUNT), "x.amazonaws.com").name
    with pytest.raises(UnmodifiableEntity):
        roles.delete_role(req(ACCOUNT), name)
    with pytest.raises(UnmodifiableEntity):
        roles.update_trust_policy(req(ACCOUNT), name, TRUST)


def test_deleting_a_missing_boundary_is_no_such_entity(roles: RoleService, req: Requests) -> None:
    roles.create_role(req(ACCOUNT), "R", TRUST)
    with pytest.raises(NoSuchEntity):
        roles.delete_permissions_boundary(req(ACCOUNT), "R")


def test_a_permissions_boundary_does_not_block_delete_role(roles: RoleService, req: Requests) -> None:
    # DeleteRole's list of items to remove first has no boundary (IAM API reference, DeleteRole).
    roles.create_role(req(ACCOUNT), "R", TRUST, permissions_boundary_arn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    roles.delete_role(req(ACCOUNT), "R")
    with pytest.raises(NoSuchEntity):
        roles.get_role(req(ACCOUNT), "R")


def test_a_boundary_must_name_a_managed_policy(roles: RoleService, req: Requests) -> None:
    roles.create_role(req(ACCOUNT), "R", TRUST)
    with pytest.raises(InvalidInput):
        roles.put_permissions_boundary(req(ACCOUNT), "R", "arn:aws:iam::111122223333:role/NotAPolicy")


def test_untag_removes_keys_ignoring_case(roles: RoleService, req: Requests) -> None:
    roles.create_role(req(ACCOUNT), "R", TRUST, tags=[("Env", "prod"), ("team", "a")])
    roles.untag_role(req(ACCOUNT), "R", ["env"])
    assert roles.get_role(req(ACCOUNT), "R").tags == (("team", "a"),)
