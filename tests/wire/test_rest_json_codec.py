"""rest-json through the real endpoint, driven by botocore's ``rolesanywhere`` model and called by boto3's client.

The handlers here are this test's own (a registry of its own, like ``test_toy_json_service``): they echo
what the codec bound, so each test pins one binding rule — path labels, query strings (scalars, lists),
the JSON body, the response status from the model, timestamps as the shape's ``timestampFormat`` says,
errors as ``x-amzn-ErrorType`` plus ``{"message"}`` in the spelling rest-json services use. The real
router, SigV4 authentication, shared validator and authorizer serve them; requests go in process
(botocore's ``before-send`` hook).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from rolegate.authz import Authorizer
from rolegate.authz.operations import ANY, OperationAuth, Target
from rolegate.core.errors import ClientError as AwsClientError
from rolegate.server.app import authenticator_for
from rolegate.server.config import Settings
from rolegate.server.runtime import open_runtime, prepare
from rolegate.wire.endpoint import Endpoint
from rolegate.wire.handlers import Handler, HandlerContext, OperationKey, operation
from rolegate.wire.models import ServiceCatalog
from rolegate.wire.rest_routes import RestRoutes
from tests.in_process import serve_in_process
from tests.live import ROOT_KEY_ID, ROOT_SECRET

ECHO: dict[OperationKey, Handler] = {}
SEEN: list[tuple[str, dict[str, Any]]] = []
_AT = dt.datetime(2024, 1, 2, 3, 4, 5, 250000, tzinfo=dt.timezone.utc)
_ANCHOR = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/0b6ae0a4-f2ba-4c57-a0c3-1e6d1ee7d6b1"


class NotFound(AwsClientError):
    code = "ResourceNotFoundException"
    status = 404


def _anchor(name: str) -> dict[str, Any]:
    return {"trustAnchorId": _ANCHOR.rsplit("/", 1)[1], "trustAnchorArn": _ANCHOR, "name": name, "enabled": True,
            "source": {"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": "PEM"}},
            "createdAt": _AT, "updatedAt": _AT}


@operation("rolesanywhere", "CreateTrustAnchor", registry=ECHO)
def create_trust_anchor(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    SEEN.append(("CreateTrustAnchor", p))
    return {"trustAnchor": _anchor(p["name"])}


@operation("rolesanywhere", "GetTrustAnchor", registry=ECHO)
def get_trust_anchor(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    SEEN.append(("GetTrustAnchor", p))
    if p["trustAnchorId"] != _ANCHOR.rsplit("/", 1)[1]:
        raise NotFound("Trust anchor not found.")
    return {"trustAnchor": _anchor("found")}


@operation("rolesanywhere", "ListTrustAnchors", registry=ECHO)
def list_trust_anchors(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    SEEN.append(("ListTrustAnchors", p))
    return {"trustAnchors": [], "nextToken": None}


@operation("rolesanywhere", "DeleteAttributeMapping", registry=ECHO)
def delete_attribute_mapping(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    SEEN.append(("DeleteAttributeMapping", p))
    raise NotFound("Profile not found.")


@operation("rolesanywhere", "ListTagsForResource", registry=ECHO)
def list_tags(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    SEEN.append(("ListTagsForResource", p))
    return {"tags": [{"key": "team", "value": "infra"}]}


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("rest"), root_access_key_id=ROOT_KEY_ID,
                        root_secret_access_key=ROOT_SECRET)
    prepare(settings)
    runtime = open_runtime(settings)
    catalog = ServiceCatalog(["iam", "sts", "rolesanywhere"])
    authorizer = Authorizer(runtime.effective, runtime.clock, runtime.store.invalidation,
                            operations_table={k: OperationAuth(f"rolesanywhere:{k[1]}", Target(ANY)) for k in ECHO})
    try:
        yield Endpoint(catalog, authenticator_for(runtime), runtime.services, authorizer=authorizer, handlers=ECHO)
    finally:
        runtime.store.close()


@pytest.fixture
def client(endpoint: Endpoint) -> Any:
    SEEN.clear()
    c = boto3.client("rolesanywhere", region_name="us-east-1", endpoint_url="http://rest.test",
                     aws_access_key_id=ROOT_KEY_ID, aws_secret_access_key=ROOT_SECRET)

    return serve_in_process(c, endpoint)


def test_a_create_answers_with_the_models_response_code_and_binds_the_json_body(client: Any) -> None:
    out = client.create_trust_anchor(name="corp", enabled=True, tags=[{"key": "k", "value": "v"}],
                                     source={"sourceType": "CERTIFICATE_BUNDLE",
                                             "sourceData": {"x509CertificateData": "PEM"}})
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert SEEN == [("CreateTrustAnchor", {"name": "corp", "enabled": True, "tags": [{"key": "k", "value": "v"}],
                                           "source": {"sourceType": "CERTIFICATE_BUNDLE",
                                                      "sourceData": {"x509CertificateData": "PEM"}}})]
    assert out["trustAnchor"]["createdAt"] == _AT


def test_timestamps_are_written_as_the_shape_says(endpoint: Endpoint, client: Any) -> None:
    client.get_trust_anchor(trustAnchorId=_ANCHOR.rsplit("/", 1)[1])  # signed the real way; replay its wire form
    res = _raw(endpoint, client, "GET", "/trustanchor/" + _ANCHOR.rsplit("/", 1)[1])
    assert json.loads(res.body)["trustAnchor"]["createdAt"] == "2024-01-02T03:04:05.250000Z"  # iso8601 shape


def test_a_path_label_binds_its_member(client: Any) -> None:
    assert client.get_trust_anchor(trustAnchorId=_ANCHOR.rsplit("/", 1)[1])["trustAnchor"]["name"] == "found"
    assert SEEN == [("GetTrustAnchor", {"trustAnchorId": _ANCHOR.rsplit("/", 1)[1]})]


def test_query_members_bind_scalars_and_repeated_keys_as_lists(client: Any) -> None:
    client.list_trust_anchors(pageSize=5, nextToken="abc")
    assert SEEN[-1] == ("ListTrustAnchors", {"pageSize": 5, "nextToken": "abc"})
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.delete_attribute_mapping(profileId="0b6ae0a4-f2ba-4c57-a0c3-1e6d1ee7d6b1", certificateField="x509SAN",
                                        specifiers=["DNS", "URI"])
    assert SEEN[-1] == ("DeleteAttributeMapping", {"profileId": "0b6ae0a4-f2ba-4c57-a0c3-1e6d1ee7d6b1",
                                                   "certificateField": "x509SAN", "specifiers": ["DNS", "URI"]})
    assert client.list_tags_for_resource(resourceArn=_ANCHOR)["tags"] == [{"key": "team", "value": "infra"}]
    assert SEEN[-1] == ("ListTagsForResource", {"resourceArn": _ANCHOR})


def test_a_handler_error_reaches_the_client_as_its_modelled_exception(client: Any) -> None:
    with pytest.raises(client.exceptions.ResourceNotFoundException) as info:
        client.get_trust_anchor(trustAnchorId="1b6ae0a4-f2ba-4c57-a0c3-1e6d1ee7d6b1")
    response = info.value.response
    assert response["Error"]["Message"] == "Trust anchor not found."
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "ResourceNotFoundException"


def test_path_and_query_members_go_through_the_shared_validator(endpoint: Endpoint, client: Any) -> None:
    with pytest.raises(client.exceptions.ValidationException) as info:
        client.get_trust_anchor(trustAnchorId="not-a-uuid")
    assert info.value.response["Error"]["Message"].startswith(
        "1 validation error detected: Value 'not-a-uuid' at 'trustAnchorId' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ")
    res = _raw(endpoint, client, "GET", "/trustanchors", query="nextToken=" + "x" * 10001)
    assert res.status == 400 and dict(res.headers)["x-amzn-ErrorType"] == "ValidationException"
    assert "at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to 10000" in \
        json.loads(res.body)["message"]
    assert SEEN == []


def test_a_body_member_of_the_wrong_type_is_a_validation_exception(endpoint: Endpoint, client: Any) -> None:
    res = _raw(endpoint, client, "POST", "/trustanchors", b'{"name": 5, "source": {}}')
    assert res.status == 400 and dict(res.headers)["x-amzn-ErrorType"] == "ValidationException"
    assert "Value '5' at 'name' failed to satisfy constraint: Member must be a string" in json.loads(res.body)["message"]


def test_a_query_value_that_is_not_its_type_is_a_validation_exception(endpoint: Endpoint, client: Any) -> None:
    res = _raw(endpoint, client, "GET", "/trustanchors", query="pageSize=many")
    assert res.status == 400
    assert "Value 'many' at 'pageSize' failed to satisfy constraint: Member must be an integer" in \
        json.loads(res.body)["message"]


def test_an_unsigned_request_is_refused_in_the_rest_spelling(endpoint: Endpoint) -> None:
    res = endpoint.handle("GET", "/trustanchors", "", [("host", "rest.test")], b"")
    assert (res.status, dict(res.headers)["x-amzn-ErrorType"]) == (403, "MissingAuthenticationTokenException")
    assert res.content_type == "application/json" and "message" in json.loads(res.body)


def test_a_known_path_with_another_method_is_an_unknown_operation(endpoint: Endpoint) -> None:
    res = endpoint.handle("PUT", "/trustanchors", "", [("host", "rest.test")], b"")
    assert (res.status, dict(res.headers)["x-amzn-ErrorType"]) == (404, "UnknownOperationException")


def test_query_requests_to_the_root_still_route_to_the_query_codec(endpoint: Endpoint) -> None:
    res = endpoint.handle("POST", "/", "", [("content-type", "application/x-www-form-urlencoded")],
                          b"Action=GetCallerIdentity&Version=2011-06-15")
    # This endpoint's registry has no STS handlers: the query codec answers, in XML, that it has no such action.
    assert res.content_type == "text/xml" and b"<Code>InvalidAction</Code>" in res.body


def test_a_body_that_is_not_json_is_a_serialization_exception(endpoint: Endpoint, client: Any) -> None:
    res = _raw(endpoint, client, "POST", "/trustanchors", b"{")
    assert (res.status, dict(res.headers)["x-amzn-ErrorType"]) == (400, "SerializationException")


def test_routes_prefer_literal_segments_and_refuse_ambiguous_templates() -> None:
    catalog = ServiceCatalog(["rolesanywhere"])
    routes = RestRoutes(catalog.operations.values())
    found = routes.find("GET", "/trustanchors", [])
    assert found is not None and found.route.ref.name == "ListTrustAnchors"
    found = routes.find("POST", "/crl/abc%2Fdef/enable", [])
    assert found is not None and (found.route.ref.name, found.labels) == ("EnableCrl", {"crlId": "abc/def"})
    with pytest.raises(ValueError, match="ambiguous"):
        RestRoutes([*catalog.operations.values(), *ServiceCatalog(["rolesanywhere"]).operations.values()])


def _raw(endpoint: Endpoint, client: Any, method: str, path: str, body: bytes = b"", query: str = "") -> Any:
    """A request signed by botocore's own signer, with a body and query of the test's choosing."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    url = f"http://rest.test{path}" + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(client._request_signer._credentials, "rolesanywhere", "us-east-1").add_auth(request)
    headers = [(k, v) for k, v in request.headers.items()] + [("host", "rest.test")]
    return endpoint.handle(method, path, query, headers, body)
