"""Policy variables in resources and condition values (rolegate.policy.variables)."""

from __future__ import annotations

from test_support import allow, condition_allows, decide_identity, request


def test_variable_is_substituted_in_a_resource() -> None:
    statement = allow(resource="arn:aws:s3:::bkt/home/${aws:username}/*")
    assert decide_identity(statement, request(resource="arn:aws:s3:::bkt/home/alice/x", context={"aws:username": "alice"})) == "Allow"


def test_missing_variable_makes_the_resource_entry_match_nothing() -> None:
    statement = allow(resource="arn:aws:s3:::bkt/home/${aws:username}/*")
    assert decide_identity(statement, request(resource="arn:aws:s3:::bkt/home/alice/x")) == "ImplicitDeny"


def test_default_value_is_used_when_the_key_is_missing() -> None:
    statement = allow(resource="arn:aws:s3:::bkt/home/${aws:username, 'guest'}/*")
    assert decide_identity(statement, request(resource="arn:aws:s3:::bkt/home/guest/x")) == "Allow"


def test_substituted_value_is_literal_not_a_wildcard() -> None:
    statement = allow(resource="arn:aws:s3:::bkt/${aws:username}")
    assert decide_identity(statement, request(resource="arn:aws:s3:::bkt/alice", context={"aws:username": "*"})) == "ImplicitDeny"


def test_special_character_escapes_are_literal() -> None:
    statement = allow(resource="arn:aws:s3:::bkt/${*}")
    assert decide_identity(statement, request(resource="arn:aws:s3:::bkt/*")) == "Allow"
    assert decide_identity(statement, request(resource="arn:aws:s3:::bkt/x")) == "ImplicitDeny"


def test_version_2008_does_not_substitute() -> None:
    statement = allow(resource="arn:aws:s3:::bkt/${aws:username}")
    assert decide_identity(statement, request(resource="arn:aws:s3:::bkt/${aws:username}", context={"aws:username": "a"}), version="2008-10-17") == "Allow"


def test_variable_key_lookup_is_case_insensitive() -> None:
    assert condition_allows({"StringEquals": {"s3:prefix": "${AWS:UserName}"}}, {"s3:prefix": "alice", "aws:username": "alice"})


def test_tag_variables_are_substituted_in_conditions() -> None:
    context = {"aws:ResourceTag/team": "red", "aws:PrincipalTag/team": "red"}
    assert condition_allows({"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}, context)


def test_unresolved_variable_in_a_negated_condition_never_makes_it_false() -> None:
    assert condition_allows({"StringNotEquals": {"aws:username": "${aws:PrincipalTag/missing}"}}, {"aws:username": "alice"})


def test_one_element_list_is_a_single_value_for_substitution() -> None:
    assert condition_allows({"StringEquals": {"s3:prefix": "${x:one}"}}, {"s3:prefix": "v", "x:one": ["v"]})


def test_malformed_variable_text_is_ordinary_text() -> None:
    assert condition_allows({"StringEquals": {"s3:prefix": "${not valid}"}}, {"s3:prefix": "${not valid}"})
