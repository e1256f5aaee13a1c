"""The decision: how policy types combine (rolegate.policy.evaluate)."""

from __future__ import annotations

from typing import Any

from test_support import A, B, ROLE, SESSION, USER, allow, identity, request

from rolegate.policy import Outcome, PolicySet, PolicyType, compile_policy, evaluate

DENY_ALL = {"Effect": "Deny", "Action": "*", "Resource": "*"}
S3_GET = allow("s3:GetObject", "arn:aws:s3:::bkt/*")


def _policy(*statements: dict[str, Any], kind: str = "identity") -> Any:
    return compile_policy(identity(*statements), kind=kind)


def _resource(principal: Any, action: str = "s3:GetObject") -> Any:
    return _policy({"Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*"}, kind="resource")


def _trust(principal: Any) -> Any:
    return _policy({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}, kind="trust")


SESSION_CTX = {"aws:PrincipalArn": ROLE}


def test_nothing_allows_means_implicit_deny_blaming_identity_policies() -> None:
    decision = evaluate(request(), PolicySet())
    assert decision.outcome is Outcome.IMPLICIT_DENY and decision.missing_allow is PolicyType.IDENTITY


def test_identity_allow_suffices_in_the_same_account() -> None:
    assert evaluate(request(), PolicySet(identity=[_policy(S3_GET)])).outcome is Outcome.ALLOW


def test_explicit_deny_anywhere_wins_and_names_its_policy_type() -> None:
    decision = evaluate(request(), PolicySet(identity=[_policy(S3_GET)], boundary=_policy(allow(), DENY_ALL, kind="boundary")))
    assert decision.outcome is Outcome.EXPLICIT_DENY and decision.denied_by is PolicyType.BOUNDARY
    assert decision.policy_type_phrase == "permissions boundary"


def test_scp_levels_must_each_allow() -> None:
    scps = [[_policy(allow(), kind="scp")], [_policy(allow("ec2:*"), kind="scp")]]
    decision = evaluate(request(), PolicySet(identity=[_policy(S3_GET)], scps=scps))
    assert decision.outcome is Outcome.IMPLICIT_DENY and decision.missing_allow is PolicyType.SCP


def test_rcp_levels_allow_implicitly_so_a_narrow_allow_or_none_does_not_deny() -> None:
    # Spec R53: RCPFullAWSAccess sits at every level, whatever the level's own documents allow.
    narrow = [[_policy({"Effect": "Allow", "Principal": "*", "Action": "ec2:*", "Resource": "*"}, kind="rcp")], []]
    decision = evaluate(request(), PolicySet(identity=[_policy(S3_GET)], rcps=narrow))
    assert decision.outcome is Outcome.ALLOW and decision.missing_allow is None


def test_rcp_deny_decides_and_names_the_rcp() -> None:
    deny = [[], [_policy({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}, kind="rcp")]]
    decision = evaluate(request(), PolicySet(identity=[_policy(S3_GET)], rcps=deny))
    assert decision.outcome is Outcome.EXPLICIT_DENY and decision.denied_by is PolicyType.RCP
    assert [(ref.policy_type, ref.level) for ref in decision.matched] == [(PolicyType.RCP, 1), (PolicyType.IDENTITY, None)]


def test_rcps_never_grant() -> None:
    full = [[_policy({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}, kind="rcp")]]
    decision = evaluate(request(), PolicySet(rcps=full))
    assert decision.outcome is Outcome.IMPLICIT_DENY and decision.missing_allow is PolicyType.IDENTITY


def test_boundary_limits_identity_allows() -> None:
    decision = evaluate(request(), PolicySet(identity=[_policy(S3_GET)], boundary=_policy(allow("ec2:*"), kind="boundary")))
    assert decision.outcome is Outcome.IMPLICIT_DENY and decision.missing_allow is PolicyType.BOUNDARY


def test_resource_policy_naming_the_user_is_not_limited_by_the_boundary() -> None:
    policies = PolicySet(resource=_resource({"AWS": USER}), boundary=_policy(allow("ec2:*"), kind="boundary"))
    assert evaluate(request(), policies).outcome is Outcome.ALLOW


def test_resource_policy_naming_the_session_is_not_limited_by_session_policies() -> None:
    policies = PolicySet(resource=_resource({"AWS": SESSION}), session=[_policy(allow("ec2:*"), kind="session")])
    assert evaluate(request(principal=SESSION, context=SESSION_CTX), policies).outcome is Outcome.ALLOW


def test_resource_policy_naming_the_role_is_limited_by_session_policies() -> None:
    policies = PolicySet(resource=_resource({"AWS": ROLE}), session=[_policy(allow("ec2:*"), kind="session")])
    decision = evaluate(request(principal=SESSION, context=SESSION_CTX), policies)
    assert decision.outcome is Outcome.IMPLICIT_DENY and decision.missing_allow is PolicyType.SESSION


def test_resource_policy_naming_the_role_grants_without_identity_policy() -> None:
    policies = PolicySet(resource=_resource({"AWS": ROLE}))
    assert evaluate(request(principal=SESSION, context=SESSION_CTX), policies).outcome is Outcome.ALLOW


def test_resource_policy_naming_the_account_delegates_to_identity_policies() -> None:
    assert evaluate(request(), PolicySet(resource=_resource({"AWS": A}))).outcome is Outcome.IMPLICIT_DENY


def test_cross_account_needs_both_identity_and_resource_allow() -> None:
    other = request(principal=f"arn:aws:iam::{B}:user/eve")
    assert evaluate(other, PolicySet(identity=[_policy(S3_GET)])).missing_allow is PolicyType.RESOURCE
    assert evaluate(other, PolicySet(resource=_resource({"AWS": B}))).missing_allow is PolicyType.IDENTITY
    assert evaluate(other, PolicySet(identity=[_policy(S3_GET)], resource=_resource({"AWS": B}))).outcome is Outcome.ALLOW


def test_assume_role_needs_the_trust_policy_even_in_the_same_account() -> None:
    req = request("sts:AssumeRole", f"arn:aws:iam::{A}:role/Target")
    decision = evaluate(req, PolicySet(identity=[_policy(allow("sts:AssumeRole"))], resource=_trust({"AWS": B})))
    assert decision.outcome is Outcome.IMPLICIT_DENY and decision.missing_allow is PolicyType.RESOURCE


def test_trust_policy_naming_the_user_suffices_without_identity_allow() -> None:
    req = request("sts:AssumeRole", f"arn:aws:iam::{A}:role/Target")
    assert evaluate(req, PolicySet(resource=_trust({"AWS": USER}))).outcome is Outcome.ALLOW


def test_trust_policy_naming_the_account_needs_an_identity_allow() -> None:
    req = request("sts:AssumeRole", f"arn:aws:iam::{A}:role/Target")
    assert evaluate(req, PolicySet(resource=_trust({"AWS": A}))).outcome is Outcome.IMPLICIT_DENY
    assert evaluate(req, PolicySet(identity=[_policy(allow("sts:AssumeRole"))], resource=_trust({"AWS": A}))).outcome is Outcome.ALLOW


def test_root_user_cannot_assume_a_role() -> None:
    req = request("sts:AssumeRole", f"arn:aws:iam::{A}:role/Target", principal=f"arn:aws:iam::{A}:root")
    assert evaluate(req, PolicySet(resource=_trust({"AWS": A}))).outcome is Outcome.IMPLICIT_DENY


def test_root_user_has_full_access_in_its_account() -> None:
    assert evaluate(request(principal=f"arn:aws:iam::{A}:root"), PolicySet()).outcome is Outcome.ALLOW


def test_anonymous_caller_needs_a_public_resource_policy() -> None:
    anonymous = request(principal="anonymous")
    assert evaluate(anonymous, PolicySet(resource=_resource({"AWS": A}))).outcome is Outcome.IMPLICIT_DENY
    assert evaluate(anonymous, PolicySet(resource=_resource("*"))).outcome is Outcome.ALLOW


def test_not_principal_deny_applies_to_callers_with_a_boundary() -> None:
    deny = _policy({"Effect": "Deny", "NotPrincipal": {"AWS": [USER, A]}, "Action": "*", "Resource": "*"},
                   {"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "*", "Resource": "*"}, kind="resource")
    assert evaluate(request(), PolicySet(resource=deny)).outcome is Outcome.ALLOW
    with_boundary = PolicySet(resource=deny, boundary=_policy(allow(), kind="boundary"))
    assert evaluate(request(), with_boundary).outcome is Outcome.EXPLICIT_DENY


def test_explanation_lists_matching_statements_and_missing_keys() -> None:
    statement = allow(Sid="Mine", Condition={"StringEquals": {"aws:PrincipalTag/team": "red"}})
    decision = evaluate(request(), PolicySet(identity=[_policy(statement)]))
    assert decision.missing_context_keys == ("aws:principaltag/team",)
    assert decision.matched == ()
    allowed = evaluate(request(context={"aws:PrincipalTag/team": "red"}), PolicySet(identity=[_policy(statement)]))
    assert [ref.sid for ref in allowed.matched] == ["Mine"]


def test_only_statements_for_the_action_are_considered() -> None:
    policy = _policy(allow("ec2:RunInstances"), allow("s3:Get*"), {"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"})
    assert [s.index for s in policy.candidates("s3:getobject")] == [1]
    assert [s.index for s in policy.candidates("ec2:runinstances")] == [0, 2]
