"""Service last accessed data, below the wire: uses noted in memory and written in batches, and the reports
for users, roles, groups and managed policies — the services their permission policies allow, with when each
was last called and by whom."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from rolegate.core.clock import FixedClock
from rolegate.core.errors import InvalidInput, NoSuchEntity
from rolegate.iam.accounts import AccountService
from rolegate.iam.groups import GroupService
from rolegate.iam.last_accessed import (
    ACTION_LEVEL,
    ServiceAccessRecorder,
    ServiceLastAccessedService,
    allowed_namespaces,
)
from rolegate.iam.policies import ManagedPolicyService
from rolegate.iam.roles import RoleService
from rolegate.iam.users import UserService
from rolegate.store.sql import SqlStore
from tests.iam.conftest import ACCOUNT, Requests

USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/alice"
ALLOW_IAM_AND_S3 = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["iam:Get*", "s3:GetObject"], "Resource": "*"},
    {"Effect": "Deny", "Action": "ec2:*", "Resource": "*"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture
def recorder(store: SqlStore, clock: FixedClock, accounts: AccountService) -> ServiceAccessRecorder:
    return ServiceAccessRecorder(store, clock, flush_interval=dt.timedelta(minutes=1))


@pytest.fixture
def advisor(store: SqlStore, recorder: ServiceAccessRecorder) -> ServiceLastAccessedService:
    return ServiceLastAccessedService(store, recorder)


@pytest.fixture
def alice(store: SqlStore, accounts: AccountService, req: Requests) -> str:
    users = UserService(store)
    users.create_user(req(ACCOUNT), "alice")
    users.put_user_policy(req(ACCOUNT), "alice", "p", ALLOW_IAM_AND_S3)
    return USER_ARN


def test_uses_are_written_once_per_interval_not_once_per_request(recorder: ServiceAccessRecorder,
                                                                 clock: FixedClock) -> None:
    assert recorder.note(ACCOUNT, USER_ARN, "iam", "GetUser", "us-east-1")  # nothing written yet: due
    recorder.flush()
    assert not recorder.note(ACCOUNT, USER_ARN, "iam", "ListRoles", "us-east-1")
    clock.advance(61)
    assert recorder.note(ACCOUNT, USER_ARN, "sts", "GetCallerIdentity", "us-east-1")


def test_a_users_report_lists_the_services_its_policies_allow_with_the_last_call(
        advisor: ServiceLastAccessedService, recorder: ServiceAccessRecorder, alice: str, clock: FixedClock,
        req: Requests) -> None:
    recorder.note(ACCOUNT, alice, "iam", "GetUser", "eu-west-1")
    job_id = advisor.generate(req(ACCOUNT), alice)  # flushes what this process holds first
    job, page = advisor.services(req(ACCOUNT), job_id)
    assert job.granularity == "SERVICE_LEVEL" and len(job_id) == 36
    by_ns = {s["ServiceNamespace"]: s for s in page.items}
    assert sorted(by_ns) == ["iam", "s3"]  # the denied ec2 is not listed
    assert by_ns["iam"]["LastAuthenticated"] == clock.now().isoformat()
    assert by_ns["iam"]["LastAuthenticatedEntity"] == alice and by_ns["iam"]["LastAuthenticatedRegion"] == "eu-west-1"
    assert by_ns["iam"]["TotalAuthenticatedEntities"] == 1
    assert "LastAuthenticated" not in by_ns["s3"] and by_ns["s3"]["TotalAuthenticatedEntities"] == 0


def test_action_level_reports_track_each_iam_and_sts_action_seen(
        advisor: ServiceLastAccessedService, recorder: ServiceAccessRecorder, alice: str, req: Requests) -> None:
    recorder.note(ACCOUNT, alice, "iam", "GetUser", "us-east-1")
    recorder.note(ACCOUNT, alice, "iam", "GetRole", "us-east-1")
    _, page = advisor.services(req(ACCOUNT), advisor.generate(req(ACCOUNT), alice, ACTION_LEVEL))
    iam = next(s for s in page.items if s["ServiceNamespace"] == "iam")
    assert [a["ActionName"] for a in iam["TrackedActionsLastAccessed"]] == ["GetRole", "GetUser"]


def test_a_groups_report_counts_its_members_and_names_them_with_entities(
        store: SqlStore, advisor: ServiceLastAccessedService, recorder: ServiceAccessRecorder, alice: str,
        req: Requests) -> None:
    groups = GroupService(store)
    groups.create_group(req(ACCOUNT), "devs")
    groups.put_group_policy(req(ACCOUNT), "devs", "g", json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:*", "Resource": "*"}]}))
    UserService(store).create_user(req(ACCOUNT), "bob")
    groups.add_user_to_group(req(ACCOUNT), "devs", "alice")
    groups.add_user_to_group(req(ACCOUNT), "devs", "bob")
    recorder.note(ACCOUNT, alice, "sts", "GetCallerIdentity", "us-east-1")
    job_id = advisor.generate(req(ACCOUNT), f"arn:aws:iam::{ACCOUNT}:group/devs")
    _, services = advisor.services(req(ACCOUNT), job_id)
    assert [(s["ServiceNamespace"], s["TotalAuthenticatedEntities"]) for s in services.items] == [("sts", 1)]
    _, entities = advisor.entities(req(ACCOUNT), job_id, "sts")
    seen = {e["EntityInfo"]["Name"]: e.get("LastAuthenticated") for e in entities.items}
    assert set(seen) == {"alice", "bob"} and seen["alice"] is not None and seen["bob"] is None


def test_a_policys_report_covers_the_roles_it_is_attached_to(
        store: SqlStore, advisor: ServiceLastAccessedService, recorder: ServiceAccessRecorder,
        accounts: AccountService, req: Requests) -> None:
    role = RoleService(store).create_role(req(ACCOUNT), "app", TRUST)
    policies = ManagedPolicyService(store)
    policy = policies.create_policy(req(ACCOUNT), "iam-read", ALLOW_IAM_AND_S3).policy
    policies.attach(req(ACCOUNT), "Role", "app", policy.arn)
    recorder.note(ACCOUNT, role.arn, "iam", "ListRoles", "us-east-1")
    _, page = advisor.services(req(ACCOUNT), advisor.generate(req(ACCOUNT), policy.arn))
    iam = next(s for s in page.items if s["ServiceNamespace"] == "iam")
    assert iam["LastAuthenticatedEntity"] == role.arn


def test_a_wildcard_service_stands_for_the_services_rolegate_knows() -> None:
    everything = json.dumps({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    starts_with_s = json.dumps({"Statement": {"Effect": "Allow", "Action": "s*:Get*", "Resource": "*"}})
    assert allowed_namespaces([everything], {"iam", "sts", "s3"}) == {"iam", "sts", "s3"}
    assert allowed_namespaces([starts_with_s], {"iam", "sts", "s3"}) == {"sts", "s3"}


def test_an_unknown_entity_a_bad_arn_and_another_accounts_job_are_refused(
        advisor: ServiceLastAccessedService, alice: str, req: Requests) -> None:
    with pytest.raises(NoSuchEntity):
        advisor.generate(req(ACCOUNT), f"arn:aws:iam::{ACCOUNT}:user/nobody")
    with pytest.raises(InvalidInput):
        advisor.generate(req(ACCOUNT), "arn:aws:s3:::bucket")
    job_id = advisor.generate(req(ACCOUNT), alice)
    with pytest.raises(NoSuchEntity):
        advisor.services(req("999988887777"), job_id)


def test_policies_granting_service_access_name_inline_and_managed_policies_of_the_user_and_its_groups(
        store: SqlStore, advisor: ServiceLastAccessedService, alice: str, req: Requests) -> None:
    groups, policies = GroupService(store), ManagedPolicyService(store)
    groups.create_group(req(ACCOUNT), "devs")
    groups.add_user_to_group(req(ACCOUNT), "devs", "alice")
    groups.put_group_policy(req(ACCOUNT), "devs", "g", json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s*:*", "Resource": "*"}]}))
    policies.attach(req(ACCOUNT), "User", "alice", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    entries = advisor.policies_granting(req(ACCOUNT), alice, ["iam", "s3", "ec2"])
    named = {e["ServiceNamespace"]: sorted(p["PolicyName"] for p in e["Policies"]) for e in entries}
    assert named == {"iam": ["IAMReadOnlyAccess", "p"], "s3": ["g", "p"], "ec2": []}
    inline = next(p for e in entries if e["ServiceNamespace"] == "s3" for p in e["Policies"] if p["PolicyName"] == "g")
    assert inline == {"PolicyName": "g", "PolicyType": "INLINE", "EntityType": "GROUP", "EntityName": "devs"}
    with pytest.raises(InvalidInput):
        advisor.policies_granting(req(ACCOUNT), "arn:aws:iam::aws:policy/IAMReadOnlyAccess", ["iam"])
