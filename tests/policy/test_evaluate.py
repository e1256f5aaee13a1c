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


KEY = f"arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
KMS_DECRYPT = allow("kms:Decrypt", KEY)


def _key_policy(principal: Any) -> Any:
    return _policy({"Effect": "Allow", "Principal": principal, "Action": "kms:*", "Resource": "*"}, kind="resource")


def test_identity_policies_alone_never_grant_access_to_a_kms_key() -> None:
    # Spec R71: no key policy, or one that names someone else, and the identity Allow has no effect.
    req = request("kms:Decrypt", KEY)
    for policies in (PolicySet(identity=[_policy(KMS_DECRYPT)]),
                     PolicySet(identity=[_policy(KMS_DECRYPT)], resource=_key_policy({"AWS": f"arn:aws:iam::{A}:user/alice"}))):
        decision = evaluate(req, policies)
        assert decision.outcome is Outcome.IMPLICIT_DENY and decision.missing_allow is PolicyType.RESOURCE
        assert decision.notes == ("the key policy does not allow the request",)


def test_a_key_policy_naming_the_account_enables_identity_policies() -> None:
    # Spec R72: the account root statement delegates to identity policies, which must still allow.
    req = request("kms:Decrypt", KEY)
    enabled = _key_policy({"AWS": f"arn:aws:iam::{A}:root"})
    assert evaluate(req, PolicySet(identity=[_policy(KMS_DECRYPT)], resource=enabled)).outcome is Outcome.ALLOW
    decision = evaluate(req, PolicySet(resource=enabled))
    assert decision.outcome is Outcome.IMPLICIT_DENY and decision.missing_allow is PolicyType.IDENTITY


def test_a_key_policy_naming_the_user_allows_without_identity_policies() -> None:
    assert evaluate(request("kms:Decrypt", KEY), PolicySet(resource=_key_policy({"AWS": USER}))).outcome is Outcome.ALLOW


def test_kms_actions_on_no_key_and_on_aliases_follow_identity_policies() -> None:
    alias = f"arn:aws:kms:us-east-1:{A}:alias/app"
    assert evaluate(request("kms:CreateAlias", alias), PolicySet(identity=[_policy(allow("kms:*"))])).outcome is Outcome.ALLOW
    assert evaluate(request("kms:ListKeys", "*"), PolicySet(identity=[_policy(allow("kms:*"))])).outcome is Outcome.ALLOW


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
