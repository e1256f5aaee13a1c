"""Service-linked roles through boto3 against a live server."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def suffix() -> str:
    return uuid.uuid4().hex[:10]


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    r = exc.value.response
    return str(r["Error"]["Code"]), int(r["ResponseMetadata"]["HTTPStatusCode"]), str(r["Error"]["Message"])


def make_slr(iam: Any, **kw: Any) -> dict[str, Any]:
    return iam.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com",
                                          CustomSuffix=suffix(), **kw)["Role"]


def test_create_service_linked_role_names_it_for_the_service_under_its_path(iam: Any) -> None:
    s = suffix()
    role = iam.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com", CustomSuffix=s,
                                          Description="Beanstalk")["Role"]
    assert role["RoleName"] == f"AWSServiceRoleForElasticBeanstalk_{s}"
    assert role["Path"] == "/aws-service-role/elasticbeanstalk.amazonaws.com/"
    assert role["Arn"] == ("arn:aws:iam::123456789012:role/aws-service-role/elasticbeanstalk.amazonaws.com/"
                           f"AWSServiceRoleForElasticBeanstalk_{s}")
    assert role["Description"] == "Beanstalk" and role["RoleId"].startswith("AROA")
    statement = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": ["elasticbeanstalk.amazonaws.com"]}
    assert statement["Action"] == ["sts:AssumeRole"]
    assert iam.get_role(RoleName=role["RoleName"])["Role"]["Path"] == role["Path"]


def test_a_taken_service_role_name_is_invalid_input(iam: Any) -> None:
    s = suffix()
    iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix=s)
    with pytest.raises(ClientError) as exc:
        iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix=s)
    code, status, message = error(exc)
    assert (code, status) == ("InvalidInput", 400)
    assert message == (f"Service role name AWSServiceRoleForAutoScaling_{s} has been taken in this account, "
                       f"please try a different suffix.")


def test_a_service_name_that_is_not_a_service_principal_is_invalid_input(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.create_service_linked_role(AWSServiceName="example.com")
    assert error(exc)[:2] == ("InvalidInput", 400)


def test_create_role_under_the_service_role_path_is_refused(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.create_role(RoleName=f"r-{suffix()}", AssumeRolePolicyDocument=json.dumps(TRUST),
                        Path="/aws-service-role/ecs.amazonaws.com/")
    code, status, message = error(exc)
    assert (code, status) == ("InvalidInput", 400)
    assert message == "Path prefix '/aws-service-role/' can only be used for AWS Service linked Roles"


def test_ordinary_changes_to_a_service_linked_role_are_unmodifiable_entity(iam: Any) -> None:
    name = make_slr(iam)["RoleName"]
    calls = [
        lambda: iam.delete_role(RoleName=name),
        lambda: iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(TRUST)),
        lambda: iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(POLICY)),
        lambda: iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess"),
    ]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert error(exc)[:2] == ("UnmodifiableEntity", 400)
    assert iam.get_role(RoleName=name)["Role"]["RoleName"] == name


def test_delete_service_linked_role_returns_a_task_that_reports_success(iam: Any) -> None:
    name = make_slr(iam)["RoleName"]
    task_id = iam.delete_service_linked_role(RoleName=name)["DeletionTaskId"]
    assert task_id.startswith(f"task/aws-service-role/elasticbeanstalk.amazonaws.com/{name}/")
    status = iam.get_service_linked_role_deletion_status(DeletionTaskId=task_id)
    assert status["Status"] == "SUCCEEDED" and "Reason" not in status
    with pytest.raises(ClientError) as exc:
        iam.get_role(RoleName=name)
    assert error(exc)[:2] == ("NoSuchEntity", 404)


def test_delete_service_linked_role_of_a_missing_role_is_no_such_entity(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.delete_service_linked_role(RoleName=f"AWSServiceRoleForNothing_{suffix()}")
    assert error(exc)[:2] == ("NoSuchEntity", 404)


def test_delete_service_linked_role_refuses_an_ordinary_role(iam: Any) -> None:
    name = f"r-{suffix()}"
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    with pytest.raises(ClientError) as exc:
        iam.delete_service_linked_role(RoleName=name)
    assert error(exc)[:2] == ("InvalidInput", 400)
    assert iam.get_role(RoleName=name)["Role"]["RoleName"] == name


def test_deletion_status_of_an_unknown_task_is_no_such_entity(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.get_service_linked_role_deletion_status(
            DeletionTaskId=f"task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/{uuid.uuid4()}")
    assert error(exc)[:2] == ("NoSuchEntity", 404)


def test_deletion_status_of_a_malformed_task_id_is_invalid_input(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.get_service_linked_role_deletion_status(DeletionTaskId="not-a-task-id")
    assert error(exc)[:2] == ("InvalidInput", 400)
