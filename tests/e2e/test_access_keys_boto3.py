"""Access keys through boto3 against a live server, and the new-user journey: a user created with a key
calls the API as itself; deactivating or deleting the key stops it at once."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from rolegate.core.ids import account_of_access_key_id
from tests.live import ROOT_KEY_ID, LiveServer

ACCOUNT = "123456789012"
INVALID_TOKEN = "The security token included in the request is invalid."


def unique(prefix: str = "k") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    r = exc.value.response
    return str(r["Error"]["Code"]), int(r["ResponseMetadata"]["HTTPStatusCode"]), str(r["Error"]["Message"])


# Every call is authorized: a user manages itself only when a policy lets it (the IAM User Guide's
# "allow IAM users to manage their own credentials" pattern).
SELF_MANAGE = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": ["iam:GetUser", "iam:*AccessKey*"],
    "Resource": "arn:aws:iam::*:user/${aws:username}"}]})


def new_user_with_key(iam: Any) -> tuple[str, dict[str, Any]]:
    name = unique("u")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="self-manage", PolicyDocument=SELF_MANAGE)
    return name, iam.create_access_key(UserName=name)["AccessKey"]


def as_key(server: LiveServer, key: dict[str, Any], service: str = "iam", region: str = "us-east-1") -> Any:
    return server.client(service, key_id=key["AccessKeyId"], secret=key["SecretAccessKey"], region=region)


# --- the new-user journey -------------------------------------------------------------------------


def test_a_user_s_key_authenticates_as_that_user_in_get_caller_identity(iam: Any, server: LiveServer) -> None:
    name, key = new_user_with_key(iam)
    user = iam.get_user(UserName=name)["User"]
    ident = as_key(server, key, "sts").get_caller_identity()
    assert ident == {**ident, "Account": ACCOUNT, "Arn": user["Arn"], "UserId": user["UserId"]}


def test_get_user_without_a_name_describes_the_calling_user(iam: Any, server: LiveServer) -> None:
    name, key = new_user_with_key(iam)
    me = as_key(server, key).get_user()["User"]
    assert me["UserName"] == name and me["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{name}"


def test_a_renamed_user_s_key_authenticates_under_the_new_arn(iam: Any, server: LiveServer) -> None:
    name, key = new_user_with_key(iam)
    new = unique("u")
    iam.update_user(UserName=name, NewUserName=new)
    assert as_key(server, key, "sts").get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{new}"


def test_an_inactive_key_is_refused_at_once_and_works_again_when_reactivated(iam: Any, server: LiveServer) -> None:
    name, key = new_user_with_key(iam)
    client = as_key(server, key, "sts")
    client.get_caller_identity()
    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as exc:
        client.get_caller_identity()
    assert error(exc) == ("InvalidClientTokenId", 403, INVALID_TOKEN)
    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Active")
    assert client.get_caller_identity()["Arn"].endswith(f":user/{name}")


def test_a_deleted_key_is_refused(iam: Any, server: LiveServer) -> None:
    name, key = new_user_with_key(iam)
    client = as_key(server, key)
    client.get_user()
    iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    with pytest.raises(ClientError) as exc:
        client.get_user()
    assert error(exc) == ("InvalidClientTokenId", 403, INVALID_TOKEN)


def test_a_user_key_with_a_wrong_secret_is_signature_does_not_match(iam: Any, server: LiveServer) -> None:
    _, key = new_user_with_key(iam)
    with pytest.raises(ClientError) as exc:
        as_key(server, {**key, "SecretAccessKey": "x" * 40}).get_user()
    assert error(exc)[0] == "SignatureDoesNotMatch"


def test_a_user_manages_its_own_keys_without_naming_itself(iam: Any, server: LiveServer) -> None:
    name, key = new_user_with_key(iam)
    me = as_key(server, key)
    second = me.create_access_key()["AccessKey"]
    assert second["UserName"] == name
    listed = me.list_access_keys()["AccessKeyMetadata"]
    assert {k["UserName"] for k in listed} == {name}
    assert {k["AccessKeyId"] for k in listed} == {key["AccessKeyId"], second["AccessKeyId"]}
    me.update_access_key(AccessKeyId=second["AccessKeyId"], Status="Inactive")
    me.delete_access_key(AccessKeyId=second["AccessKeyId"])
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]] == \
        [key["AccessKeyId"]]


# --- CreateAccessKey ------------------------------------------------------------------------------


def test_create_access_key_returns_the_secret_once_and_an_id_encoding_the_account(iam: Any) -> None:
    name, key = new_user_with_key(iam)
    assert key["UserName"] == name and key["Status"] == "Active" and len(key["SecretAccessKey"]) == 40
    assert key["AccessKeyId"].startswith("AKIA") and account_of_access_key_id(key["AccessKeyId"]) == ACCOUNT
    listed = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert listed == [{"UserName": name, "AccessKeyId": key["AccessKeyId"], "Status": "Active",
                       "CreateDate": key["CreateDate"]}]  # no secret in any listing


def test_a_third_key_for_a_user_is_limit_exceeded(iam: Any) -> None:
    name, _ = new_user_with_key(iam)
    iam.create_access_key(UserName=name)
    with pytest.raises(ClientError) as exc:
        iam.create_access_key(UserName=name)
    assert error(exc) == ("LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2")
    assert len(iam.list_access_keys(UserName=name)["AccessKeyMetadata"]) == 2


def test_create_access_key_for_a_missing_user_is_no_such_entity(iam: Any) -> None:
    name = unique("u")
    with pytest.raises(ClientError) as exc:
        iam.create_access_key(UserName=name)
    assert error(exc) == ("NoSuchEntity", 404, f"The user with name {name} cannot be found.")


def test_root_without_a_user_name_creates_and_deletes_its_own_keys(iam: Any, server: LiveServer) -> None:
    root_key = iam.create_access_key()["AccessKey"]
    try:
        assert "UserName" not in root_key
        ident = as_key(server, root_key, "sts").get_caller_identity()
        assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT}:root" and ident["UserId"] == ACCOUNT
        with pytest.raises(ClientError) as exc:  # the root user now holds two keys
            iam.create_access_key()
        assert error(exc)[0] == "LimitExceeded"
        assert root_key["AccessKeyId"] in {k["AccessKeyId"] for k in iam.list_access_keys()["AccessKeyMetadata"]}
    finally:
        iam.delete_access_key(AccessKeyId=root_key["AccessKeyId"])
    assert [k["AccessKeyId"] for k in iam.list_access_keys()["AccessKeyMetadata"]] == [ROOT_KEY_ID]


# --- UpdateAccessKey / DeleteAccessKey / ListAccessKeys --------------------------------------------


def test_update_access_key_status_shows_in_the_listing(iam: Any) -> None:
    name, key = new_user_with_key(iam)
    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"][0]["Status"] == "Inactive"


def test_update_or_delete_a_missing_key_is_no_such_entity(iam: Any) -> None:
    name, _ = new_user_with_key(iam)
    missing = "AKIAAAAAAAAAAAAAAAAA"
    with pytest.raises(ClientError) as exc:
        iam.update_access_key(UserName=name, AccessKeyId=missing, Status="Inactive")
    assert error(exc) == ("NoSuchEntity", 404, f"The Access Key with id {missing} cannot be found.")
    with pytest.raises(ClientError) as exc:
        iam.delete_access_key(UserName=name, AccessKeyId=missing)
    assert error(exc)[0] == "NoSuchEntity"


def test_another_user_s_key_is_no_such_entity(iam: Any) -> None:
    _, key = new_user_with_key(iam)
    other, _ = new_user_with_key(iam)
    with pytest.raises(ClientError) as exc:
        iam.delete_access_key(UserName=other, AccessKeyId=key["AccessKeyId"])
    assert error(exc)[0] == "NoSuchEntity"


def test_an_invalid_status_is_refused(iam: Any) -> None:
    name, key = new_user_with_key(iam)
    with pytest.raises(ClientError) as exc:
        iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Disabled")
    assert error(exc)[0] == "ValidationError"
    with pytest.raises(ClientError) as exc:
        iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Expired")
    assert error(exc)[0] == "InvalidInput"


def test_list_access_keys_for_a_missing_user_is_no_such_entity(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.list_access_keys(UserName=unique("u"))
    assert error(exc)[0] == "NoSuchEntity"


def test_list_access_keys_pages(iam: Any) -> None:
    name, first_key = new_user_with_key(iam)
    second_key = iam.create_access_key(UserName=name)["AccessKey"]
    first = iam.list_access_keys(UserName=name, MaxItems=1)
    assert first["IsTruncated"] is True and len(first["AccessKeyMetadata"]) == 1
    rest = iam.list_access_keys(UserName=name, MaxItems=1, Marker=first["Marker"])
    assert rest["IsTruncated"] is False
    assert {k["AccessKeyId"] for k in first["AccessKeyMetadata"] + rest["AccessKeyMetadata"]} == \
        {first_key["AccessKeyId"], second_key["AccessKeyId"]}


# --- GetAccessKeyLastUsed --------------------------------------------------------------------------


def test_a_never_used_key_reports_n_a(iam: Any) -> None:
    name, key = new_user_with_key(iam)
    got = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert got["UserName"] == name
    assert got["AccessKeyLastUsed"] == {"ServiceName": "N/A", "Region": "N/A"}


def test_a_used_key_reports_when_where_and_with_which_service(iam: Any, server: LiveServer) -> None:
    name, key = new_user_with_key(iam)
    as_key(server, key, "sts", region="eu-west-1").get_caller_identity()
    last = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    assert last["ServiceName"] == "sts" and last["Region"] == "eu-west-1" and "LastUsedDate" in last


def test_last_use_of_an_unknown_key_is_access_denied(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.get_access_key_last_used(AccessKeyId="AKIAAAAAAAAAAAAAAAAA")
    assert error(exc)[:2] == ("AccessDenied", 403)
