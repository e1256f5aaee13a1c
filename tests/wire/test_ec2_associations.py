"""The four EC2 association operations through the real endpoint (router, ec2 codec, SigV4, shared validator,
dispatch) and a real boto3 EC2 client, answered in process; the instance service is an in-memory double
(tests/wire/instances_double.py), so these pin what the wire layer does with its answers and its errors."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError

from rolegate.server.app import authenticator_for
from rolegate.server.config import Settings
from rolegate.server.runtime import open_runtime, prepare
from rolegate.wire.endpoint import Endpoint
from rolegate.wire.models import default_catalog
from tests.in_process import serve_in_process
from tests.live import ACCOUNT_ID, ROOT_KEY_ID, ROOT_SECRET
from tests.wire.instances_double import InstanceAssociationsDouble

_CONFIG = botocore.config.Config(retries={"max_attempts": 1})
_UNCHECKED = botocore.config.Config(retries={"max_attempts": 1}, parameter_validation=False)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Endpoint, InstanceAssociationsDouble]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("ec2"), root_access_key_id=ROOT_KEY_ID,
                        root_secret_access_key=ROOT_SECRET)
    prepare(settings)
    runtime = open_runtime(settings)
    double = InstanceAssociationsDouble(ACCOUNT_ID)
    services = dataclasses.replace(runtime.services, instances=double)
    try:
        yield Endpoint(default_catalog(), authenticator_for(runtime), services, authorizer=runtime.authorizer), double
    finally:
        runtime.store.close()


@pytest.fixture
def instances(served: tuple[Endpoint, InstanceAssociationsDouble]) -> InstanceAssociationsDouble:
    double = served[1]
    double.instances.clear()
    double.associations.clear()
    double.denied.clear()
    double.profiles.clear()
    double.profiles.update({"web": "AIPAWEBWEBWEBWEBWEB00", "batch": "AIPABATCHBATCHBATCH00"})
    return double


def _client(endpoint: Endpoint, service: str = "ec2", *, secret: str = ROOT_SECRET, key_id: str = ROOT_KEY_ID,
            config: botocore.config.Config = _CONFIG) -> Any:
    client = boto3.session.Session().client(service, endpoint_url="http://rolegate.test", region_name="eu-west-1",
                                            aws_access_key_id=key_id, aws_secret_access_key=secret, config=config)
    return serve_in_process(client, endpoint)


@pytest.fixture
def ec2(served: tuple[Endpoint, InstanceAssociationsDouble]) -> Any:
    return _client(served[0])


def _error(call: Any, **params: Any) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as info:
        call(**params)
    response = info.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


# --- the happy paths ------------------------------------------------------------------------------


def test_associating_a_profile_by_name_returns_the_association(ec2: Any, instances: InstanceAssociationsDouble) -> None:
    instance = instances.add_instance()
    answer = ec2.associate_iam_instance_profile(InstanceId=instance, IamInstanceProfile={"Name": "web"})
    association = answer["IamInstanceProfileAssociation"]
    assert association["AssociationId"].startswith("iip-assoc-")
    assert {k: v for k, v in association.items() if k not in ("AssociationId", "Timestamp")} == {
        "InstanceId": instance, "State": "associated",
        "IamInstanceProfile": {"Arn": instances.profile_arn("web"), "Id": "AIPAWEBWEBWEBWEBWEB00"}}
    assert association["Timestamp"] == instances.associations[association["AssociationId"]].timestamp
    assert answer["ResponseMetadata"]["RequestId"]


def test_associating_a_profile_by_arn(ec2: Any, instances: InstanceAssociationsDouble) -> None:
    instance = instances.add_instance()
    association = ec2.associate_iam_instance_profile(
        InstanceId=instance, IamInstanceProfile={"Arn": instances.profile_arn("batch")})["IamInstanceProfileAssociation"]
    assert association["IamInstanceProfile"]["Id"] == "AIPABATCHBATCHBATCH00"


def test_describe_filters_by_id_instance_and_state(ec2: Any, instances: InstanceAssociationsDouble) -> None:
    first, second = instances.add_instance(), instances.add_instance()
    a = ec2.associate_iam_instance_profile(InstanceId=first, IamInstanceProfile={"Name": "web"})[
        "IamInstanceProfileAssociation"]["AssociationId"]
    b = ec2.associate_iam_instance_profile(InstanceId=second, IamInstanceProfile={"Name": "batch"})[
        "IamInstanceProfileAssociation"]["AssociationId"]

    def ids(**params: Any) -> list[str]:
        answer = ec2.describe_iam_instance_profile_associations(**params)
        assert "NextToken" not in answer
        return [x["AssociationId"] for x in answer["IamInstanceProfileAssociations"]]

    assert ids() == [a, b]
    assert ids(AssociationIds=[b]) == [b]
    assert ids(Filters=[{"Name": "instance-id", "Values": [second, "i-00000000000000000"]}]) == [b]
    assert ids(Filters=[{"Name": "state", "Values": ["associated"]}]) == [a, b]
    assert ids(Filters=[{"Name": "state", "Values": ["disassociating"]}]) == []
    # Filters are ANDed with each other and with the ids.
    assert ids(AssociationIds=[a], Filters=[{"Name": "instance-id", "Values": [second]}]) == []


def test_describe_pages_with_max_results_and_next_token(ec2: Any, instances: InstanceAssociationsDouble) -> None:
    made = [ec2.associate_iam_instance_profile(InstanceId=instances.add_instance(), IamInstanceProfile={
        "Name": "web"})["IamInstanceProfileAssociation"]["AssociationId"] for _ in range(7)]
    first = ec2.describe_iam_instance_profile_associations(MaxResults=5)
    assert len(first["IamInstanceProfileAssociations"]) == 5 and first["NextToken"]
    pages = ec2.get_paginator("describe_iam_instance_profile_associations").paginate(
        PaginationConfig={"PageSize": 5})
    sizes, seen = [], []
    for page in pages:
        sizes.append(len(page["IamInstanceProfileAssociations"]))
        seen += [x["AssociationId"] for x in page["IamInstanceProfileAssociations"]]
    assert sizes == [5, 2] and seen == made


def test_replacing_an_association_gives_the_instance_the_new_profile(ec2: Any,
                                                                     instances: InstanceAssociationsDouble) -> None:
    instance = instances.add_instance()
    old = ec2.associate_iam_instance_profile(InstanceId=instance, IamInstanceProfile={"Name": "web"})[
        "IamInstanceProfileAssociation"]["AssociationId"]
    new = ec2.replace_iam_instance_profile_association(AssociationId=old, IamInstanceProfile={"Name": "batch"})[
        "IamInstanceProfileAssociation"]
    assert (new["InstanceId"], new["State"], new["IamInstanceProfile"]["Arn"]) == (
        instance, "associated", instances.profile_arn("batch"))
    assert [x["AssociationId"] for x in ec2.describe_iam_instance_profile_associations()[
        "IamInstanceProfileAssociations"]] == [new["AssociationId"]]


def test_disassociating_answers_the_disassociated_association(ec2: Any, instances: InstanceAssociationsDouble) -> None:
    instance = instances.add_instance()
    association = ec2.associate_iam_instance_profile(InstanceId=instance, IamInstanceProfile={"Name": "web"})[
        "IamInstanceProfileAssociation"]["AssociationId"]
    gone = ec2.disassociate_iam_instance_profile(AssociationId=association)["IamInstanceProfileAssociation"]
    assert (gone["AssociationId"], gone["InstanceId"], gone["State"]) == (association, instance, "disassociated")
    assert ec2.describe_iam_instance_profile_associations()["IamInstanceProfileAssociations"] == []


# --- the instance service's errors, in EC2's envelope --------------------------------------------


def test_an_unknown_or_malformed_instance(ec2: Any, instances: InstanceAssociationsDouble) -> None:
    assert _error(ec2.associate_iam_instance_profile, InstanceId="i-0123456789abcdef0",
                  IamInstanceProfile={"Name": "web"}) == (
        400, "InvalidInstanceID.NotFound", "The instance ID 'i-0123456789abcdef0' does not exist")
    assert _error(ec2.associate_iam_instance_profile, InstanceId="web-1", IamInstanceProfile={"Name": "web"}) == (
        400, "InvalidInstanceID.Malformed", 'Invalid id: "web-1"')


def test_a_second_association_is_incorrect_state(ec2: Any, instances: InstanceAssociationsDouble) -> None:
    instance = instances.add_instance()
    ec2.associate_iam_instance_profile(InstanceId=instance, IamInstanceProfile={"Name": "web"})
    assert _error(ec2.associate_iam_instance_profile, InstanceId=instance, IamInstanceProfile={"Name": "batch"}) == (
        400, "IncorrectState", f"There is an existing association for instance {instance}")


def test_an_unknown_profile_is_invalid_parameter_value(ec2: Any, instances: InstanceAssociationsDouble) -> None:
    instance = instances.add_instance()
    assert _error(ec2.associate_iam_instance_profile, InstanceId=instance, IamInstanceProfile={"Name": "nope"}) == (
        400, "InvalidParameterValue",
        "Value (nope) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name")
    assert instances.associations == {}


@pytest.mark.parametrize("operation", ["replace_iam_instance_profile_association",
                                       "disassociate_iam_instance_profile"])
def test_an_unknown_association(ec2: Any, instances: InstanceAssociationsDouble, operation: str) -> None:
    params: dict[str, Any] = {"AssociationId": "iip-assoc-0123456789abcdef0"}
    if operation.startswith("replace"):
        params["IamInstanceProfile"] = {"Name": "web"}
    assert _error(getattr(ec2, operation), **params) == (
        400, "InvalidAssociationID.NotFound", "The association ID 'iip-assoc-0123456789abcdef0' does not exist")


@pytest.mark.parametrize(("filters", "message"), [
    ([{"Name": "availability-zone", "Values": ["a"]}], "The filter 'availability-zone' is invalid"),
    ([{"Name": "state", "Values": ["associated"]}, {"Name": "state", "Values": ["associating"]}],
     "The filter 'state' is given more than once"),
    ([{"Name": "instance-id"}], "The filter 'instance-id' must be given at least one value"),
    ([{"Values": ["associated"]}], "The filter 'null' is invalid"),
])
def test_describe_refuses_filters_it_cannot_read(ec2: Any, instances: InstanceAssociationsDouble,
                                                 filters: list[dict[str, Any]], message: str) -> None:
    assert _error(ec2.describe_iam_instance_profile_associations, Filters=filters) == (
        400, "InvalidParameterValue", message)


# --- what the shared stages answer, in EC2's words -----------------------------------------------


def test_a_denial_is_unauthorized_operation_whose_encoded_message_sts_decodes(
        served: tuple[Endpoint, InstanceAssociationsDouble], ec2: Any, instances: InstanceAssociationsDouble) -> None:
    instances.denied.add("ec2:AssociateIamInstanceProfile")
    status, code, message = _error(ec2.associate_iam_instance_profile, InstanceId=instances.add_instance(),
                                   IamInstanceProfile={"Name": "web"})
    denial = (f"User: arn:aws:iam::{ACCOUNT_ID}:root is not authorized to perform: ec2:AssociateIamInstanceProfile "
              "because no identity-based policy allows the ec2:AssociateIamInstanceProfile action")
    head = f"You are not authorized to perform this operation. {denial}. Encoded authorization failure message: "
    assert (status, code) == (403, "UnauthorizedOperation") and message.startswith(head)
    decoded = _client(served[0], "sts").decode_authorization_message(EncodedMessage=message[len(head):])
    assert json.loads(decoded["DecodedMessage"]) == {
        "allowed": False, "explicitDeny": False, "action": "ec2:AssociateIamInstanceProfile", "message": denial}


def test_a_denied_describe_has_no_encoded_message(ec2: Any, instances: InstanceAssociationsDouble) -> None:
    instances.denied.add("ec2:DescribeIamInstanceProfileAssociations")
    assert _error(ec2.describe_iam_instance_profile_associations) == (
        403, "UnauthorizedOperation", "You are not authorized to perform this operation. "
        f"User: arn:aws:iam::{ACCOUNT_ID}:root is not authorized to perform: "
        "ec2:DescribeIamInstanceProfileAssociations because no identity-based policy allows the "
        "ec2:DescribeIamInstanceProfileAssociations action")


def test_a_bad_signature_or_an_unknown_key_is_auth_failure(served: tuple[Endpoint, InstanceAssociationsDouble],
                                                           instances: InstanceAssociationsDouble) -> None:
    for client in (_client(served[0], secret="wrong"), _client(served[0], key_id="AKIAIOSFODNN7UNKNOWN")):
        assert _error(client.describe_iam_instance_profile_associations) == (
            401, "AuthFailure", "AWS was not able to validate the provided access credentials")


def test_constraints_the_client_did_not_check_are_the_servers_to_refuse(
        served: tuple[Endpoint, InstanceAssociationsDouble], instances: InstanceAssociationsDouble) -> None:
    unchecked = _client(served[0], config=_UNCHECKED)
    assert _error(unchecked.describe_iam_instance_profile_associations, MaxResults=1001) == (
        400, "ValidationError", "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy "
        "constraint: Member must have value less than or equal to 1000")
    assert _error(unchecked.associate_iam_instance_profile, InstanceId=instances.add_instance()) == (
        400, "MissingParameter", "The request must contain the parameter IamInstanceProfile")
    assert instances.associations == {}


def test_an_ec2_action_rolegate_does_not_serve_is_invalid_action(ec2: Any) -> None:
    assert _error(ec2.describe_instances) == (
        400, "InvalidAction", "The action DescribeInstances is not valid for this web service.")


def test_iam_and_sts_are_still_served_beside_ec2(served: tuple[Endpoint, InstanceAssociationsDouble]) -> None:
    assert _client(served[0], "sts").get_caller_identity()["Account"] == ACCOUNT_ID
    assert "Roles" in _client(served[0], "iam").list_roles()
