"""Action, resource and principal matching (wildcards, principals)."""

from __future__ import annotations

from test_support import A, B, ROLE, SESSION, USER, allow, decide_identity, request

from rolegate.policy.document import Principal
from rolegate.policy.principals import Grade, PrincipalMatcher


def test_actions_match_case_insensitively() -> None:
    assert decide_identity(allow("S3:getobject"), request("s3:GetObject")) == "Allow"


def test_action_wildcards_cover_the_service_prefix() -> None:
    assert decide_identity(allow("s3*:Get*"), request("s3:GetObject")) == "Allow"


def test_question_mark_matches_exactly_one_character() -> None:
    assert decide_identity(allow("s3:?etObject"), request("s3:GetObject")) == "Allow"
    assert decide_identity(allow("s3:?Object"), request("s3:GetObject")) == "ImplicitDeny"


def test_not_action_applies_to_unlisted_actions() -> None:
    statement = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    assert decide_identity(statement, request("s3:GetObject")) == "Allow"
    assert decide_identity(statement, request("iam:GetUser")) == "ImplicitDeny"


def test_resources_match_case_sensitively() -> None:
    assert decide_identity(allow(resource="arn:aws:s3:::BKT/*"), request(resource="arn:aws:s3:::bkt/key")) == "ImplicitDeny"


def test_resource_wildcard_spans_colons() -> None:
    assert decide_identity(allow(resource="arn:aws:*"), request(resource="arn:aws:sqs:us-east-1:111122223333:q")) == "Allow"


def test_not_resource_applies_to_unlisted_resources() -> None:
    statement = {"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::secret/*"}
    assert decide_identity(statement, request(resource="arn:aws:s3:::bkt/key")) == "Allow"
    assert decide_identity(statement, request(resource="arn:aws:s3:::secret/key")) == "ImplicitDeny"


def _grade(principal: dict | str, req_principal: str, context: dict | None = None) -> Grade:
    element = Principal(True) if principal == "*" else Principal(False, tuple((k, tuple(v if isinstance(v, list) else [v])) for k, v in principal.items()))
    return PrincipalMatcher.of(element).grade(request(principal=req_principal, context=context))


def test_an_account_id_names_everyone_in_the_account_by_delegation() -> None:
    assert _grade({"AWS": A}, USER) is Grade.ACCOUNT
    assert _grade({"AWS": f"arn:aws:iam::{A}:root"}, SESSION) is Grade.ACCOUNT


def test_another_account_is_not_matched() -> None:
    assert _grade({"AWS": B}, USER) is Grade.NONE


def test_the_callers_own_arn_is_a_direct_match() -> None:
    assert _grade({"AWS": USER}, USER) is Grade.DIRECT
    assert _grade({"AWS": SESSION}, SESSION) is Grade.DIRECT


def test_a_role_arn_matches_its_sessions_as_role_strength() -> None:
    assert _grade({"AWS": ROLE}, SESSION, {"aws:PrincipalArn": ROLE}) is Grade.ROLE


def test_a_session_role_arn_is_derived_when_the_context_omits_it() -> None:
    assert _grade({"AWS": ROLE}, SESSION) is Grade.ROLE


def test_everyone_matches_anonymous_callers_directly() -> None:
    assert _grade("*", "anonymous") is Grade.DIRECT
    assert _grade({"AWS": "*"}, "anonymous") is Grade.DIRECT


def test_account_principal_does_not_match_anonymous_callers() -> None:
    assert _grade({"AWS": A}, "anonymous") is Grade.NONE


def test_service_principal_matches_the_service_caller() -> None:
    assert _grade({"Service": "ec2.amazonaws.com"}, "ec2.amazonaws.com") is Grade.DIRECT


def test_unique_id_of_a_role_matches_its_sessions_through_aws_userid() -> None:
    assert _grade({"AWS": "AROAEXAMPLEID123456"}, SESSION, {"aws:userid": "AROAEXAMPLEID123456:alice"}) is Grade.ROLE


def test_unique_id_of_a_user_matches_the_user() -> None:
    assert _grade({"AWS": "AIDAEXAMPLEID123456"}, USER, {"aws:userid": "AIDAEXAMPLEID123456"}) is Grade.DIRECT
