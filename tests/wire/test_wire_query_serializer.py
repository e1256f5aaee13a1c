"""Query output: our XML read back by botocore's own QueryParser, for every IAM/STS output shape."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from botocore.model import OperationModel
from botocore.parsers import create_parser
from hypothesis import HealthCheck, given, settings

from rolegate.core.errors import AccessDenied, AwsError, NoSuchEntity, ServiceFailure, ValidationError
from rolegate.wire.models import default_catalog
from rolegate.wire.query_serializer import escape_text, serialize_error, serialize_result
from tests.wire.shape_strategies import valid_output

_CATALOG = default_catalog()
_ACTIONS = sorted(_CATALOG.actions)
_PARSER = create_parser("query")
_IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
_STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
_SETTINGS = settings(
    max_examples=8,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _ref(action: str) -> Any:
    ref = _CATALOG.lookup_action(action)
    assert ref is not None
    return ref


def _parse(op: OperationModel, body: bytes, status: int = 200) -> dict[str, Any]:
    parsed: dict[str, Any] = _PARSER.parse({"body": body, "headers": {}, "status_code": status}, op.output_shape)
    return parsed


@pytest.mark.parametrize("action", _ACTIONS)
def test_botocore_reads_back_what_we_write(action: str) -> None:
    ref = _ref(action)

    @_SETTINGS
    @given(valid_output(ref.operation))
    def check(result: dict[str, Any]) -> None:
        body = serialize_result(ref.service, ref.operation, result, "req-123")
        parsed = _parse(ref.operation, body)
        assert parsed.pop("ResponseMetadata")["RequestId"] == "req-123"
        assert parsed == result

    check()


def test_get_role_document() -> None:
    ref = _ref("GetRole")
    role = {
        "Path": "/",
        "RoleName": "r",
        "RoleId": "AROA3XFRBF535PLBIFPI4",
        "Arn": "arn:aws:iam::123456789012:role/r",
        "CreateDate": datetime(2026, 1, 1, tzinfo=timezone.utc),
        "MaxSessionDuration": 3600,
        "Tags": [{"Key": "k", "Value": "a<b&c"}],
        "Description": None,  # None is omitted, like an absent key
    }
    body = serialize_result("iam", ref.operation, {"Role": role}, "rid")
    assert body == (
        f'<GetRoleResponse xmlns="{_IAM_NS}"><GetRoleResult><Role><Path>/</Path><RoleName>r</RoleName>'
        "<RoleId>AROA3XFRBF535PLBIFPI4</RoleId><Arn>arn:aws:iam::123456789012:role/r</Arn>"
        "<CreateDate>2026-01-01T00:00:00Z</CreateDate><MaxSessionDuration>3600</MaxSessionDuration>"
        "<Tags><member><Key>k</Key><Value>a&lt;b&amp;c</Value></member></Tags></Role></GetRoleResult>"
        "<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></GetRoleResponse>"
    ).encode()


def test_operation_without_output_writes_only_metadata() -> None:
    ref = _ref("DeleteRole")
    body = serialize_result(ref.service, ref.operation, None, "rid")
    assert body == (
        f'<DeleteRoleResponse xmlns="{_IAM_NS}"><ResponseMetadata><RequestId>rid</RequestId>'
        "</ResponseMetadata></DeleteRoleResponse>"
    ).encode()
    assert _parse(ref.operation, body)["ResponseMetadata"]["RequestId"] == "rid"
    with pytest.raises(TypeError):
        serialize_result(ref.service, ref.operation, {"Extra": 1}, "rid")


def test_sts_namespace_and_timestamps() -> None:
    ref = _ref("GetSessionToken")
    expiry = datetime(2026, 1, 1, 12, 0, 0, 250000, tzinfo=timezone(timedelta(hours=2)))
    creds = {"AccessKeyId": "ASIAXXXXXXXXXXXXXXXX", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": expiry}
    body = serialize_result("sts", ref.operation, {"Credentials": creds}, "rid")
    assert body.startswith(f'<GetSessionTokenResponse xmlns="{_STS_NS}"><GetSessionTokenResult>'.encode())
    assert b"<Expiration>2026-01-01T10:00:00.250Z</Expiration>" in body
    assert _parse(ref.operation, body)["Credentials"]["Expiration"] == expiry
    naive = dict(creds, Expiration=datetime(2026, 1, 1, 0, 0, 0, 1))
    assert b"<Expiration>2026-01-01T00:00:00.000001Z</Expiration>" in serialize_result("sts", ref.operation, {"Credentials": naive}, "r")


@pytest.mark.parametrize(
    "result",
    [
        {"Role": {"RoleName": "r", "Colour": "blue"}},  # unknown member
        {"Unknown": 1},
        {"Role": {"MaxSessionDuration": "3600"}},  # str for an integer
        {"Role": {"MaxSessionDuration": True}},  # bool is not an integer
        {"Role": {"CreateDate": 1767225600}},  # epoch, not a datetime
        {"Role": {"RoleName": 5}},
        {"Role": {"Tags": {"Key": "k"}}},  # a dict, not a list
        {"Role": {"Tags": [None]}},
        {"Role": "r"},
    ],
)
def test_results_that_do_not_fit_the_shape_are_programming_errors(result: dict[str, Any]) -> None:
    ref = _ref("GetRole")
    with pytest.raises(TypeError):
        serialize_result(ref.service, ref.operation, result, "rid")


def test_wrong_service_is_refused() -> None:
    ref = _ref("GetRole")
    with pytest.raises(ValueError):
        serialize_result("sts", ref.operation, {}, "rid")


def test_characters_xml_cannot_carry_are_replaced() -> None:
    assert escape_text("a\x00b\x1fc\ud800d\uffff\r\t\n") == "a\ufffdb\ufffdc\ufffdd\ufffd&#13;\t\n"
    ref = _ref("GetRole")
    body = serialize_result(ref.service, ref.operation, {"Role": {"Description": "x\x01\r\n<]]>"}}, "rid")
    assert _parse(ref.operation, body)["Role"]["Description"] == "x\ufffd\r\n<]]>"


@pytest.mark.parametrize(
    ("err", "status", "kind"),
    [
        (ValidationError("1 validation error detected: Value 'a<b' at 'roleName' …"), 400, "Sender"),
        (NoSuchEntity("The role with name x cannot be found."), 404, "Sender"),
        (AccessDenied("User: arn:aws:iam::1:user/u is not authorized & denied"), 403, "Sender"),
        (ServiceFailure("boom"), 500, "Receiver"),
        (AwsError("custom", code="Throttling", status=400), 400, "Sender"),
    ],
)
def test_errors_parse_with_botocore(err: AwsError, status: int, kind: str) -> None:
    ref = _ref("GetRole")
    got_status, body = serialize_error(err, "rid-9", _IAM_NS)
    assert got_status == status
    assert body.startswith(f'<ErrorResponse xmlns="{_IAM_NS}"><Error><Type>{kind}</Type>'.encode())
    parsed = _parse(ref.operation, body, status)
    assert parsed["Error"] == {"Type": kind, "Code": err.code, "Message": err.message}
    assert parsed["ResponseMetadata"]["RequestId"] == "rid-9"


def test_error_without_namespace() -> None:
    _, body = serialize_error(ValidationError("x"), "r", None)
    assert body.startswith(b"<ErrorResponse><Error>")
