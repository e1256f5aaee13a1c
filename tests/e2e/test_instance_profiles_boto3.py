"""Instance profiles through boto3 against a live server, as a user of the AWS SDK sees them."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def unique(prefix: str = "ip") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    r = exc.value.response
    return str(r["Error"]["Code"]), int(r["ResponseMetadata"]["HTTPStatusCode"]), str(r["Error"]["Message"])


def make_role(iam: Any) -> str:
    name = unique("r")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    return name


def test_create_instance_profile_returns_id_arn_path_tags_and_no_roles(iam: Any) -> None:
    name = unique()
    ip = iam.create_instance_profile(InstanceProfileName=name, Path="/web/",
                                     Tags=[{"Key": "env", "Value": "prod"}])["InstanceProfile"]
    assert ip["InstanceProfileName"] == name and ip["Path"] == "/web/" and ip["Roles"] == []
    assert ip["InstanceProfileId"].startswith("AIPA") and len(ip["InstanceProfileId"]) == 21
    assert ip["Arn"] == f"arn:aws:iam::123456789012:instance-profile/web/{name}"
    assert ip["Tags"] == [{"Key": "env", "Value": "prod"}]


def test_creating_a_profile_twice_ignoring_case_is_entity_already_exists(iam: Any) -> None:
    name = unique()
    iam.create_instance_profile(InstanceProfileName=name)
    with pytest.raises(ClientError) as exc:
        iam.create_instance_profile(InstanceProfileName=name.upper())
    assert error(exc)[:2] == ("EntityAlreadyExists", 409)


def test_create_with_a_reserved_tag_key_is_invalid_input(iam: Any) -> None:
    name = unique()
    with pytest.raises(ClientError) as exc:
        iam.create_instance_profile(InstanceProfileName=name, Tags=[{"Key": "aws:x", "Value": "1"}])
    assert error(exc)[:2] == ("InvalidInput", 400)
    with pytest.raises(ClientError):
        iam.get_instance_profile(InstanceProfileName=name)


def test_get_instance_profile_lists_the_full_role_in_it(iam: Any) -> None:
    name, role = unique(), make_role(iam)
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
    [r] = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Roles"]
    assert r["RoleName"] == role and r["RoleId"].startswith("AROA")
    assert r["AssumeRolePolicyDocument"] == TRUST  # the full Role structure, decoded by boto3


def test_get_missing_instance_profile_is_no_such_entity(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.get_instance_profile(InstanceProfileName=unique())
    assert error(exc)[:2] == ("NoSuchEntity", 404)


def test_a_second_role_exceeds_the_one_role_quota(iam: Any) -> None:
    name = unique()
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=make_role(iam))
    with pytest.raises(ClientError) as exc:
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=make_role(iam))
    code, status, message = error(exc)
    assert (code, status) == ("LimitExceeded", 409)
    assert message == "Cannot exceed quota for InstanceProfileRolesQuota: 1"


def test_adding_the_same_role_twice_is_entity_already_exists(iam: Any) -> None:
    name, role = unique(), make_role(iam)
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
    with pytest.raises(ClientError) as exc:
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
    assert error(exc)[:2] == ("EntityAlreadyExists", 409)


def test_adding_a_missing_role_or_to_a_missing_profile_is_no_such_entity(iam: Any) -> None:
    name, role = unique(), make_role(iam)
    iam.create_instance_profile(InstanceProfileName=name)
    for kwargs in ({"InstanceProfileName": name, "RoleName": unique("r")},
                   {"InstanceProfileName": unique(), "RoleName": role}):
        with pytest.raises(ClientError) as exc:
            iam.add_role_to_instance_profile(**kwargs)
        assert error(exc)[:2] == ("NoSuchEntity", 404)


def test_a_service_linked_role_cannot_be_added_to_a_profile(iam: Any) -> None:
    role = iam.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com",
                                          CustomSuffix=uuid.uuid4().hex[:8])["Role"]["RoleName"]
    name = unique()
    iam.create_instance_profile(InstanceProfileName=name)
    with pytest.raises(ClientError) as exc:
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
    assert error(exc)[:2] == ("UnmodifiableEntity", 400)


def test_delete_profile_with_a_role_is_delete_conflict_until_the_role_is_removed(iam: Any) -> None:
    name, role = unique(), make_role(iam)
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
    with pytest.raises(ClientError) as exc:
        iam.delete_instance_profile(InstanceProfileName=name)
    code, status, message = error(exc)
    assert (code, status) == ("DeleteConflict", 409)
    assert message == "Cannot delete entity, must remove roles from instance profile first."
    iam.remove_role_from_instance_profile(InstanceProfileName=name, RoleName=role)
    iam.delete_instance_profile(InstanceProfileName=name)
    with pytest.raises(ClientError) as exc:
        iam.delete_instance_profile(InstanceProfileName=name)
    assert error(exc)[:2] == ("NoSuchEntity", 404)


def test_a_role_in_a_profile_cannot_be_deleted(iam: Any) -> None:
    name, role = unique(), make_role(iam)
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
    with pytest.raises(ClientError) as exc:
        iam.delete_role(RoleName=role)
    assert error(exc)[:2] == ("DeleteConflict", 409)


def test_removing_a_role_not_in_the_profile_is_no_such_entity(iam: Any) -> None:
    name, role = unique(), make_role(iam)
    iam.create_instance_profile(InstanceProfileName=name)
    with pytest.raises(ClientError) as exc:
        iam.remove_role_from_instance_profile(InstanceProfileName=name, RoleName=role)
    assert error(exc)[:2] == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as exc:
        iam.remove_role_from_instance_profile(InstanceProfileName=unique(), RoleName=role)
    assert error(exc)[:2] == ("NoSuchEntity", 404)


def test_list_instance_profiles_pages_and_filters_by_path(iam: Any) -> None:
    path = f"/{unique('p')}/"
    names = sorted(unique() for _ in range(3))
    for n in names:
        iam.create_instance_profile(InstanceProfileName=n, Path=path)
    first = iam.list_instance_profiles(PathPrefix=path, MaxItems=2)
    assert first["IsTruncated"] is True and [p["InstanceProfileName"] for p in first["InstanceProfiles"]] == names[:2]
    rest = iam.list_instance_profiles(PathPrefix=path, MaxItems=2, Marker=first["Marker"])
    assert rest["IsTruncated"] is False and [p["InstanceProfileName"] for p in rest["InstanceProfiles"]] == names[2:]


def test_list_instance_profiles_for_role_pages(iam: Any) -> None:
    role = make_role(iam)
    names = sorted(unique() for _ in range(3))
    for n in names:
        iam.create_instance_profile(InstanceProfileName=n)
        iam.add_role_to_instance_profile(InstanceProfileName=n, RoleName=role)
    first = iam.list_instance_profiles_for_role(RoleName=role, MaxItems=2)
    assert [p["InstanceProfileName"] for p in first["InstanceProfiles"]] == names[:2] and first["IsTruncated"]
    assert first["InstanceProfiles"][0]["Roles"][0]["RoleName"] == role
    rest = iam.list_instance_profiles_for_role(RoleName=role, Marker=first["Marker"])
    assert [p["InstanceProfileName"] for p in rest["InstanceProfiles"]] == names[2:]


def test_list_instance_profiles_for_a_missing_role_is_no_such_entity(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.list_instance_profiles_for_role(RoleName=unique("r"))
    assert error(exc)[:2] == ("NoSuchEntity", 404)


def test_tag_untag_and_list_instance_profile_tags(iam: Any) -> None:
    name = unique()
    iam.create_instance_profile(InstanceProfileName=name, Tags=[{"Key": "Env", "Value": "dev"}])
    iam.tag_instance_profile(InstanceProfileName=name, Tags=[{"Key": "env", "Value": "prod"},
                                                            {"Key": "team", "Value": "a"}])
    first = iam.list_instance_profile_tags(InstanceProfileName=name, MaxItems=1)
    assert first["Tags"] == [{"Key": "env", "Value": "prod"}] and first["IsTruncated"] is True
    rest = iam.list_instance_profile_tags(InstanceProfileName=name, Marker=first["Marker"])
    assert rest["Tags"] == [{"Key": "team", "Value": "a"}] and rest["IsTruncated"] is False
    iam.untag_instance_profile(InstanceProfileName=name, TagKeys=["ENV"])
    assert iam.list_instance_profile_tags(InstanceProfileName=name)["Tags"] == [{"Key": "team", "Value": "a"}]


def test_tagging_past_50_tags_is_limit_exceeded(iam: Any) -> None:
    name = unique()
    iam.create_instance_profile(InstanceProfileName=name,
                                Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    with pytest.raises(ClientError) as exc:
        iam.tag_instance_profile(InstanceProfileName=name, Tags=[{"Key": "one-more", "Value": "v"}])
    assert error(exc)[:2] == ("LimitExceeded", 409)


def test_tag_operations_on_a_missing_profile_are_no_such_entity(iam: Any) -> None:
    name = unique()
    for call in (lambda: iam.tag_instance_profile(InstanceProfileName=name, Tags=[{"Key": "a", "Value": "b"}]),
                 lambda: iam.untag_instance_profile(InstanceProfileName=name, TagKeys=["a"]),
                 lambda: iam.list_instance_profile_tags(InstanceProfileName=name)):
        with pytest.raises(ClientError) as exc:
            call()
        assert error(exc)[:2] == ("NoSuchEntity", 404)
