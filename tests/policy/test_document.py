"""Parsing and printing policy documents (rolegate.policy.document)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rolegate.core.errors import MalformedPolicyDocument
from rolegate.policy import parse_policy, policy_to_json


def _doc(statement: dict, version: str | None = "2012-10-17") -> str:
    body: dict = {"Statement": [statement]}
    if version:
        body = {"Version": version, **body}
    return json.dumps(body)


ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def _message(text: str, kind: str = "identity") -> str:
    with pytest.raises(MalformedPolicyDocument) as caught:
        parse_policy(text, kind=kind)
    return caught.value.message


def test_a_single_statement_object_is_accepted() -> None:
    policy = parse_policy(json.dumps({"Version": "2012-10-17", "Statement": ALLOW_ALL}))
    assert len(policy.statements) == 1


def test_invalid_json_is_a_syntax_error() -> None:
    assert _message("{not json") == "Syntax errors in policy."


def test_duplicate_keys_are_a_syntax_error() -> None:
    assert _message('{"Version": "2012-10-17", "Version": "2012-10-17", "Statement": []}') == "Syntax errors in policy."


def test_a_json_array_is_not_a_policy() -> None:
    assert _message("[]") == "Syntax errors in policy."


def test_missing_effect_names_the_field() -> None:
    assert _message(_doc({"Action": "*", "Resource": "*"})) == "Missing required field Effect"


def test_identity_policy_must_not_name_a_principal() -> None:
    statement = {**ALLOW_ALL, "Principal": "*"}
    assert _message(_doc(statement)) == "Policy document should not specify a principal."


def test_scp_with_principal_has_prohibited_field() -> None:
    assert _message(_doc({**ALLOW_ALL, "Principal": "*"}), kind="scp") == "Has prohibited field Principal"


def test_resource_policy_requires_a_principal() -> None:
    assert _message(_doc(ALLOW_ALL), kind="resource") == "Missing required field Principal"


def test_trust_policy_may_omit_resource() -> None:
    policy = parse_policy(_doc({"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"}), kind="trust")
    assert policy.statements[0].resources is None


def test_trust_policy_rejects_actions_other_than_sts_session_actions() -> None:
    statement = {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:GetObject"}
    assert _message(_doc(statement), kind="trust").startswith("Trust Policy statement actions can only be")


def test_trust_policy_accepts_tag_session_and_source_identity() -> None:
    statement = {"Effect": "Allow", "Principal": {"AWS": "111122223333"},
                 "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity", "sts:SetContext"]}
    assert len(parse_policy(_doc(statement), kind="trust").statements) == 1


def test_partial_wildcard_in_aws_principal_is_invalid() -> None:
    statement = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/*"}, "Action": "sts:AssumeRole"}
    assert _message(_doc(statement), kind="trust") == 'Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:role/*"'


def test_unknown_statement_field_is_rejected() -> None:
    assert _message(_doc({**ALLOW_ALL, "Effects": "Allow"})) == "Unknown field Effects"


def test_unknown_version_is_rejected() -> None:
    assert _message(_doc(ALLOW_ALL, version="2020-01-01")) == "Syntax errors in policy."


def test_missing_version_means_2008_10_17() -> None:
    policy = parse_policy(_doc(ALLOW_ALL, version=None))
    assert policy.version == "2008-10-17" and not policy.substitutes_variables


def test_action_without_service_prefix_is_rejected() -> None:
    assert _message(_doc({**ALLOW_ALL, "Action": "GetObject"})).startswith("Actions/Conditions must be prefaced by a vendor")


def test_empty_condition_value_list_is_rejected() -> None:
    assert _message(_doc({**ALLOW_ALL, "Condition": {"StringEquals": {"aws:username": []}}})) == "Syntax errors in policy."


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        parse_policy(_doc(ALLOW_ALL), kind="bucket")


_names = st.text(alphabet="abcdefgh*?", min_size=1, max_size=6)
_statements = st.fixed_dictionaries(
    {
        "Effect": st.sampled_from(["Allow", "Deny"]),
        "Action": st.one_of(_names.map(lambda n: f"s3:{n}"), st.lists(_names.map(lambda n: f"ec2:{n}"), min_size=1, max_size=3)),
        "Resource": st.one_of(_names.map(lambda n: f"arn:aws:s3:::{n}"), st.lists(_names, min_size=1, max_size=3)),
    },
    optional={
        "Sid": st.text(alphabet="abcXYZ123", max_size=5),
        "Condition": st.dictionaries(
            st.sampled_from(["StringEquals", "StringLike", "ForAnyValue:StringEquals"]),
            st.dictionaries(st.sampled_from(["aws:username", "aws:TagKeys"]),
                            st.one_of(_names, st.lists(_names, min_size=1, max_size=2)), min_size=1, max_size=2),
            max_size=2,
        ),
    },
)
_documents = st.fixed_dictionaries(
    {"Statement": st.one_of(_statements, st.lists(_statements, max_size=4))},
    optional={"Version": st.sampled_from(["2012-10-17", "2008-10-17"]), "Id": st.text(max_size=5)},
)


@settings(max_examples=200, deadline=None)
@given(_documents)
def test_parse_print_parse_round_trips(document: dict) -> None:
    first = parse_policy(json.dumps(document))
    printed = policy_to_json(first)
    assert parse_policy(printed) == first
    assert json.loads(printed) == document
