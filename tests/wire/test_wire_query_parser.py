"""Query input parsing: botocore round trips for every IAM/STS operation, and every kind of bad input."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.model import OperationModel
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rolegate.core.errors import AwsError, InvalidParameterValue, ValidationError
from rolegate.wire.form import decode_form
from rolegate.wire.models import default_catalog
from rolegate.wire.query_parser import parse_input
from tests.wire.shape_strategies import bad_request_cases, flatten, valid_input

_CATALOG = default_catalog()
_ACTIONS = sorted(_CATALOG.actions)
_SETTINGS = settings(
    max_examples=8,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


def _op(action: str) -> OperationModel:
    ref = _CATALOG.lookup_action(action)
    assert ref is not None
    return ref.operation


def _parse(action: str, **params: str) -> dict[str, Any]:
    return parse_input(_op(action), {"Action": action, "Version": "2010-05-08", **params})


def _error(action: str, **params: str) -> AwsError:
    with pytest.raises(AwsError) as info:
        _parse(action, **params)
    return info.value


@pytest.mark.parametrize("action", _ACTIONS)
def test_botocore_requests_round_trip(action: str) -> None:
    op = _op(action)

    @_SETTINGS
    @given(valid_input(op))
    def check(value: dict[str, Any]) -> None:
        params = flatten(op, value)  # botocore validates the generated input first
        # Through the real wire encoding: botocore sends the dict urlencoded as the body.
        form = decode_form(urlencode(params).encode("ascii"))
        assert parse_input(op, form) == value

    check()


@pytest.mark.parametrize("action", _ACTIONS)
def test_bad_requests_get_client_errors(action: str) -> None:
    op = _op(action)

    @_SETTINGS
    @given(bad_request_cases(op))
    def check(case: tuple[dict[str, str], str, str]) -> None:
        params, kind, note = case
        with pytest.raises(AwsError) as info:
            parse_input(op, params)
        err = info.value
        assert 400 <= err.status < 500, note
        if kind == "validation":
            assert isinstance(err, ValidationError), (note, err)
            assert err.message.split(":")[0].endswith("detected"), err.message
        else:
            assert isinstance(err, InvalidParameterValue), (note, err)

    check()


# --- AWS message shapes -----------------------------------------------------------------------------


def test_single_pattern_error_message() -> None:
    err = _error("GetRole", RoleName="my role")
    assert isinstance(err, ValidationError)
    assert err.status == 400
    assert err.message == (
        "1 validation error detected: Value 'my role' at 'roleName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    )


def test_all_violations_are_reported_in_model_order() -> None:
    err = _error(
        "CreateRole",
        RoleName="x" * 65,
        MaxSessionDuration="50000",
        **{"Tags.member.1.Key": "", "Tags.member.1.Value": "v"},
    )
    assert err.message == (
        "5 validation errors detected: "
        f"Value '{'x' * 65}' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64; "
        "Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null; "
        "Value '50000' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200; "
        "Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1; "
        "Value '' at 'tags.1.member.key' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+"
    )


def test_enum_and_minimum_messages() -> None:
    err = _error("UpdateAccessKey", AccessKeyId="AKIAAAAAAAAAAAAAAAAA", Status="On")
    assert err.message.endswith("at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]")
    err = _error("AssumeRole", RoleArn="arn:aws:iam::123456789012:role/r", RoleSessionName="ok-name", DurationSeconds="60")
    assert err.message == (
        "1 validation error detected: Value '60' at 'durationSeconds' failed to satisfy constraint: "
        "Member must have value greater than or equal to 900"
    )


def test_list_item_paths_and_list_length() -> None:
    params = {"ThumbprintList.member.1": "a" * 40, "ThumbprintList.member.2": "short"}
    err = _error("CreateOpenIDConnectProvider", Url="https://example.com", **params)
    assert err.message == (
        "1 validation error detected: Value 'short' at 'thumbprintList.2.member' failed to satisfy constraint: "
        "Member must have length greater than or equal to 40"
    )
    tags = {f"Tags.member.{i}.{part}": f"k{i}" for i in range(1, 52) for part in ("Key", "Value")}
    err = _error("TagRole", RoleName="r", **tags)
    assert err.message.startswith("1 validation error detected: Value '[{Key=k1, Value=k1}, ")
    assert err.message.endswith("at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50")


def test_type_errors_are_validation_errors() -> None:
    err = _error("ListRoles", MaxItems="abc")
    assert isinstance(err, ValidationError)
    assert "Value 'abc' at 'maxItems' failed to satisfy constraint: Member must be an integer" in err.message
    err = _error("ListRoles", MaxItems="99999999999")
    assert isinstance(err, ValidationError)
    err = _error("GetAccountAuthorizationDetails", Filter="maybe")  # a list: structural
    assert isinstance(err, InvalidParameterValue)


def test_sensitive_values_are_not_echoed() -> None:
    err = _error("ChangePassword", OldPassword="", NewPassword="hunter2")
    assert "hunter2" not in err.message and "'*** Sensitive Data Redacted ***' at 'oldPassword'" in err.message


def test_union_needs_exactly_one_member() -> None:
    err = _error(
        "SimulatePrincipalPolicy",
        PolicySourceArn="arn:aws:iam::123456789012:role/xxxxx",
        **{
            "ActionNames.member.1": "s3:GetObject",
            "PolicyExclusionList.member.1.PolicyArn": "arn:aws:iam::aws:policy/x",
            "PolicyExclusionList.member.1.PolicyType": "inline",
        },
    )
    assert "at 'policyExclusionList.1.member' failed to satisfy constraint: Member must have exactly one member set" in err.message


# --- structure of parameter names ----------------------------------------------------------------------


def test_empty_list_and_map_spellings() -> None:
    assert _parse("CreateRole", RoleName="r", AssumeRolePolicyDocument="{}", Tags="")["Tags"] == []
    out = _parse("PutAccountProperties", **{"Properties.entry.1.key": "a", "Properties.entry.1.value": "b"})
    assert out == {"Properties": {"a": "b"}}


@pytest.mark.parametrize(
    "extra",
    [
        {"Bogus": "1"},
        {"RoleName.Extra": "1"},
        {"Tags.member.2.Key": "k", "Tags.member.2.Value": "v"},  # gap: no 1
        {"Tags.member.0.Key": "k"},
        {"Tags.member.01.Key": "k"},
        {"Tags.member.x.Key": "k"},
        {"Tags.entry.1.Key": "k"},
        {"Tags.member.1.Key": "k", "Tags.member.1.Colour": "v"},
        {"Tags": "nonempty"},
        {"Tags": "", "Tags.member.1.Key": "k"},
        {"a..b": "1"},
        {"Tags.member.1": "x"},
    ],
)
def test_malformed_names_are_invalid_parameter_values(extra: dict[str, str]) -> None:
    err = _error("CreateRole", RoleName="r", AssumeRolePolicyDocument="{}", **extra)
    assert isinstance(err, InvalidParameterValue)
    assert err.status == 400 and "is not recognized" in err.message


def test_map_entry_problems() -> None:
    op = "PutAccountProperties"
    assert isinstance(_error(op, **{"Properties.entry.1.value": "b"}), InvalidParameterValue)
    dup = {"Properties.entry.1.key": "a", "Properties.entry.1.value": "b", "Properties.entry.2.key": "a", "Properties.entry.2.value": "c"}
    assert isinstance(_error(op, **dup), InvalidParameterValue)
    err = _error(op, **{"Properties.entry.1.key": "a"})
    assert isinstance(err, ValidationError) and "at 'properties.entry.1.value'" in err.message


def test_auth_and_envelope_params_are_skipped() -> None:
    out = _parse(
        "GetRole",
        RoleName="r",
        **{"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Signature": "00", "X-Amz-Security-Token": "t"},
    )
    assert out == {"RoleName": "r"}


def test_operation_without_input_members() -> None:
    assert _parse("GetCallerIdentity") == {}
    assert isinstance(_error("GetCallerIdentity", Foo="1"), InvalidParameterValue)


def test_booleans_are_strict() -> None:
    base = {"PolicySourceArn": "arn:aws:iam::123456789012:role/xxxxx", "ActionNames.member.1": "s3:Get"}
    # No boolean in SimulatePrincipalPolicy; use UpdateAccountPasswordPolicy.
    del base
    assert _parse("UpdateAccountPasswordPolicy", RequireSymbols="true") == {"RequireSymbols": True}
    assert _parse("UpdateAccountPasswordPolicy", RequireSymbols="false") == {"RequireSymbols": False}
    for bad in ("True", "1", "", "yes"):
        assert isinstance(_error("UpdateAccountPasswordPolicy", RequireSymbols=bad), ValidationError)


@given(st.dictionaries(st.text(max_size=20), st.text(max_size=20), max_size=6))
@settings(max_examples=200, derandomize=True, database=None, deadline=None)
def test_arbitrary_params_never_crash(params: dict[str, str]) -> None:
    for action in ("CreateRole", "AssumeRole", "PutAccountProperties"):
        try:
            parse_input(_op(action), params)
        except AwsError as err:
            assert 400 <= err.status < 500
