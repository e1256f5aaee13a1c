"""Instance profiles: lifecycle, the one-role rule, conflicts, tags and paging (domain service on SQLite)."""

from __future__ import annotations

import json

import pytest

from rolegate.core.clock import FixedClock
from rolegate.core.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    NoSuchEntity,
    UnmodifiableEntity,
)
from rolegate.iam.accounts import AccountService
from rolegate.iam.instance_profiles import InstanceProfileService
from rolegate.iam.limits import IamLimits
from rolegate.iam.roles import RoleService
from rolegate.iam.service_linked_roles import ServiceLinkedRoleService
from rolegate.store.sql import SqlStore

from .conftest import ACCOUNT
from tests.iam.conftest import Requests

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture
def profiles(store: SqlStore, clock: FixedClock, accounts: AccountService) -> InstanceProfileService:
    return InstanceProfileService(store)


def test_created_profile_has_an_aipa_id_an_arn_with_its_path_and_no_roles(
        profiles: InstanceProfileService, req: Requests) -> None:
    ip = profiles.create_instance_profile(req(ACCOUNT), "Web", path="/app/", tags=[("env", "prod")])
    assert ip.profile.instance_profile_id.startswith("AIPA") and len(ip.profile.instance_profile_id) == 21
    assert ip.profile.arn == f"arn:aws:iam::{ACCOUNT}:instance-profile/app/Web"
    assert ip.roles == ()
    assert profiles.get_instance_profile(req(ACCOUNT), "web").profile.tags == (("env", "prod"),)


def test_profile_names_are_unique_ignoring_case(profiles: InstanceProfileService, req: Requests) -> None:
    profiles.create_instance_profile(req(ACCOUNT), "Web")
    with pytest.raises(EntityAlreadyExists):
        profiles.create_instance_profile(req(ACCOUNT), "WEB")


def test_the_account_quota_of_profiles_is_enforced(store: SqlStore, clock: FixedClock,
                                                   accounts: AccountService, req: Requests) -> None:
    small = InstanceProfileService(store, IamLimits(instance_profiles_per_account=1))
    small.create_instance_profile(req(ACCOUNT), "A")
    with pytest.raises(LimitExceeded):
        small.create_instance_profile(req(ACCOUNT), "B")


def test_get_returns_the_full_role_in_the_profile(profiles: InstanceProfileService, roles: RoleService,
                                                  req: Requests) -> None:
    roles.create_role(req(ACCOUNT), "R", TRUST, description="d")
    profiles.create_instance_profile(req(ACCOUNT), "P")
    profiles.add_role(req(ACCOUNT), "P", "r")
    [role] = profiles.get_instance_profile(req(ACCOUNT), "P").roles
    assert role.name == "R" and role.description == "d" and role.trust_policy == TRUST


def test_a_second_role_exceeds_the_one_role_quota(profiles: InstanceProfileService, roles: RoleService,
                                                  req: Requests) -> None:
    roles.create_role(req(ACCOUNT), "R1", TRUST)
    roles.create_role(req(ACCOUNT), "R2", TRUST)
    profiles.create_instance_profile(req(ACCOUNT), "P")
    profiles.add_role(req(ACCOUNT), "P", "R1")
    with pytest.raises(LimitExceeded, match="InstanceProfileRolesQuota: 1"):
        profiles.add_role(req(ACCOUNT), "P", "R2")


def test_adding_the_same_role_again_is_entity_already_exists(profiles: InstanceProfileService,
                                                             roles: RoleService, req: Requests) -> None:
    roles.create_role(req(ACCOUNT), "R", TRUST)
    profiles.create_instance_profile(req(ACCOUNT), "P")
    profiles.add_role(req(ACCOUNT), "P", "R")
    with pytest.raises(EntityAlreadyExists):
        profiles.add_role(req(ACCOUNT), "P", "R")


def test_adding_a_missing_role_or_to_a_missing_profile_is_no_such_entity(
        profiles: InstanceProfileService, roles: RoleService, req: Requests) -> None:
    roles.create_role(req(ACCOUNT), "R", TRUST)
    profiles.create_instance_profile(req(ACCOUNT), "P")
    with pytest.raises(NoSuchEntity, match="role"):
        profiles.add_role(req(ACCOUNT), "P", "Nope")
    with pytest.raises(NoSuchEntity, match="Instance Profile"):
        profiles.add_role(req(ACCOUNT), "Nope", "R")


def test_a_service_linked_role_cannot_be_put_in_a_profile(store: SqlStore, clock: FixedClock,
                                                          profiles: InstanceProfileService, req: Requests) -> None:
    role = ServiceLinkedRoleService(store).create_service_linked_role(req(ACCOUNT), "ecs.amazonaws.com")
    profiles.create_instance_profile(req(ACCOUNT), "P")
    with pytest.raises(UnmodifiableEntity):
        profiles.add_role(req(ACCOUNT), "P", role.name)


def test_delete_refuses_while_a_role_is_in_the_profile(profiles: InstanceProfileService,
                                                       roles: RoleService, req: Requests) -> None:
    roles.create_role(req(ACCOUNT), "R", TRUST)
    profiles.create_instance_profile(req(ACCOUNT), "P")
    profiles.add_role(req(ACCOUNT), "P", "R")
    with pytest.raises(DeleteConflict, match="must remove roles from instance profile first"):
        profiles.delete_instance_profile(req(ACCOUNT), "P")
    profiles.remove_role(req(ACCOUNT), "P", "R")
    profiles.delete_instance_profile(req(ACCOUNT), "P")
    with pytest.raises(NoSuchEntity):
        profiles.get_instance_profile(req(ACCOUNT), "P")


def test_a_role_in_a_profile_cannot_be_deleted(profiles: InstanceProfileService, roles: RoleService,
                                               req: Requests) -> None:
    roles.create_role(req(ACCOUNT), "R", TRUST)
    profiles.create_instance_profile(req(ACCOUNT), "P")
    profiles.add_role(req(ACCOUNT), "P", "R")
    with pytest.raises(DeleteConflict):
        roles.delete_role(req(ACCOUNT), "R")


def test_removing_a_role_that_is_not_in_the_profile_is_no_such_entity(
        profiles: InstanceProfileService, roles: RoleService, req: Requests) -> None:
    roles.create_role(req(ACCOUNT), "R", TRUST)
    profiles.create_instance_profile(req(ACCOUNT), "P")
    with pytest.raises(NoSuchEntity):
        profiles.remove_role(req(ACCOUNT), "P", "R")


def test_profiles_for_a_role_are_listed_and_paged(profiles: InstanceProfileService, roles: RoleService,
                                                  req: Requests) -> None:
    roles.create_role(req(ACCOUNT), "R", TRUST)
    for name in ["c", "a", "b", "other"]:
        profiles.create_instance_profile(req(ACCOUNT), name)
    for name in ["c", "a", "b"]:
        profiles.add_role(req(ACCOUNT), name, "R")
    first = profiles.list_instance_profiles_for_role(req(ACCOUNT), "R", max_items=2)
    assert [ip.profile.name for ip in first.items] == ["a", "b"] and first.is_truncated
    rest = profiles.list_instance_profiles_for_role(req(ACCOUNT), "R", marker=first.marker)
    assert [ip.profile.name for ip in rest.items] == ["c"] and not rest.is_truncated
    with pytest.raises(NoSuchEntity):
        profiles.list_instance_profiles_for_role(req(ACCOUNT), "Nope")


def test_list_filters_by_path_prefix_and_pages(profiles: InstanceProfileService, req: Requests) -> None:
    for name in ["b", "a", "c"]:
        profiles.create_instance_profile(req(ACCOUNT), name, path="/x/")
    profiles.create_instance_profile(req(ACCOUNT), "elsewhere", path="/y/")
    first = profiles.list_instance_profiles(req(ACCOUNT), path_prefix="/x/", max_items=2)
    assert [ip.profile.name for ip in first.items] == ["a", "b"] and first.is_truncated
    rest = profiles.list_instance_profiles(req(ACCOUNT), path_prefix="/x/", marker=first.marker)
    assert [ip.profile.name for ip in rest.items] == ["c"] and not rest.is_truncated


def test_tags_merge_ignoring_case_and_untag_removes(profiles: InstanceProfileService, req: Requests) -> None:
    profiles.create_instance_profile(req(ACCOUNT), "P", tags=[("Env", "dev")])
    profiles.tag_instance_profile(req(ACCOUNT), "P", [("env", "prod"), ("team", "a")])
    assert profiles.get_instance_profile(req(ACCOUNT), "P").profile.tags == (("env", "prod"), ("team", "a"))
    profiles.untag_instance_profile(req(ACCOUNT), "P", ["ENV"])
    assert profiles.get_instance_profile(req(ACCOUNT), "P").profile.tags == (("team", "a"),)


def test_reserved_tag_keys_are_refused_and_change_nothing(profiles: InstanceProfileService, req: Requests) -> None:
    with pytest.raises(InvalidInput):
        profiles.create_instance_profile(req(ACCOUNT), "P", tags=[("aws:x", "1")])
    with pytest.raises(NoSuchEntity):
        profiles.get_instance_profile(req(ACCOUNT), "P")
