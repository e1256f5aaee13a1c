"""The simulator's rules below the wire: which policies a principal brings, how each result is shaped from the
engine's decision, and the input it refuses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rolegate.analysis.simulation import (ContextEntry, Simulation, SimulationService, context_of, custom_simulation,
                                          input_policies, input_policy, simulate)
from rolegate.core.errors import InvalidInput, NoSuchEntity
from rolegate.iam.accounts import AccountService
from rolegate.iam.groups import GroupService
from rolegate.iam.policies import ManagedPolicyService
from rolegate.iam.roles import RoleService
from rolegate.iam.users import UserService
from rolegate.policy import PolicySet, Request, compile_policy, evaluate
from rolegate.store.sql import SqlStore

from tests.iam.conftest import ACCOUNT, Requests

USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/alice"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str, resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str, resource: str = "*") -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource}


def custom(*texts: str, actions: tuple[str, ...] = ("s3:GetObject",), **kw: Any) -> Simulation:
    return Simulation(caller_arn=USER_ARN, actions=actions, identity=input_policies(texts, "PolicyInputList"), **kw)


# -- decided by the engine that enforces -----------------------------------------------------------------------


def test_the_decision_is_the_engines_for_the_same_request() -> None:
    texts = [doc(allow("s3:*")), doc(deny("s3:DeleteBucket"))]
    actions = ("s3:GetObject", "s3:DeleteBucket", "ec2:RunInstances")
    results = simulate(custom(*texts, actions=actions))
    for action, result in zip(actions, results, strict=True):
        engine = evaluate(Request.of(principal=USER_ARN, action=action, resource="*", resource_account=ACCOUNT),
                          PolicySet(identity=tuple(compile_policy(t) for t in texts)))
        assert result.result.engine == engine
    assert [r.result.decision for r in results] == ["allowed", "explicitDeny", "implicitDeny"]


def test_an_explicit_deny_reports_only_the_deny_and_an_implicit_deny_reports_nothing() -> None:
    text = doc(allow("s3:*"), deny("s3:DeleteBucket"))
    allowed, denied, nothing = simulate(custom(text, actions=("s3:GetObject", "s3:DeleteBucket", "sqs:SendMessage")))
    assert [m.start.line if m.start else None for m in allowed.result.matched] == [1]
    assert len(denied.result.matched) == 1 and denied.result.engine.matched[-1].effect == "Deny"
    assert [m.policy_id for m in denied.result.matched] == ["PolicyInputList.1"]
    assert nothing.result.matched == ()


def test_missing_context_values_are_the_condition_keys_nobody_supplied_spelled_as_written() -> None:
    text = doc(allow("s3:*", Condition={"StringEquals": {"aws:PrincipalTag/Team": "blue"}}))
    [missing] = simulate(custom(text))
    assert missing.result.missing_context == ("aws:PrincipalTag/Team",)
    [given] = simulate(custom(text, context=[ContextEntry("aws:principaltag/team", ("blue",))]))
    assert given.result.decision == "allowed" and given.result.missing_context == ()


def test_a_group_is_simulated_as_a_member_of_it_would_be() -> None:
    group = f"arn:aws:iam::{ACCOUNT}:group/devs"
    simulation = Simulation(caller_arn=group, actions=("s3:GetObject",),
                            identity=input_policies([doc(allow("s3:*"))], "PolicyInputList"))
    assert [r.result.decision for r in simulate(simulation)] == ["allowed"]


def test_without_a_resource_policy_another_accounts_resource_is_judged_by_the_identity_side_alone() -> None:
    [result] = simulate(custom(doc(allow("sqs:SendMessage")), actions=("sqs:SendMessage",),
                               resource_arns=["arn:aws:sqs:us-east-1:999988887777:q"]))
    assert result.result.decision == "allowed" and result.result.details == {}


def test_the_explanation_names_each_matched_statement_by_its_source_policy() -> None:
    simulation = custom(doc(allow("s3:*")), doc(deny("s3:GetObject")))
    [result] = simulate(simulation)
    explanation = result.result.explanation(simulation)
    assert explanation["deniedBy"] == "identity"
    assert [(m["sourcePolicyId"], m["effect"]) for m in explanation["matched"]] == [  # type: ignore[union-attr,index]
        ("PolicyInputList.1", "Allow"), ("PolicyInputList.2", "Deny")]


# -- input ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("entry", "value"), [
    (ContextEntry("aws:CurrentTime", ("2019-04-25T11:00:00Z",), "date"), "2019-04-25T11:00:00Z"),
    (ContextEntry("aws:EpochTime", ("1556190000",), "numeric"), "1556190000"),
    (ContextEntry("aws:SecureTransport", ("TRUE",), "boolean"), "TRUE"),
    (ContextEntry("aws:SourceIp", ("203.0.113.0/24",), "ip"), "203.0.113.0/24"),
    (ContextEntry("aws:TagKeys", ("a", "b"), "stringList"), ("a", "b")),
])
def test_context_entries_of_each_type_reach_the_engine(entry: ContextEntry, value: object) -> None:
    assert context_of([entry]) == {entry.name: value}


@pytest.mark.parametrize("entry", [
    ContextEntry("aws:CurrentTime", ("yesterday",), "date"),
    ContextEntry("aws:EpochTime", ("soon",), "numeric"),
    ContextEntry("aws:SecureTransport", ("yes",), "boolean"),
    ContextEntry("aws:SourceIp", ("300.1.1.1",), "ip"),
    ContextEntry("s3:x", ("not base64!",), "binary"),
    ContextEntry("aws:SourceIp", ("10.0.0.1", "10.0.0.2"), "ip"),
])
def test_a_context_value_not_of_its_type_is_invalid_input(entry: ContextEntry) -> None:
    with pytest.raises(InvalidInput):
        context_of([entry])


@pytest.mark.parametrize(("caller", "owner"), [
    (f"arn:aws:iam::{ACCOUNT}:user/", None), ("arn:aws:iam::abc:user/x", None),
    (f"arn:aws:sts::{ACCOUNT}:federated-user/f", None), ("ec2.amazonaws.com", None),
    (USER_ARN, "bogus"), (USER_ARN, "arn:aws:iam::123:root"),
])
def test_a_caller_or_resource_owner_of_the_wrong_form_is_invalid_input(caller: str, owner: str | None) -> None:
    with pytest.raises(InvalidInput):
        custom_simulation([doc(allow("s3:*"))], ["s3:GetObject"], account_id=ACCOUNT, caller_arn=caller,
                          resource_owner=owner)


def test_a_malformed_input_policy_is_invalid_input_naming_it() -> None:
    with pytest.raises(InvalidInput, match=r"^PolicyInputList\.1: "):
        input_policy("{", "PolicyInputList.1", "none")


# -- a principal's policies ------------------------------------------------------------------------------------


@pytest.fixture
def simulation(store: SqlStore, accounts: AccountService) -> SimulationService:
    return SimulationService(store)


def decided(page: Any) -> list[tuple[str, str, list[tuple[str, str]]]]:
    return [(e.action, e.result.decision, [(m.policy_id, m.source_type) for m in e.result.matched])
            for e in page.items]


def test_a_user_brings_its_inline_attached_and_group_policies(store: SqlStore, accounts: AccountService,
                                                              simulation: SimulationService, req: Requests) -> None:
    users, groups, policies = UserService(store), GroupService(store), ManagedPolicyService(store)
    r = req(ACCOUNT)
    user = users.create_user(r, "alice")
    users.put_user_policy(r, "alice", "Mine", doc(allow("s3:GetObject")))
    managed = policies.create_policy(r, "Queues", doc(allow("sqs:SendMessage"))).policy.arn
    policies.attach(r, "User", "alice", managed)
    groups.create_group(r, "devs")
    groups.add_user_to_group(r, "devs", "alice")
    groups.put_group_policy(r, "devs", "Ours", doc(allow("ec2:RunInstances")))
    page = simulation.simulate_principal_policy(r, user.arn, ["s3:GetObject", "sqs:SendMessage", "ec2:RunInstances"])
    assert decided(page) == [("s3:GetObject", "allowed", [("Mine", "user")]),
                             ("sqs:SendMessage", "allowed", [(managed, "user-managed")]),
                             ("ec2:RunInstances", "allowed", [("Ours", "group")])]
    excluded = simulation.simulate_principal_policy(r, user.arn, ["ec2:RunInstances", "sqs:SendMessage"],
                                                    policy_exclusion_list=[{"PolicyType": "inline"},
                                                                           {"PolicyArn": "arn:aws:iam::*:policy/Q*"}])
    assert [d for _, d, _ in decided(excluded)] == ["implicitDeny", "implicitDeny"]


def test_a_roles_boundary_applies_and_an_input_boundary_replaces_it(store: SqlStore, accounts: AccountService,
                                                                    simulation: SimulationService,
                                                                    req: Requests) -> None:
    r = req(ACCOUNT)
    boundary = ManagedPolicyService(store).create_policy(r, "OnlyS3", doc(allow("s3:*"))).policy.arn
    role = RoleService(store).create_role(r, "app", TRUST, permissions_boundary_arn=boundary)
    RoleService(store).put_role_policy(r, "app", "All", doc(allow("*")))
    stored = simulation.simulate_principal_policy(r, role.arn, ["s3:GetObject", "sqs:SendMessage"])
    assert [(e.result.decision, e.result.allowed_by_boundary) for e in stored.items] == [
        ("allowed", True), ("implicitDeny", False)]
    replaced = simulation.simulate_principal_policy(r, role.arn, ["s3:GetObject", "sqs:SendMessage"],
                                                    permissions_boundary_policy_input_list=[doc(allow("sqs:*"))])
    assert [e.result.decision for e in replaced.items] == ["implicitDeny", "allowed"]


def test_results_are_paged_in_action_then_resource_order(simulation: SimulationService, req: Requests) -> None:
    r = req(ACCOUNT)
    first = simulation.simulate_custom_policy(r, [doc(allow("s3:*"))], ["s3:A", "s3:B"], max_items=3,
                                              resource_arns=["arn:aws:s3:::x", "arn:aws:s3:::y"])
    assert [(e.action, e.resource) for e in first.items] == [
        ("s3:A", "arn:aws:s3:::x"), ("s3:A", "arn:aws:s3:::y"), ("s3:B", "arn:aws:s3:::x")]
    assert first.is_truncated and first.marker
    rest = simulation.simulate_custom_policy(r, [doc(allow("s3:*"))], ["s3:A", "s3:B"], marker=first.marker,
                                             resource_arns=["arn:aws:s3:::x", "arn:aws:s3:::y"])
    assert [(e.action, e.resource) for e in rest.items] == [("s3:B", "arn:aws:s3:::y")] and not rest.is_truncated


@pytest.mark.parametrize("arn", [f"arn:aws:iam::{ACCOUNT}:user/nobody", f"arn:aws:iam::999988887777:role/app",
                                 f"arn:aws:iam::{ACCOUNT}:group/none"])
def test_a_principal_that_is_not_in_the_callers_account_is_no_such_entity(
        simulation: SimulationService, req: Requests, arn: str) -> None:
    with pytest.raises(NoSuchEntity):
        simulation.simulate_principal_policy(req(ACCOUNT), arn, ["s3:GetObject"])


@pytest.mark.parametrize("arn", [f"arn:aws:iam::{ACCOUNT}:policy/p", "not-an-arn", f"arn:aws:iam::{ACCOUNT}:user/"])
def test_a_policy_source_that_is_no_user_group_or_role_is_invalid_input(
        simulation: SimulationService, req: Requests, arn: str) -> None:
    with pytest.raises(InvalidInput):
        simulation.context_keys_for_principal_policy(req(ACCOUNT), arn)


def test_context_keys_of_a_principal_leave_its_boundary_out(store: SqlStore, accounts: AccountService,
                                                            simulation: SimulationService, req: Requests) -> None:
    r = req(ACCOUNT)
    boundary = ManagedPolicyService(store).create_policy(r, "B", doc(allow(
        "s3:*", Condition={"Bool": {"aws:SecureTransport": "true"}}))).policy.arn
    user = UserService(store).create_user(r, "bob", permissions_boundary_arn=boundary)
    UserService(store).put_user_policy(r, "bob", "P", doc(allow(
        "s3:*", Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})))
    assert simulation.context_keys_for_principal_policy(r, user.arn) == ["aws:RequestedRegion"]


def test_a_simulation_of_more_than_ten_thousand_action_resource_pairs_is_refused_before_any_is_decided() -> None:
    actions = [f"s3:GetObject{n}" for n in range(101)]
    resources = [f"arn:aws:s3:::bucket/{n}" for n in range(100)]
    with pytest.raises(InvalidInput, match="10100 action-resource pairs"):
        simulate(custom_simulation([doc(allow("s3:*"))], actions, account_id=ACCOUNT, resource_arns=resources))
    assert len(simulate(custom_simulation([doc(allow("s3:*"))], actions[:100], account_id=ACCOUNT,
                                          resource_arns=resources))) == 10_000
