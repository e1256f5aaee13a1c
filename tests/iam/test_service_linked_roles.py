"""Service-linked roles: names, path, trust policy, protection from ordinary changes, deletion tasks."""

from __future__ import annotations

import json

import pytest

from rolegate.core.clock import FixedClock
from rolegate.core.errors import InvalidInput, NoSuchEntity, UnmodifiableEntity
from rolegate.iam.accounts import AccountService
from rolegate.iam.aws_managed import aws_managed_policy, aws_policy_arn
from rolegate.iam.roles import RoleService
from rolegate.iam.service_linked_roles import (
    KNOWN_SERVICES,
    KnownService,
    ServiceLinkedRoleService,
    service_role_name,
)
from rolegate.store.sql import SqlStore

from .conftest import ACCOUNT
from tests.iam.conftest import Requests

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


@pytest.fixture
def slr(store: SqlStore, clock: FixedClock, accounts: AccountService) -> ServiceLinkedRoleService:
    return ServiceLinkedRoleService(store)


@pytest.mark.parametrize(("service", "name"), [
    ("autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling"),
    ("elasticloadbalancing.amazonaws.com", "AWSServiceRoleForElasticLoadBalancing"),
    ("ecs.amazonaws.com", "AWSServiceRoleForECS"),
    ("rds.amazonaws.com", "AWSServiceRoleForRDS"),
    ("ssm.amazonaws.com", "AWSServiceRoleForAmazonSSM"),
    ("elasticbeanstalk.amazonaws.com", "AWSServiceRoleForElasticBeanstalk"),
])
def test_known_services_get_their_documented_role_names(service: str, name: str) -> None:
    assert service_role_name(service) == name


def test_unknown_services_fall_back_to_the_camel_cased_principal() -> None:
    assert service_role_name("widgets.amazonaws.com") == "AWSServiceRoleForWidgets"
    assert service_role_name("widgets.amazonaws.com", "dev") == "AWSServiceRoleForWidgets_dev"


def test_created_role_lives_under_the_service_path_and_trusts_the_service(
        slr: ServiceLinkedRoleService, roles: RoleService, req: Requests) -> None:
    role = slr.create_service_linked_role(req(ACCOUNT), "elasticbeanstalk.amazonaws.com", description="eb",
                                          custom_suffix="blue")
    assert role.name == "AWSServiceRoleForElasticBeanstalk_blue"
    assert role.path == "/aws-service-role/elasticbeanstalk.amazonaws.com/"
    assert role.arn == (f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/elasticbeanstalk.amazonaws.com/"
                        f"AWSServiceRoleForElasticBeanstalk_blue")
    statement = json.loads(role.trust_policy)["Statement"][0]
    assert statement["Principal"] == {"Service": ["elasticbeanstalk.amazonaws.com"]}
    assert statement["Action"] == ["sts:AssumeRole"] and statement["Effect"] == "Allow"
    assert roles.get_role(req(ACCOUNT), role.name).description == "eb"


def test_a_taken_name_is_invalid_input_asking_for_another_suffix(slr: ServiceLinkedRoleService, req: Requests) -> None:
    slr.create_service_linked_role(req(ACCOUNT), "autoscaling.amazonaws.com")
    with pytest.raises(InvalidInput, match="has been taken in this account, please try a different suffix"):
        slr.create_service_linked_role(req(ACCOUNT), "autoscaling.amazonaws.com")


def test_a_suffix_is_refused_for_services_that_do_not_take_one(slr: ServiceLinkedRoleService, req: Requests) -> None:
    with pytest.raises(InvalidInput):
        slr.create_service_linked_role(req(ACCOUNT), "ecs.amazonaws.com", custom_suffix="x")


def test_a_name_that_is_not_a_service_principal_is_refused(slr: ServiceLinkedRoleService, req: Requests) -> None:
    with pytest.raises(InvalidInput):
        slr.create_service_linked_role(req(ACCOUNT), "example.com")


def test_create_role_refuses_the_service_role_path(roles: RoleService, req: Requests) -> None:
    with pytest.raises(InvalidInput, match="can only be used for AWS Service linked Roles"):
        roles.create_role(req(ACCOUNT), "Sneaky", TRUST, path="/aws-service-role/ecs.amazonaws.com/")


def test_ordinary_role_operations_refuse_a_service_linked_role(slr: ServiceLinkedRoleService,
                                                               roles: RoleService, req: Requests) -> None:
    name = slr.create_service_linked_role(req(ACCOUNT), "rds.amazonaws.com").name
    for change in (lambda: roles.delete_role(req(ACCOUNT), name),
                   lambda: roles.update_trust_policy(req(ACCOUNT), name, TRUST),
                   lambda: roles.put_role_policy(req(ACCOUNT), name, "p", POLICY),
                   lambda: roles.update_role(req(ACCOUNT), name, description="x")):
        with pytest.raises(UnmodifiableEntity):
            change()
    assert roles.get_role(req(ACCOUNT), name).name == name


def test_deletion_removes_the_role_and_records_a_succeeded_task(slr: ServiceLinkedRoleService,
                                                                roles: RoleService, req: Requests) -> None:
    name = slr.create_service_linked_role(req(ACCOUNT), "ecs.amazonaws.com").name
    task_id = slr.delete_service_linked_role(req(ACCOUNT), name)
    assert task_id.startswith(f"task/aws-service-role/ecs.amazonaws.com/{name}/")
    with pytest.raises(NoSuchEntity):
        roles.get_role(req(ACCOUNT), name)
    task = slr.deletion_status(req(ACCOUNT), task_id)
    assert task.status == "SUCCEEDED" and task.role_name == name


def test_deleting_an_ordinary_role_this_way_is_refused(slr: ServiceLinkedRoleService, roles: RoleService,
                                                       req: Requests) -> None:
    roles.create_role(req(ACCOUNT), "Plain", TRUST)
    with pytest.raises(InvalidInput):
        slr.delete_service_linked_role(req(ACCOUNT), "Plain")
    with pytest.raises(NoSuchEntity):
        slr.delete_service_linked_role(req(ACCOUNT), "Missing")


def test_unknown_or_malformed_task_ids(slr: ServiceLinkedRoleService, req: Requests) -> None:
    with pytest.raises(NoSuchEntity):
        slr.deletion_status(req(ACCOUNT), "task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/"
                                     "00000000-0000-0000-0000-000000000000")
    with pytest.raises(InvalidInput):
        slr.deletion_status(req(ACCOUNT), "not-a-task")


def test_every_known_service_s_policy_is_a_service_role_policy_of_the_catalogue() -> None:
    for service, known in KNOWN_SERVICES.items():
        assert known.policy is not None, service
        found = aws_managed_policy(aws_policy_arn(known.policy))
        assert found is not None and found.policy.path == "/aws-service-role/", service


@pytest.mark.parametrize("service", sorted(KNOWN_SERVICES))
def test_each_known_service_s_role_gets_its_documented_policy_and_loses_it_with_the_role(
        slr: ServiceLinkedRoleService, store: SqlStore, req: Requests, service: str) -> None:
    role = slr.create_service_linked_role(req(ACCOUNT), service)
    with store.read() as tx:
        expected = aws_policy_arn(str(KNOWN_SERVICES[service].policy))
        assert tx.managed_policies.attached("Role", role.role_id) == [expected]
    slr.delete_service_linked_role(req(ACCOUNT), role.name)
    with store.read() as tx:
        assert tx.managed_policies.attached("Role", role.role_id) == []


def test_a_policy_missing_from_the_catalogue_is_not_attached(
        slr: ServiceLinkedRoleService, store: SqlStore, monkeypatch: pytest.MonkeyPatch, req: Requests) -> None:
    missing = "arn:aws:iam::aws:policy/aws-service-role/NoSuchServiceRolePolicy"
    monkeypatch.setitem(KNOWN_SERVICES, "other.amazonaws.com", KnownService("Other", missing))
    role = slr.create_service_linked_role(req(ACCOUNT), "other.amazonaws.com")
    with store.read() as tx:
        assert tx.managed_policies.attached("Role", role.role_id) == []
