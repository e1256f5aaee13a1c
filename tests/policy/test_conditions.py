"""Condition operators (rolegate.policy.conditions)."""

from __future__ import annotations

import pytest
from test_support import allow, condition_allows, identity

from rolegate.core.errors import MalformedPolicyDocument
from rolegate.policy import compile_policy


def test_string_equals_is_case_sensitive() -> None:
    assert not condition_allows({"StringEquals": {"aws:username": "Alice"}}, {"aws:username": "alice"})


def test_string_equals_ignore_case() -> None:
    assert condition_allows({"StringEqualsIgnoreCase": {"aws:username": "ALICE"}}, {"aws:username": "alice"})


def test_string_like_uses_wildcards() -> None:
    assert condition_allows({"StringLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "home/alice"})


def test_several_values_for_one_key_are_ored() -> None:
    assert condition_allows({"StringEquals": {"aws:username": ["bob", "alice"]}}, {"aws:username": "alice"})


def test_negated_operator_with_several_values_is_a_nor() -> None:
    assert not condition_allows({"StringNotEquals": {"aws:username": ["bob", "alice"]}}, {"aws:username": "alice"})
    assert condition_allows({"StringNotEquals": {"aws:username": ["bob", "carol"]}}, {"aws:username": "alice"})


def test_several_operators_are_anded() -> None:
    condition = {"StringEquals": {"aws:username": "alice"}, "Bool": {"aws:SecureTransport": "true"}}
    assert not condition_allows(condition, {"aws:username": "alice", "aws:SecureTransport": "false"})


def test_condition_keys_are_case_insensitive() -> None:
    assert condition_allows({"StringEquals": {"AWS:USERNAME": "alice"}}, {"aws:username": "alice"})


def test_missing_key_makes_a_positive_operator_false() -> None:
    assert not condition_allows({"StringEquals": {"aws:username": "alice"}}, {})


def test_missing_key_makes_a_negated_operator_true() -> None:
    assert condition_allows({"StringNotEquals": {"aws:username": "alice"}}, {})


def test_if_exists_is_true_when_the_key_is_missing() -> None:
    assert condition_allows({"StringEqualsIfExists": {"aws:username": "alice"}}, {})
    assert not condition_allows({"StringEqualsIfExists": {"aws:username": "alice"}}, {"aws:username": "bob"})


def test_numeric_operators_compare_decimals_exactly() -> None:
    assert condition_allows({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "9.99"})
    assert not condition_allows({"NumericEquals": {"s3:max-keys": 10}}, {"s3:max-keys": "ten"})


def test_date_operators_accept_iso_8601_and_epoch_seconds() -> None:
    assert condition_allows({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}, {"aws:CurrentTime": "2029-12-31T23:59:59Z"})
    assert condition_allows({"DateGreaterThan": {"aws:EpochTime": "2020-01-01"}}, {"aws:EpochTime": "1700000000"})


def test_date_with_offset_is_compared_as_an_instant() -> None:
    assert condition_allows({"DateEquals": {"aws:CurrentTime": "2030-01-01T01:00:00+01:00"}}, {"aws:CurrentTime": "2030-01-01T00:00:00Z"})


def test_bool_compares_case_insensitively() -> None:
    assert condition_allows({"Bool": {"aws:SecureTransport": True}}, {"aws:SecureTransport": "TRUE"})


def test_binary_equals_compares_decoded_bytes() -> None:
    assert condition_allows({"BinaryEquals": {"x:blob": "QUJD"}}, {"x:blob": "QUJD"})
    assert not condition_allows({"BinaryEquals": {"x:blob": "QUJD"}}, {"x:blob": "QUJE"})


def test_ip_address_matches_ipv4_and_ipv6_cidrs() -> None:
    assert condition_allows({"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}}, {"aws:SourceIp": "2001:db8::1"})
    assert not condition_allows({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.1"})


def test_not_ip_address_is_the_negation() -> None:
    assert condition_allows({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.1"})


def test_arn_like_matches_each_component_separately() -> None:
    condition = {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}}
    assert condition_allows(condition, {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:topic:x"})
    assert not condition_allows({"ArnLike": {"aws:SourceArn": "arn:aws:*:111122223333:*"}}, {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:t"})


def test_null_true_means_the_key_is_absent() -> None:
    assert condition_allows({"Null": {"aws:TokenIssueTime": "true"}}, {})
    assert not condition_allows({"Null": {"aws:TokenIssueTime": "true"}}, {"aws:TokenIssueTime": "2020-01-01"})


def test_for_all_values_is_true_for_a_missing_key() -> None:
    assert condition_allows({"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}}, {})


def test_for_all_values_requires_every_value_to_match() -> None:
    condition = {"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}
    assert condition_allows(condition, {"aws:TagKeys": ["env"]})
    assert not condition_allows(condition, {"aws:TagKeys": ["env", "cost"]})


def test_for_any_value_is_false_for_a_missing_key() -> None:
    assert not condition_allows({"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}}, {})


def test_for_any_value_with_a_negated_operator_applies_negation_per_value() -> None:
    condition = {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["env"]}}
    assert condition_allows(condition, {"aws:TagKeys": ["env", "team"]})
    assert not condition_allows(condition, {"aws:TagKeys": ["env"]})


def test_empty_list_context_value_counts_as_absent() -> None:
    assert condition_allows({"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "env"}}, {"aws:TagKeys": []})


@pytest.mark.parametrize("operator", ["StringEqualz", "ForSomeValues:StringEquals", "NullIfExists", "ForAnyValue:Null"])
def test_unknown_operator_is_an_error(operator: str) -> None:
    with pytest.raises(MalformedPolicyDocument):
        compile_policy(identity(allow(Condition={operator: {"aws:username": "x"}})))


@pytest.mark.parametrize(("operator", "value"), [("NumericEquals", "ten"), ("DateEquals", "yesterday"), ("Bool", "yes"),
                                                 ("IpAddress", "300.1.1.1/8"), ("BinaryEquals", "***")])
def test_a_value_the_operator_cannot_read_is_an_error(operator: str, value: str) -> None:
    with pytest.raises(MalformedPolicyDocument):
        compile_policy(identity(allow(Condition={operator: {"x:key": value}})))
