"""A new protocol is one codec, a new operation one handler plus its table entry: a toy json service proves it.

``tests/wire/models/toy/2024-01-01/service-2.json`` is a small awsJson 1.1 service no one else knows. Its
handlers below register under ("toy", operation) in a registry of this test's own; the real endpoint
(router, json codec, dispatch table, real SigV4 authentication, the shared validator) serves them, and a
real botocore client, which loads the same model through its loader's search paths, calls them. The
client's requests go to the endpoint in process (botocore's ``before-send`` hook) instead of a socket.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from rolegate.server.app import authenticator_for
from rolegate.core.errors import ClientError as AwsClientError
from rolegate.authz import Authorizer
from rolegate.authz.operations import ANY, OperationAuth, Target
from rolegate.server.config import Settings
from rolegate.server.runtime import open_runtime, prepare
from rolegate.wire.call import Call
from rolegate.wire.codec import WireRequest
from rolegate.wire.endpoint import Endpoint
from rolegate.wire.handlers import Handler, HandlerContext, OperationKey, operation
from rolegate.wire.models import ServiceCatalog
from rolegate.wire.observe import Outcome
from tests.in_process import serve_in_process
from tests.live import ROOT_KEY_ID, ROOT_SECRET

MODELS = Path(__file__).parent / "models"
TOY: dict[OperationKey, Handler] = {}
_WIDGETS: dict[str, dict[str, Any]] = {}
_MADE_AT = dt.datetime(2024, 1, 2, 3, 4, 5, 500000, tzinfo=dt.timezone.utc)


class NotFound(AwsClientError):
    code = "ResourceNotFoundException"


@operation("toy", "PutWidget", registry=TOY)
def put_widget(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    widget = {**p, "MadeAt": _MADE_AT}
    _WIDGETS[p["Name"]] = widget
    return {"Widget": widget}


@operation("toy", "GetWidget", registry=TOY)
def get_widget(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    widget = _WIDGETS.get(p["Name"])
    if widget is None:
        raise NotFound(f"Widget {p['Name']} does not exist.")
    return {"Widget": widget}


@operation("toy", "Ping", registry=TOY)
def ping(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"Pong": "unsigned" if ctx.caller is None else ctx.caller.arn}


class Recorder:
    """An observer that writes down what it is told, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def started(self, call: Call) -> None:
        self.events.append(("started", call.request_id))

    def resolved(self, call: Call) -> None:
        assert call.operation is not None
        self.events.append(("resolved", (call.operation.service, call.operation.name)))

    def authenticated(self, call: Call) -> None:
        self.events.append(("authenticated", call.caller.arn if call.caller else None))

    def completed(self, call: Call, outcome: Outcome) -> None:
        self.events.append(("completed", outcome))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Endpoint, Recorder]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("toy"), root_access_key_id=ROOT_KEY_ID,
                        root_secret_access_key=ROOT_SECRET)
    prepare(settings)
    runtime = open_runtime(settings)
    authenticator = authenticator_for(runtime)
    recorder = Recorder()
    catalog = ServiceCatalog(["toy"], search_paths=[MODELS])
    # A new service brings its operations' authorization entries with its handlers: "toy:ACTION" on "*".
    authorizer = Authorizer(runtime.effective, runtime.clock, runtime.store.invalidation,
                            operations_table={("toy", op): OperationAuth(f"toy:{op}", Target(ANY)) for _, op in TOY})
    endpoint = Endpoint(catalog, authenticator, runtime.services, authorizer=authorizer, handlers=TOY,
                        observers=[recorder])
    try:
        yield endpoint, recorder
    finally:
        runtime.store.close()


@pytest.fixture
def toy(served: tuple[Endpoint, Recorder]) -> Any:
    endpoint, _ = served
    _WIDGETS.clear()
    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(0, str(MODELS))
    client = session.create_client("toy", region_name="us-east-1", endpoint_url="http://toy.test",
                                   aws_access_key_id=ROOT_KEY_ID, aws_secret_access_key=ROOT_SECRET)

    return serve_in_process(client, endpoint)


def test_a_json_operation_round_trips_through_a_real_client(toy: Any) -> None:
    put = toy.put_widget(Name="gear", Size=3, Labels={"colour": "red"}, Payload=b"\x00\x01")
    assert put["Widget"] == {"Name": "gear", "Size": 3, "Labels": {"colour": "red"}, "Payload": b"\x00\x01",
                             "MadeAt": _MADE_AT}
    assert toy.get_widget(Name="gear")["Widget"]["MadeAt"] == _MADE_AT


def test_validation_errors_use_the_shared_validator_and_its_messages(toy: Any) -> None:
    with pytest.raises(ClientError) as info:
        toy.put_widget(Name="Gear!", Size=11, Payload=b"123456789")
    err = info.value.response
    assert err["Error"]["Code"] == "ValidationError"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err["Error"]["Message"] == (
        "3 validation errors detected: "
        "Value 'Gear!' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-z]+; "
        "Value '11' at 'size' failed to satisfy constraint: Member must have value less than or equal to 10; "
        f"Value '{base64.b64encode(b'123456789').decode()}' at 'payload' failed to satisfy constraint: "
        "Member must have length less than or equal to 8"
    )


def test_an_aws_error_from_a_handler_reaches_the_client_as_its_code(toy: Any) -> None:
    with pytest.raises(toy.exceptions.ResourceNotFoundException) as info:
        toy.get_widget(Name="nothing")
    assert info.value.response["Error"]["Message"] == "Widget nothing does not exist."
    assert info.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "ResourceNotFoundException"


def test_the_model_decides_which_operations_are_unsigned(toy: Any) -> None:
    assert toy.ping()["Pong"] == "unsigned"  # the model says smithy.api#noAuth: botocore does not sign


def test_a_signed_operation_without_a_signature_is_refused(served: tuple[Endpoint, Recorder]) -> None:
    endpoint, _ = served
    res = endpoint.handle("POST", "/", "", [("X-Amz-Target", "ToyWidgets_20240101.GetWidget"),
                                            ("Content-Type", "application/x-amz-json-1.1")], b'{"Name": "a"}')
    assert res.status == 403
    assert dict(res.headers)["x-amzn-ErrorType"] == "MissingAuthenticationToken"
    assert res.content_type == "application/x-amz-json-1.1"


def test_type_mismatches_and_bad_bodies_are_client_errors(served: tuple[Endpoint, Recorder]) -> None:
    endpoint, _ = served
    target = [("X-Amz-Target", "ToyWidgets_20240101.Ping")]
    assert endpoint.handle("POST", "/", "", target, b"[1]").status == 400
    assert dict(endpoint.handle("POST", "/", "", target, b"{").headers)["x-amzn-ErrorType"] == "SerializationException"
    unknown = endpoint.handle("POST", "/", "", [("X-Amz-Target", "ToyWidgets_20240101.Nope")], b"{}")
    assert (unknown.status, dict(unknown.headers)["x-amzn-ErrorType"]) == (400, "UnknownOperationException")


def test_observers_hear_each_stage_in_order(toy: Any, served: tuple[Endpoint, Recorder]) -> None:
    _, recorder = served
    recorder.events.clear()
    toy.put_widget(Name="cog")
    with pytest.raises(ClientError):
        toy.put_widget(Name="COG")
    started, resolved, authenticated, completed = recorder.events[:4]
    assert started[0] == "started" and resolved == ("resolved", ("toy", "PutWidget"))
    assert authenticated == ("authenticated", "arn:aws:iam::123456789012:root")
    assert completed == ("completed", Outcome(200))
    assert recorder.events[7] == ("completed", Outcome(400, "ValidationError"))


def test_an_undecodable_request_is_answered_before_resolve(served: tuple[Endpoint, Recorder]) -> None:
    endpoint, recorder = served
    recorder.events.clear()
    call = endpoint.begin(WireRequest("GET", "/", "", [("X-Amz-Target", "ToyWidgets_20240101.Ping")], b""))
    assert endpoint.runs_inline(call) and call.operation is None and call.error is not None
    assert endpoint.finish(call).status == 400
    assert [name for name, _ in recorder.events] == ["started", "completed"]
