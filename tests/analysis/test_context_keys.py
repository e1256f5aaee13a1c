"""The context keys policies reference: condition keys and policy variables, once each, as first spelled."""

from __future__ import annotations

from rolegate.analysis.context_keys import referenced_keys
from rolegate.policy import parse_policy


def policy(*statements: str) -> str:
    return '{"Version":"2012-10-17","Statement":[' + ",".join(statements) + "]}"


def test_condition_keys_and_resource_variables_are_listed_in_order_of_first_use() -> None:
    text = policy('{"Effect":"Allow","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:::table/${aws:username}",'
                  '"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2015-08-16T12:00:00Z"}}}')
    assert referenced_keys([parse_policy(text)]) == ["aws:username", "aws:CurrentTime"]


def test_two_spellings_of_one_key_are_one_key_spelled_as_first_written() -> None:
    first = policy('{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}')
    second = policy('{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"AWS:securetransport":"false"}}}')
    assert referenced_keys([parse_policy(first), parse_policy(second)]) == ["aws:SecureTransport"]


def test_variables_in_condition_values_count_and_escapes_and_defaults_do_not_confuse() -> None:
    text = policy('{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${*}/${aws:userid, \'none\'}",'
                  '"Condition":{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}}')
    assert referenced_keys([parse_policy(text)]) == ["aws:userid", "s3:prefix", "aws:username"]


def test_a_policy_without_conditions_or_variables_references_no_key() -> None:
    assert referenced_keys([parse_policy(policy('{"Effect":"Allow","Action":"s3:*","Resource":"*"}'))]) == []
