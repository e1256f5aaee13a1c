"""EC2's query dialect: what botocore's EC2Serializer writes is read back exactly, what we write botocore's
EC2QueryParser reads back exactly, errors come in EC2's envelope with EC2's codes, and only a request signed for
``ec2`` is routed here."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlencode

import botocore.model
import pytest
from botocore.awsrequest import AWSRequest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.credentials import Credentials
from botocore.model import OperationModel
from botocore.parsers import create_parser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rolegate.core.errors import (AccessDenied, AwsError, InvalidClientTokenId, InvalidParameterValue, ServiceFailure,
                                  SignatureDoesNotMatch, StoreUnavailable, ValidationError)
from rolegate.wire.codec import Decoded, WireRequest
from rolegate.wire.ec2_codec import Ec2Codec
from rolegate.wire.models import OperationRef, ServiceCatalog, default_catalog
from rolegate.wire.query_codec import QueryCodec
from rolegate.wire.routing import Router, scope_service
from rolegate.wire.validator import validate
from tests.wire.shape_strategies import flatten, valid_input, valid_output

_CATALOG = default_catalog()
_SERVED = ("AssociateIamInstanceProfile", "DescribeIamInstanceProfileAssociations",
           "ReplaceIamInstanceProfileAssociation", "DisassociateIamInstanceProfile")
_PARSER = create_parser("ec2")
_SETTINGS = settings(max_examples=12, derandomize=True, database=None, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
_SEALED: list[dict[str, Any]] = []


def _seal(message: Any) -> str:
    _SEALED.append(dict(message))
    return f"sealed-{len(_SEALED)}"


_CODEC = Ec2Codec(_CATALOG, encode_message=_seal)


def _ref(action: str) -> OperationRef:
    ref = _CATALOG.lookup_ec2_action(action)
    assert ref is not None
    return ref


def _request(params: dict[str, Any], *, headers: list[tuple[str, str]] | None = None, query: str = "") -> WireRequest:
    return WireRequest("POST", "/", query, headers or [], urlencode(params).encode("ascii"))


def _read(action: str, **params: str) -> dict[str, Any]:
    decoded = _CODEC.decode(_request({"Action": action, "Version": "2016-11-15", **params}))
    ref = _CODEC.resolve(decoded)
    assert ref is not None
    return _CODEC.read_input(ref, decoded)


def _read_error(action: str, **params: str) -> AwsError:
    with pytest.raises(AwsError) as info:
        validate(_ref(action).operation, _read(action, **params))
    return info.value


def _without_empty_lists(value: Any) -> Any:
    """``value`` as botocore's EC2Serializer sends it: no empty list, and no list item left with no member."""
    if isinstance(value, dict):
        kept = {k: _without_empty_lists(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v != []}
    if isinstance(value, list):
        return [v for v in map(_without_empty_lists, value) if v != {}]
    return value


def _parse(op: OperationModel, body: bytes, status: int = 200) -> dict[str, Any]:
    parsed: dict[str, Any] = _PARSER.parse({"body": body, "headers": {}, "status_code": status}, op.output_shape)
    return parsed


# --- input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", _SERVED)
def test_what_botocores_ec2_serializer_writes_is_read_back_exactly(action: str) -> None:
    op = _ref(action).operation

    @_SETTINGS
    @given(valid_input(op))
    def check(value: dict[str, Any]) -> None:
        form = flatten(op, value)  # botocore's EC2Serializer, validating the generated input first
        decoded = _CODEC.decode(_request(form))
        ref = _CODEC.resolve(decoded)
        assert ref is not None and ref.operation is op
        params = _CODEC.read_input(ref, decoded)
        validate(op, params)
        # botocore sends nothing for an empty list or an item with nothing in it; the rest comes back as given.
        assert params == _without_empty_lists(value)

    check()


def test_lists_are_numbered_under_the_capitalised_location_name_without_member() -> None:
    op = _ref("DescribeIamInstanceProfileAssociations").operation
    form = flatten(op, {"AssociationIds": ["iip-assoc-1", "iip-assoc-2"],
                        "Filters": [{"Name": "instance-id", "Values": ["i-1", "i-2"]}], "MaxResults": 5})
    assert form == {"Action": "DescribeIamInstanceProfileAssociations", "Version": "2016-11-15",
                    "AssociationId.1": "iip-assoc-1", "AssociationId.2": "iip-assoc-2",
                    "Filter.1.Name": "instance-id", "Filter.1.Value.1": "i-1", "Filter.1.Value.2": "i-2",
                    "MaxResults": "5"}
    assert _read("DescribeIamInstanceProfileAssociations", **{k: v for k, v in form.items()
                                                              if k not in ("Action", "Version")}) == {
        "AssociationIds": ["iip-assoc-1", "iip-assoc-2"],
        "Filters": [{"Name": "instance-id", "Values": ["i-1", "i-2"]}], "MaxResults": 5}


def test_list_items_are_taken_in_index_order_even_with_gaps_as_botocore_numbers_them() -> None:
    # botocore's EC2Serializer writes an item with nothing in it as nothing and numbers the next one after it.
    assert _read("DescribeIamInstanceProfileAssociations", **{"AssociationId.5": "iip-assoc-b",
                                                              "AssociationId.2": "iip-assoc-a"}) == {
        "AssociationIds": ["iip-assoc-a", "iip-assoc-b"]}


def test_a_structure_member_is_named_by_its_member_name_when_it_has_no_location_name() -> None:
    assert _read("AssociateIamInstanceProfile", **{"IamInstanceProfile.Name": "web", "InstanceId": "i-0123"}) == {
        "IamInstanceProfile": {"Name": "web"}, "InstanceId": "i-0123"}


def test_the_query_spelling_of_a_list_is_not_ec2s() -> None:
    err = _read_error("DescribeIamInstanceProfileAssociations", **{"AssociationIds.member.1": "iip-assoc-1"})
    assert (err.code, err.status) == ("UnknownParameter", 400)
    assert err.message == "The parameter AssociationIds is not recognized."


@pytest.mark.parametrize(("params", "named"), [
    ({"Bogus": "1"}, "Bogus"),
    ({"AssociationId.0": "iip-assoc-1"}, "AssociationId.0"),
    ({"Filter.1.Name": "state", "Filter.1.Valu.1": "associated"}, "Filter.1.Valu"),
    ({"MaxResults.1": "5"}, "MaxResults.1"),
])
def test_a_parameter_the_input_shape_lacks_is_unknown_parameter(params: dict[str, str], named: str) -> None:
    err = _read_error("DescribeIamInstanceProfileAssociations", **params)
    assert err.code == "UnknownParameter" and err.message.startswith(f"The parameter {named} is not recognized.")


def test_a_missing_required_parameter_is_missing_parameter_named_as_on_the_wire() -> None:
    err = _read_error("AssociateIamInstanceProfile", InstanceId="i-0123")
    assert (err.code, err.status, err.message) == (
        "MissingParameter", 400, "The request must contain the parameter IamInstanceProfile")
    assert _read_error("DisassociateIamInstanceProfile").message == \
        "The request must contain the parameter AssociationId"


def test_constraint_violations_go_to_the_shared_validator_with_awss_message() -> None:
    err = _read_error("DescribeIamInstanceProfileAssociations", MaxResults="3")
    assert isinstance(err, ValidationError)
    assert err.message == ("1 validation error detected: Value '3' at 'maxResults' failed to satisfy constraint: "
                           "Member must have value greater than or equal to 5")
    unreadable = _read_error("DescribeIamInstanceProfileAssociations", MaxResults="many")
    assert isinstance(unreadable, ValidationError) and "'many' at 'maxResults'" in unreadable.message


_NAMES = st.sampled_from(["AssociationId", "Filter", "Name", "Value", "Values", "MaxResults", "NextToken",
                           "InstanceId", "IamInstanceProfile", "Arn", "member", "1", "2", "0", "01", ""])


@given(st.dictionaries((st.lists(_NAMES, min_size=1, max_size=4).map(".".join) | st.text(max_size=12)).filter(
    lambda name: name not in ("Action", "Version")), st.text(max_size=12), max_size=6))
@settings(max_examples=300, derandomize=True, database=None, deadline=None)
def test_arbitrary_parameters_are_read_or_refused_with_a_client_error(params: dict[str, str]) -> None:
    for action in _SERVED:
        try:
            validate(_ref(action).operation, _read(action, **params))
        except AwsError as err:
            assert 400 <= err.status < 500 and err.code in (
                "UnknownParameter", "MissingParameter", "ValidationError", "MalformedQueryString"), err


def test_an_unknown_action_is_invalid_action_in_ec2s_words() -> None:
    decoded = _CODEC.decode(_request({"Action": "LaunchRockets", "Version": "2016-11-15"}))
    assert _CODEC.resolve(decoded) is None
    err = _CODEC.unknown_operation(decoded)
    assert (err.code, err.status, err.message) == (
        "InvalidAction", 400, "The action LaunchRockets is not valid for this web service.")


def test_iam_actions_are_not_ec2_actions() -> None:
    assert _CODEC.resolve(Decoded("CreateRole", {}, {})) is None


# --- output ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", _SERVED)
def test_what_we_write_botocores_ec2_parser_reads_back_exactly(action: str) -> None:
    ref = _ref(action)

    @_SETTINGS
    @given(valid_output(ref.operation))
    def check(result: dict[str, Any]) -> None:
        response = _CODEC.encode_result(ref, result, "req-123")
        assert response.status == 200
        parsed = _parse(ref.operation, response.body)
        assert parsed.pop("ResponseMetadata")["RequestId"] == "req-123"
        assert parsed == result

    check()


def test_the_response_is_ec2s_document() -> None:
    when = datetime(2026, 12, 3, 9, 15, 0, 250000, tzinfo=timezone.utc)
    association = {"AssociationId": "iip-assoc-0123456789abcdef0", "InstanceId": "i-0123456789abcdef0",
                   "IamInstanceProfile": {"Arn": "arn:aws:iam::123456789012:instance-profile/web",
                                          "Id": "AIPAEXAMPLE"}, "State": "associated", "Timestamp": when}
    ref = _ref("DescribeIamInstanceProfileAssociations")
    body = _CODEC.encode_result(ref, {"IamInstanceProfileAssociations": [association], "NextToken": "t&1"},
                                "rid-1").body.decode()
    assert body == (
        '<DescribeIamInstanceProfileAssociationsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
        "<requestId>rid-1</requestId><iamInstanceProfileAssociationSet><item>"
        "<associationId>iip-assoc-0123456789abcdef0</associationId><instanceId>i-0123456789abcdef0</instanceId>"
        "<iamInstanceProfile><arn>arn:aws:iam::123456789012:instance-profile/web</arn><id>AIPAEXAMPLE</id>"
        "</iamInstanceProfile><state>associated</state><timestamp>2026-12-03T09:15:00.250Z</timestamp>"
        "</item></iamInstanceProfileAssociationSet><nextToken>t&amp;1</nextToken>"
        "</DescribeIamInstanceProfileAssociationsResponse>")


def test_a_result_member_the_model_lacks_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="no member"):
        _CODEC.encode_result(_ref("DisassociateIamInstanceProfile"), {"Association": {}}, "rid")


# --- errors ---------------------------------------------------------------------------------------


def _error(err: AwsError, action: str | None = "AssociateIamInstanceProfile") -> tuple[int, dict[str, Any], bytes]:
    ref = _ref(action) if action is not None else None
    response = _CODEC.encode_error(err, "rid-9", ref)
    parsed = _PARSER.parse({"body": response.body, "headers": {}, "status_code": response.status},
                           ref.operation.output_shape if ref else None)
    assert parsed["ResponseMetadata"]["RequestId"] == "rid-9"
    return response.status, parsed["Error"], response.body


def test_errors_come_in_ec2s_envelope_with_request_id_spelt_its_way() -> None:
    status, error, body = _error(InvalidParameterValue("x"), None)
    assert body == (b'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>InvalidParameterValue'
                    b"</Code><Message>x</Message></Error></Errors><RequestID>rid-9</RequestID></Response>")
    assert (status, error) == (400, {"Code": "InvalidParameterValue", "Message": "x"})


def test_a_domain_error_keeps_its_ec2_code_and_status() -> None:
    err = AwsError("The instance ID 'i-0123456789abcdef0' does not exist", code="InvalidInstanceID.NotFound",
                   status=400)
    assert _error(err)[:2] == (400, {"Code": "InvalidInstanceID.NotFound", "Message": err.message})


@pytest.mark.parametrize("err", [InvalidClientTokenId("The security token included in the request is invalid."),
                                 SignatureDoesNotMatch("The request signature we calculated does not match")])
def test_authentication_failures_are_auth_failure(err: AwsError) -> None:
    assert _error(err)[:2] == (401, {"Code": "AuthFailure",
                                     "Message": "AWS was not able to validate the provided access credentials"})


def test_a_denied_change_is_unauthorized_operation_with_an_encoded_message() -> None:
    denial = ("User: arn:aws:iam::123456789012:user/bob is not authorized to perform: "
              "ec2:AssociateIamInstanceProfile on resource: arn:aws:ec2:us-east-1:123456789012:instance/i-0123 "
              "because no identity-based policy allows the ec2:AssociateIamInstanceProfile action")
    status, error, _ = _error(AccessDenied(denial))
    assert (status, error["Code"]) == (403, "UnauthorizedOperation")
    assert error["Message"] == (f"You are not authorized to perform this operation. {denial}. "
                                f"Encoded authorization failure message: sealed-{len(_SEALED)}")
    assert _SEALED[-1] == {"allowed": False, "explicitDeny": False, "action": "ec2:AssociateIamInstanceProfile",
                           "message": denial}


def test_a_denied_describe_carries_no_encoded_message() -> None:
    denial = ("User: arn:aws:iam::123456789012:user/bob is not authorized to perform: "
              "ec2:DescribeIamInstanceProfileAssociations with an explicit deny in an identity-based policy")
    sealed = len(_SEALED)
    status, error, _ = _error(AccessDenied(denial), "DescribeIamInstanceProfileAssociations")
    assert (status, error) == (403, {"Code": "UnauthorizedOperation",
                                     "Message": f"You are not authorized to perform this operation. {denial}"})
    assert len(_SEALED) == sealed


def test_server_errors_are_ec2s_internal_error_and_unavailable() -> None:
    assert _error(ServiceFailure("An internal error occurred."))[:2] == (
        500, {"Code": "InternalError", "Message": "An internal error has occurred."})
    assert _error(StoreUnavailable("disk full"))[:2] == (
        503, {"Code": "Unavailable", "Message": "The server is overloaded and can't handle the request."})


def test_error_text_is_escaped() -> None:
    assert _error(AwsError("a <b> & c", code="InvalidParameterValue", status=400))[1]["Message"] == "a <b> & c"


# --- routing --------------------------------------------------------------------------------------


def _signed(service: str, *, presigned: bool = False) -> WireRequest:
    req = AWSRequest("POST", "http://localhost/", data={"Action": "DescribeIamInstanceProfileAssociations"},
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    creds = Credentials("AKIDEXAMPLE", "secret")
    (SigV4QueryAuth(creds, service, "eu-west-1") if presigned else SigV4Auth(creds, service, "eu-west-1")).add_auth(req)
    prepared = req.prepare()
    query = prepared.url.partition("?")[2]
    body = prepared.body or b""
    return WireRequest("POST", "/", query, list(prepared.headers.items()), body.encode() if isinstance(body, str) else body)


def test_the_signing_scopes_service_is_read_from_the_header_or_the_presigned_query() -> None:
    assert scope_service(_signed("ec2")) == "ec2"
    assert scope_service(_signed("iam")) == "iam"
    assert scope_service(_signed("ec2", presigned=True)) == "ec2"
    assert scope_service(WireRequest("POST", "/", "", [], b"Action=AssumeRoleWithWebIdentity")) is None
    assert scope_service(WireRequest("POST", "/", "", [("Authorization", "AWS4-HMAC-SHA256 Credential=AK/x")],
                                     b"")) is None
    quoted = quote("AK/20261203/us-east-1/ec2/aws4_request", safe="")
    assert scope_service(WireRequest("GET", "/", f"Action=X&X-Amz-Credential={quoted}", [], b"")) == "ec2"


def test_a_form_request_signed_for_ec2_is_read_by_the_ec2_codec_and_any_other_by_query() -> None:
    router = Router(_CATALOG)
    assert isinstance(router.codec_for(_signed("ec2")), Ec2Codec)
    assert isinstance(router.codec_for(_signed("ec2", presigned=True)), Ec2Codec)
    assert isinstance(router.codec_for(_signed("iam")), QueryCodec)
    assert isinstance(router.codec_for(_signed("sts")), QueryCodec)
    # Unsigned form requests (STS's web identity and SAML calls) are never EC2's.
    assert isinstance(router.codec_for(WireRequest("POST", "/", "", [], b"Action=AssumeRoleWithSAML")), QueryCodec)


def test_without_an_ec2_service_in_the_catalog_ec2_requests_are_query_requests() -> None:
    assert isinstance(Router(ServiceCatalog(["iam", "sts"])).codec_for(_signed("ec2")), QueryCodec)


def test_a_second_ec2_protocol_service_is_refused() -> None:
    def model(name: str) -> botocore.model.ServiceModel:
        return botocore.model.ServiceModel({
            "metadata": {"protocol": "ec2", "apiVersion": "2020-01-01", "serviceId": name, "endpointPrefix": name},
            "operations": {"DoIt": {"name": "DoIt", "http": {"method": "POST", "requestUri": "/"}}},
            "shapes": {}}, service_name=name)

    catalog = ServiceCatalog([model("one")])
    assert catalog.lookup_ec2_action("DoIt") is not None and catalog.lookup_action("DoIt") is None
    with pytest.raises(ValueError, match="second ec2-protocol service"):
        catalog.add_service(model("two"))
