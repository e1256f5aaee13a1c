"""Authorization of API calls: identity policies, groups, boundaries, denies, conditions, root, cache freshness.

Domain services on a real SQLite store; the ``Authorizer`` is asked exactly what the endpoint asks it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rolegate.authz import Authorizer, Caller, RequestContext, RequestMeta, root_caller, session_caller
from rolegate.authz.operations import Resource
from rolegate.core.clock import FixedClock
from rolegate.core.errors import AccessDenied
from rolegate.iam.access_keys import AccessKeyService
from rolegate.iam.accounts import AccountService
from rolegate.iam.effective_policies import EffectivePolicies
from rolegate.iam.groups import GroupService
from rolegate.iam.instance_profiles import InstanceProfileService
from rolegate.iam.policies import ManagedPolicyService
from rolegate.iam.roles import RoleService
from rolegate.iam.users import UserService
from rolegate.store.engine import create_store_engine
from rolegate.store.sealing import Sealer
from rolegate.store.sql import SqlStore
from rolegate.authz import SessionClaims
from rolegate.policy import Decision
from rolegate.wire.models import default_catalog
from tests.migrated import copy_database
from tests.iam.conftest import internal, request_of

ACCT = "111122223333"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str = "*", **condition: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        out["Condition"] = condition
    return out


def deny(action: str, resource: str = "*") -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource}


class World:
    def __init__(self, db: Path, template: Path) -> None:
        """A fresh world in ``db``: a copy of ``template``, the session's migrated database."""
        self.clock = FixedClock()
        copy_database(template, db)
        self.store = self.open_store(db)
        AccountService(self.store).create_account(internal(self.store, self.clock), "test", ACCT)
        self.users = UserService(self.store)
        self.groups = GroupService(self.store)
        self.roles = RoleService(self.store)
        self.policies = ManagedPolicyService(self.store)
        self.profiles = InstanceProfileService(self.store)
        self.keys = AccessKeyService(self.store, self.clock)
        self.authz = Authorizer(EffectivePolicies(self.store), self.clock, self.store.invalidation)

    def authorize(self, caller: Caller, op: str, params: dict[str, Any], meta: RequestMeta | None = None,
                  *, authz: Authorizer | None = None) -> None:
        """What the endpoint asks for one request: its (service, operation), input and request context."""
        authz = authz or self.authz
        service = default_catalog().lookup_action(op).service_name  # type: ignore[union-attr]
        authz.authorize(caller, service, op, params, authz.request(caller, "req", meta or RequestMeta()))

    def decide(self, caller: Caller, action: str, resource: str, account: str, resource_policy: str,
               resource_policy_kind: str) -> Decision:
        return self.authz.decide(caller, action, (Resource(resource, account, None),), {}, resource_policy,
                                 request=self.authz.request(caller, "req"), resource_policy_kind=resource_policy_kind)

    def check_pass_role(self, caller: Caller, role_arn: str, service: str) -> None:
        self.authz.check_pass_role(self.authz.request(caller, "req"), role_arn, service)

    def req(self, account_id: str) -> RequestContext:
        """A request of ``account_id``'s root user, now."""
        return request_of(self.authz, account_id)

    @staticmethod
    def open_store(db: Path) -> SqlStore:
        """A store over ``db``, a migrated database (a copy of the session's template)."""
        return SqlStore(create_store_engine(f"sqlite:///{db}"), Sealer(b"m" * 32))

    def user(self, name: str = "alice", *inline: dict[str, Any], **kw: Any) -> Caller:
        record = self.users.create_user(self.req(ACCT), name, **kw)
        if inline:
            self.users.put_user_policy(self.req(ACCT), name, "inline", doc(*inline))
        return Caller(account_id=ACCT, arn=record.arn, user_id=record.user_id, principal_type="User",
                      user_name=name)


@pytest.fixture
def world(tmp_path: Path, migrated_database: Path) -> Iterator[World]:
    w = World(tmp_path / "authz.db", migrated_database)
    yield w
    w.store.close()


def denied(world: World, caller: Caller, op: str, params: dict[str, Any], meta: RequestMeta | None = None) -> str:
    with pytest.raises(AccessDenied) as exc:
        world.authorize(caller, op, params, meta)
    return str(exc.value)


def test_a_user_with_no_policies_is_denied_with_the_aws_message(world: World) -> None:
    alice = world.user()
    assert denied(world, alice, "GetRole", {"RoleName": "app"}) == (
        f"User: arn:aws:iam::{ACCT}:user/alice is not authorized to perform: iam:GetRole on resource: "
        f"arn:aws:iam::{ACCT}:role/app because no identity-based policy allows the iam:GetRole action")


def test_an_identity_policy_allowing_the_action_on_the_resource_allows(world: World) -> None:
    alice = world.user("alice", allow("iam:GetRole", f"arn:aws:iam::{ACCT}:role/app"))
    world.authorize(alice, "GetRole", {"RoleName": "app"})
    assert "iam:GetRole on resource: " in denied(world, alice, "GetRole", {"RoleName": "other"})


def test_an_explicit_deny_wins_over_an_allow_and_says_so(world: World) -> None:
    alice = world.user("alice", allow("iam:*"), deny("iam:DeleteRole"))
    message = denied(world, alice, "DeleteRole", {"RoleName": "app"})
    assert message.endswith(f"iam:DeleteRole on resource: arn:aws:iam::{ACCT}:role/app "
                            "with an explicit deny in an identity-based policy")


def test_a_permissions_boundary_caps_what_the_policies_allow(world: World) -> None:
    bound = world.policies.create_policy(world.req(ACCT), "bound", doc(allow("iam:GetRole"))).policy.arn
    alice = world.user("alice", allow("iam:*"), permissions_boundary_arn=bound)
    world.authorize(alice, "GetRole", {"RoleName": "app"})
    assert denied(world, alice, "ListRoles", {}).endswith(
        "because no permissions boundary allows the iam:ListRoles action")


def test_the_root_user_may_do_anything_in_its_account(world: World) -> None:
    world.authorize(root_caller(ACCT, None, "us-east-1"), "DeleteRole", {"RoleName": "app"})


def test_get_caller_identity_and_get_session_token_need_no_permission(world: World) -> None:
    alice = world.user()
    world.authorize(alice, "GetCallerIdentity", {})
    world.authorize(alice, "GetSessionToken", {})


def test_group_policies_count_for_their_members(world: World) -> None:
    alice = world.user()
    world.groups.create_group(world.req(ACCT), "readers")
    world.groups.put_group_policy(world.req(ACCT), "readers", "p", doc(allow("iam:ListRoles")))
    world.groups.add_user_to_group(world.req(ACCT), "readers", "alice")
    world.authorize(alice, "ListRoles", {})


def test_attached_managed_policies_of_user_and_group_count(world: World) -> None:
    alice = world.user()
    world.groups.create_group(world.req(ACCT), "g")
    world.groups.add_user_to_group(world.req(ACCT), "g", "alice")
    world.policies.attach(world.req(ACCT), "Group", "g", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    world.authorize(alice, "ListUsers", {})
    assert "iam:CreateUser" in denied(world, alice, "CreateUser", {"UserName": "bob"})


def test_a_role_named_without_its_path_is_evaluated_at_its_real_arn(world: World) -> None:
    world.roles.create_role(world.req(ACCT), "app", TRUST, path="/team/")
    alice = world.user("alice", allow("iam:GetRole", f"arn:aws:iam::{ACCT}:role/team/*"))
    world.authorize(alice, "GetRole", {"RoleName": "app"})
    assert f"resource: arn:aws:iam::{ACCT}:role/other because" in denied(world, alice, "GetRole",
                                                                          {"RoleName": "other"})


def test_request_tags_condition_on_create(world: World) -> None:
    alice = world.user("alice", allow("iam:CreateRole", "*", StringEquals={"aws:RequestTag/team": "blue"}))
    world.authorize(alice, "CreateRole", {"RoleName": "r", "Tags": [{"Key": "team", "Value": "blue"}]})
    denied(world, alice, "CreateRole", {"RoleName": "r", "Tags": [{"Key": "team", "Value": "red"}]})
    denied(world, alice, "CreateRole", {"RoleName": "r"})


def test_tag_keys_condition_on_untag(world: World) -> None:
    world.roles.create_role(world.req(ACCT), "app", TRUST)
    alice = world.user("alice", allow("iam:UntagRole", "*", **{"ForAllValues:StringEquals": {"aws:TagKeys": ["tmp"]}}))
    world.authorize(alice, "UntagRole", {"RoleName": "app", "TagKeys": ["tmp"]})
    denied(world, alice, "UntagRole", {"RoleName": "app", "TagKeys": ["tmp", "owner"]})


def test_permissions_boundary_condition_on_create_user(world: World) -> None:
    required = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    alice = world.user("alice", allow("iam:CreateUser", "*", StringEquals={"iam:PermissionsBoundary": required}))
    world.authorize(alice, "CreateUser", {"UserName": "bob", "PermissionsBoundary": required})
    denied(world, alice, "CreateUser", {"UserName": "bob"})


def test_permissions_boundary_condition_reads_the_target_roles_boundary(world: World) -> None:
    required = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    world.roles.create_role(world.req(ACCT), "bounded", TRUST, permissions_boundary_arn=required)
    world.roles.create_role(world.req(ACCT), "free", TRUST)
    alice = world.user("alice", allow("iam:PutRolePolicy", "*", StringEquals={"iam:PermissionsBoundary": required}))
    world.authorize(alice, "PutRolePolicy", {"RoleName": "bounded", "PolicyName": "p", "PolicyDocument": "{}"})
    denied(world, alice, "PutRolePolicy", {"RoleName": "free", "PolicyName": "p", "PolicyDocument": "{}"})


def test_resource_tag_condition_reads_the_target_roles_tags(world: World) -> None:
    world.roles.create_role(world.req(ACCT), "mine", TRUST, tags=[("owner", "alice")])
    world.roles.create_role(world.req(ACCT), "theirs", TRUST, tags=[("owner", "bob")])
    alice = world.user("alice", allow("iam:DeleteRole", "*",
                                      StringEquals={"iam:ResourceTag/owner": "${aws:username}"}))
    world.authorize(alice, "DeleteRole", {"RoleName": "mine"})
    denied(world, alice, "DeleteRole", {"RoleName": "theirs"})


def test_source_ip_condition(world: World) -> None:
    alice = world.user("alice", allow("iam:ListRoles", "*", IpAddress={"aws:SourceIp": "10.0.0.0/8"}))
    world.authorize(alice, "ListRoles", {}, RequestMeta(source_ip="10.1.2.3"))
    denied(world, alice, "ListRoles", {}, RequestMeta(source_ip="192.168.0.1"))


def test_secure_transport_is_false_over_plain_http(world: World) -> None:
    alice = world.user("alice", allow("iam:ListRoles", "*", Bool={"aws:SecureTransport": "true"}))
    denied(world, alice, "ListRoles", {}, RequestMeta(secure_transport=False))
    world.authorize(alice, "ListRoles", {}, RequestMeta(secure_transport=True))


def test_current_time_comes_from_the_injected_clock(world: World) -> None:
    alice = world.user("alice", allow("iam:ListRoles", "*",
                                      DateLessThan={"aws:CurrentTime": "2026-06-01T00:00:00Z"}))
    world.authorize(alice, "ListRoles", {})
    world.clock.set(dt.datetime(2026, 7, 1, tzinfo=dt.timezone.utc))
    denied(world, alice, "ListRoles", {})


def test_a_remembered_decision_lasts_no_longer_than_its_second(world: World) -> None:
    # Decisions are remembered per caller, request and second; aws:CurrentTime must still bite to the second.
    world.clock.set(dt.datetime(2026, 6, 1, 11, 59, 59, 500_000, tzinfo=dt.timezone.utc))
    alice = world.user("alice", allow("iam:ListRoles", "*",
                                      DateLessThan={"aws:CurrentTime": "2026-06-01T12:00:00Z"}))
    world.authorize(alice, "ListRoles", {})
    world.authorize(alice, "ListRoles", {})
    world.clock.advance(0.5)
    denied(world, alice, "ListRoles", {})


def test_the_same_operation_on_another_resource_is_decided_on_its_own(world: World) -> None:
    alice = world.user("alice", allow("iam:GetRole", f"arn:aws:iam::{ACCT}:role/app"))
    for _ in range(2):
        world.authorize(alice, "GetRole", {"RoleName": "app"})
        denied(world, alice, "GetRole", {"RoleName": "App2"})


def test_a_request_carrying_a_policy_document_is_authorized_without_being_remembered(world: World) -> None:
    world.roles.create_role(world.req(ACCT), "app", TRUST)
    alice = world.user("alice", allow("iam:PutRolePolicy", f"arn:aws:iam::{ACCT}:role/app"))
    big = doc(*[allow(f"iam:Get{i}") for i in range(40)])
    remembered = len(world.authz._decisions)
    world.authorize(alice, "PutRolePolicy", {"RoleName": "app", "PolicyName": "p", "PolicyDocument": big})
    assert "iam:PutRolePolicy on resource" in denied(
        world, alice, "PutRolePolicy", {"RoleName": "other", "PolicyName": "p", "PolicyDocument": big})
    assert len(world.authz._decisions) == remembered


def test_renaming_a_user_needs_permission_on_the_old_and_the_new_name(world: World) -> None:
    world.users.create_user(world.req(ACCT), "bob")
    alice = world.user("alice", allow("iam:UpdateUser", f"arn:aws:iam::{ACCT}:user/bob"))
    assert f"resource: arn:aws:iam::{ACCT}:user/robert because" in denied(
        world, alice, "UpdateUser", {"UserName": "bob", "NewUserName": "robert"})


def test_add_role_to_instance_profile_needs_pass_role_to_ec2(world: World) -> None:
    world.roles.create_role(world.req(ACCT), "app", TRUST)
    alice = world.user("alice", allow("iam:AddRoleToInstanceProfile"))
    params = {"InstanceProfileName": "ip", "RoleName": "app"}
    assert "iam:PassRole on resource: arn:aws:iam::111122223333:role/app" in denied(
        world, alice, "AddRoleToInstanceProfile", params)
    world.users.put_user_policy(world.req(ACCT), "alice", "pass", doc(
        allow("iam:PassRole", "*", StringEquals={"iam:PassedToService": "ec2.amazonaws.com"})))
    world.authorize(alice, "AddRoleToInstanceProfile", params)


def test_check_pass_role_is_reusable_with_any_service(world: World) -> None:
    alice = world.user("alice", allow("iam:PassRole", "*", StringEquals={"iam:PassedToService": "lambda.amazonaws.com"}))
    role = f"arn:aws:iam::{ACCT}:role/fn"
    world.check_pass_role(alice, role, "lambda.amazonaws.com")
    with pytest.raises(AccessDenied):
        world.check_pass_role(alice, role, "ec2.amazonaws.com")


def test_cache_sees_a_new_inline_policy_at_once(world: World) -> None:
    alice = world.user()
    denied(world, alice, "ListRoles", {})
    world.users.put_user_policy(world.req(ACCT), "alice", "p", doc(allow("iam:ListRoles")))
    world.authorize(alice, "ListRoles", {})


def test_cache_sees_an_attached_policy_and_its_detachment(world: World) -> None:
    alice = world.user()
    denied(world, alice, "ListUsers", {})
    world.policies.attach(world.req(ACCT), "User", "alice", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    world.authorize(alice, "ListUsers", {})
    world.policies.detach(world.req(ACCT), "User", "alice", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    denied(world, alice, "ListUsers", {})


def test_cache_sees_group_membership_changes(world: World) -> None:
    alice = world.user()
    world.groups.create_group(world.req(ACCT), "g")
    world.groups.put_group_policy(world.req(ACCT), "g", "p", doc(allow("iam:ListGroups")))
    denied(world, alice, "ListGroups", {})
    world.groups.add_user_to_group(world.req(ACCT), "g", "alice")
    world.authorize(alice, "ListGroups", {})
    world.groups.remove_user_from_group(world.req(ACCT), "g", "alice")
    denied(world, alice, "ListGroups", {})


def test_cache_sees_a_new_default_policy_version(world: World) -> None:
    alice = world.user()
    arn = world.policies.create_policy(world.req(ACCT), "p", doc(allow("iam:ListRoles"))).policy.arn
    world.policies.attach(world.req(ACCT), "User", "alice", arn)
    world.authorize(alice, "ListRoles", {})
    world.policies.create_policy_version(world.req(ACCT), arn, doc(allow("iam:ListUsers")), set_as_default=True)
    denied(world, alice, "ListRoles", {})


def test_a_change_made_through_another_process_store_is_seen(world: World, tmp_path: Path) -> None:
    # Two workers: each its own store (engine, connection pool) and cache over the same database file.
    other = World.open_store(tmp_path / "authz.db")
    try:
        other_authz = Authorizer(EffectivePolicies(other), world.clock, other.invalidation)
        alice = world.user()
        with pytest.raises(AccessDenied):
            world.authorize(alice, "ListRoles", {}, authz=other_authz)
        world.users.put_user_policy(world.req(ACCT), "alice", "p", doc(allow("iam:ListRoles")))
        world.authorize(alice, "ListRoles", {}, authz=other_authz)
        UserService(other).delete_user_policy(world.req(ACCT), "alice", "p")
        denied(world, alice, "ListRoles", {})
    finally:
        other.close()


def test_recording_key_use_and_role_last_use_do_not_invalidate_the_cache(world: World) -> None:
    from sqlalchemy import update

    from rolegate.store import schema as t

    world.roles.create_role(world.req(ACCT), "app", TRUST)
    key = world.keys.create_access_key(world.req(ACCT), None).key
    before = world.store.invalidation.stamp(ACCT)
    world.keys.record_use(key, "iam", "us-east-1")
    with world.store.write() as tx:  # the statement RoleLastUsed bookkeeping is to use: only last_used_*
        tx.roles._c.execute(update(t.roles).where(t.roles.c.name == "app")  # type: ignore[attr-defined]
                            .values(last_used_at=world.clock.now(), last_used_region="us-east-1"))
    assert world.store.invalidation.stamp(ACCT) == before
    world.roles.tag_role(world.req(ACCT), "app", [("k", "v")])
    assert world.store.invalidation.stamp(ACCT) == (before[0], before[1] + 1)  # the account's, not global


def _session(world: World, role: str, *, policy: str | None = None, tags: tuple[tuple[str, str], ...] = (),
             issued: dt.datetime | None = None) -> Caller:
    record = world.roles.get_role(world.req(ACCT), role)
    now = issued or world.clock.now()
    claims = SessionClaims(kind="AssumedRole", account_id=ACCT, access_key_id="ASIAEXAMPLE", issued_at=now,
                           expires_at=now + dt.timedelta(hours=1), principal_id=record.role_id,
                           principal_arn=record.arn, principal_name=role, session_name="s", policy=policy,
                           tags=tags)
    return Caller(account_id=ACCT, arn=claims.arn, user_id=claims.user_id, principal_type="AssumedRole",
                  access_key_id="ASIAEXAMPLE", session=claims)


def test_a_role_session_carries_the_roles_policies(world: World) -> None:
    world.roles.create_role(world.req(ACCT), "app", TRUST)
    world.roles.put_role_policy(world.req(ACCT), "app", "p", doc(allow("iam:ListRoles")))
    session = _session(world, "app")
    world.authorize(session, "ListRoles", {})
    assert denied(world, session, "ListUsers", {}).startswith(
        f"User: arn:aws:sts::{ACCT}:assumed-role/app/s is not authorized to perform: iam:ListUsers")


def test_a_session_may_read_its_own_role_and_user_facts_do_not_shadow_policies(world: World) -> None:
    # The role is both the resource looked up and the principal whose policies are cached.
    world.roles.create_role(world.req(ACCT), "app", TRUST)
    world.roles.put_role_policy(world.req(ACCT), "app", "p", doc(allow("iam:GetRole")))
    session = _session(world, "app")
    world.authorize(session, "GetRole", {"RoleName": "app"})
    world.authorize(session, "GetRole", {"RoleName": "app"})
    alice = world.user("alice", allow("iam:GetUser"))
    world.authorize(alice, "GetUser", {"UserName": "alice"})
    world.authorize(alice, "GetUser", {})


def test_a_session_policy_narrows_the_role(world: World) -> None:
    world.roles.create_role(world.req(ACCT), "app", TRUST)
    world.roles.put_role_policy(world.req(ACCT), "app", "p", doc(allow("iam:*")))
    session = _session(world, "app", policy=doc(allow("iam:ListRoles")))
    world.authorize(session, "ListRoles", {})
    assert denied(world, session, "ListUsers", {}).endswith("because no session policy allows the "
                                                            "iam:ListUsers action")


def test_session_tags_overlay_role_tags_as_principal_tags(world: World) -> None:
    world.roles.create_role(world.req(ACCT), "app", TRUST, tags=[("team", "red"), ("env", "prod")])
    world.roles.put_role_policy(world.req(ACCT), "app", "p", doc(allow("iam:ListRoles", "*", StringEquals={
        "aws:PrincipalTag/team": "blue", "aws:PrincipalTag/env": "prod"})))
    denied(world, _session(world, "app"), "ListRoles", {})
    world.authorize(_session(world, "app", tags=(("team", "blue"),)), "ListRoles", {})


def test_revocation_denies_sessions_issued_before_it(world: World) -> None:
    world.roles.create_role(world.req(ACCT), "app", TRUST)
    world.roles.put_role_policy(world.req(ACCT), "app", "p", doc(allow("iam:ListRoles")))
    old = _session(world, "app")
    world.clock.advance(60)
    cutoff = world.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    world.roles.put_role_policy(world.req(ACCT), "app", "AWSRevokeOlderSessions", doc(
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"DateLessThan": {"aws:TokenIssueTime": cutoff}}}))
    assert "explicit deny" in denied(world, old, "ListRoles", {})
    world.clock.advance(1)
    world.authorize(_session(world, "app"), "ListRoles", {})


def test_a_session_of_a_deleted_and_recreated_role_carries_nothing(world: World) -> None:
    world.roles.create_role(world.req(ACCT), "app", TRUST)
    world.roles.put_role_policy(world.req(ACCT), "app", "p", doc(allow("iam:ListRoles")))
    old = _session(world, "app")
    world.roles.delete_role_policy(world.req(ACCT), "app", "p")
    world.roles.delete_role(world.req(ACCT), "app")
    world.roles.create_role(world.req(ACCT), "app", TRUST)
    world.roles.put_role_policy(world.req(ACCT), "app", "p", doc(allow("iam:ListRoles")))
    denied(world, old, "ListRoles", {})


def test_decide_judges_a_trust_policy_as_the_resource_policy(world: World) -> None:
    alice = world.user()
    role = f"arn:aws:iam::{ACCT}:role/app"
    trust = doc({"Effect": "Allow", "Principal": {"AWS": alice.arn}, "Action": "sts:AssumeRole"})
    assert world.decide(alice, "sts:AssumeRole", role, ACCT, trust, "trust").is_allowed
    other = doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
    decision = world.decide(alice, "sts:AssumeRole", role, ACCT, other, "trust")
    assert not decision.is_allowed and decision.policy_type_phrase == "resource-based policy"


def test_decide_cross_account_needs_the_callers_own_allow_too(world: World) -> None:
    alice = world.user()
    role = "arn:aws:iam::999988887777:role/app"
    trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "sts:AssumeRole"})
    assert not world.decide(alice, "sts:AssumeRole", role, "999988887777", trust, "trust").is_allowed
    world.users.put_user_policy(world.req(ACCT), "alice", "p", doc(allow("sts:AssumeRole", role)))
    assert world.decide(alice, "sts:AssumeRole", role, "999988887777", trust, "trust").is_allowed


def _instance_caller() -> Caller:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    instance_id = "i-0123456789abcdef0"
    claims = SessionClaims(kind="Instance", account_id=ACCT, access_key_id="ASIAEXAMPLEINSTANCE1", issued_at=now,
                           expires_at=now + dt.timedelta(hours=24), principal_id=instance_id,
                           principal_arn=f"arn:aws:ec2:us-east-1:{ACCT}:instance/{instance_id}",
                           principal_name=instance_id, generation=1)
    return session_caller(claims, "us-east-1")


def _authorize_instances(world: World, caller: Caller, op: str, params: dict[str, Any]) -> None:
    world.authz.authorize(caller, "rolegate-instances", op, params, world.authz.request(caller, "req"))


def test_an_instance_credential_calls_its_two_operations_and_nothing_else(world: World) -> None:
    instance = _instance_caller()
    _authorize_instances(world, instance, "GetInstanceRoleCredentials", {})
    _authorize_instances(world, instance, "RotateInstanceCredential", {})
    for service, op in (("sts", "GetCallerIdentity"), ("iam", "ListRoles"), ("rolegate-instances", "ListInstances"),
                        ("ec2", "DescribeIamInstanceProfileAssociations")):
        with pytest.raises(AccessDenied, match="instance credentials cannot call this API"):
            world.authz.authorize(instance, service, op, {}, world.authz.request(instance, "req"))


def test_only_an_instance_credential_calls_the_instance_operations(world: World) -> None:
    admin = world.user("admin", allow("*"))
    with pytest.raises(AccessDenied, match="only an instance credential can call this API"):
        _authorize_instances(world, admin, "GetInstanceRoleCredentials", {})


def test_registering_is_authorized_on_every_instance_of_the_region(world: World) -> None:
    scoped = world.user("scoped", allow("rolegate-instances:RegisterInstance",
                                        f"arn:aws:rolegate-instances:eu-west-1:{ACCT}:instance/*"))
    with pytest.raises(AccessDenied, match=f"on resource: arn:aws:rolegate-instances:us-east-1:{ACCT}:instance/\\*"):
        _authorize_instances(world, scoped, "RegisterInstance", {"InstanceProfileName": "web"})
    in_region = dataclasses.replace(scoped, region="eu-west-1")  # signed for eu-west-1
    _authorize_instances(world, in_region, "RegisterInstance", {"InstanceProfileName": "web"})
