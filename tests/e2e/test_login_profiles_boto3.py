"""Login profiles and ChangePassword through boto3 against the shared server: the LoginProfile shape, AWS's
errors, the password policy enforced, and no password in any response, log line or stored file."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.live import LiveServer

PASSWORD = "Initial-Pass-1"  # meets IAM's default policy and the stricter one a test below sets


def unique(prefix: str = "lp") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    r = exc.value.response
    return str(r["Error"]["Code"]), int(r["ResponseMetadata"]["HTTPStatusCode"]), str(r["Error"]["Message"])


@pytest.fixture
def user(iam: Any) -> Iterator[str]:
    name = unique()
    iam.create_user(UserName=name)
    yield name
    try:
        iam.delete_login_profile(UserName=name)
    except ClientError:
        pass


def user_client(server: LiveServer, iam: Any, name: str) -> Any:
    """A client signed by ``name``'s own key, allowed iam:ChangePassword on itself (as AWS's managed policy
    IAMUserChangePassword allows it)."""
    iam.put_user_policy(UserName=name, PolicyName="change-own-password", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ChangePassword",
                                                "Resource": "arn:aws:iam::*:user/${aws:username}"}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return server.client("iam", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])


def test_create_and_get_login_profile_return_the_profile_without_the_password(iam: Any, user: str) -> None:
    created = iam.create_login_profile(UserName=user, Password=PASSWORD, PasswordResetRequired=True)["LoginProfile"]
    assert set(created) == {"UserName", "CreateDate", "PasswordResetRequired"}
    assert (created["UserName"], created["PasswordResetRequired"]) == (user, True)
    got = iam.get_login_profile(UserName=user)["LoginProfile"]
    assert (got["UserName"], got["CreateDate"], got["PasswordResetRequired"]) == (user, created["CreateDate"], True)


def test_a_second_login_profile_is_entity_already_exists(iam: Any, user: str) -> None:
    iam.create_login_profile(UserName=user, Password=PASSWORD)
    with pytest.raises(ClientError) as exc:
        iam.create_login_profile(UserName=user, Password=PASSWORD)
    assert error(exc) == ("EntityAlreadyExists", 409, f"Login Profile for user {user} already exists.")


def test_a_missing_login_profile_is_no_such_entity(iam: Any, user: str) -> None:
    with pytest.raises(ClientError) as exc:
        iam.get_login_profile(UserName=user)
    assert error(exc) == ("NoSuchEntity", 404, f"Login Profile for User {user} cannot be found.")


def test_a_password_against_the_default_policy_is_password_policy_violation(iam: Any, user: str) -> None:
    with pytest.raises(ClientError) as exc:
        iam.create_login_profile(UserName=user, Password="password")
    assert error(exc) == ("PasswordPolicyViolation", 400, "Password does not conform to the account password policy.")
    with pytest.raises(ClientError):
        iam.get_login_profile(UserName=user)  # nothing was created


def test_update_login_profile_changes_the_reset_flag_and_checks_a_new_password(iam: Any, user: str) -> None:
    iam.create_login_profile(UserName=user, Password=PASSWORD)
    iam.update_login_profile(UserName=user, PasswordResetRequired=True)
    assert iam.get_login_profile(UserName=user)["LoginProfile"]["PasswordResetRequired"] is True
    with pytest.raises(ClientError) as exc:
        iam.update_login_profile(UserName=user, Password="short")
    assert error(exc)[0] == "PasswordPolicyViolation"


def test_delete_user_refuses_while_a_login_profile_exists(iam: Any) -> None:
    name = unique()
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password=PASSWORD)
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=name)
    assert error(exc) == ("DeleteConflict", 409, "Cannot delete entity, must delete login profile first.")
    iam.delete_login_profile(UserName=name)
    iam.delete_user(UserName=name)


def test_an_iam_user_changes_their_own_password(server: LiveServer, iam: Any, user: str) -> None:
    iam.create_login_profile(UserName=user, Password=PASSWORD, PasswordResetRequired=True)
    own = user_client(server, iam, user)
    with pytest.raises(ClientError) as exc:
        own.change_password(OldPassword="Not-The-Password-1", NewPassword="Second-Pass-2")
    assert error(exc)[:2] == ("AccessDenied", 403)
    own.change_password(OldPassword=PASSWORD, NewPassword="Second-Pass-2")
    assert iam.get_login_profile(UserName=user)["LoginProfile"]["PasswordResetRequired"] is False


def test_change_password_needs_iam_change_password_on_the_user(server: LiveServer, iam: Any, user: str) -> None:
    iam.create_login_profile(UserName=user, Password=PASSWORD)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    bare = server.client("iam", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
    with pytest.raises(ClientError) as exc:
        bare.change_password(OldPassword=PASSWORD, NewPassword="Second-Pass-2")
    assert error(exc)[:2] == ("AccessDenied", 403)
    assert "iam:ChangePassword" in error(exc)[2] and f":user/{user}" in error(exc)[2]


def test_the_root_user_cannot_call_change_password(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.change_password(OldPassword=PASSWORD, NewPassword="Second-Pass-2")
    assert error(exc)[:2] == ("InvalidUserType", 400)


def test_the_account_policy_and_reuse_prevention_apply_to_change_password(server: LiveServer, iam: Any,
                                                                          user: str) -> None:
    iam.create_login_profile(UserName=user, Password=PASSWORD)
    own = user_client(server, iam, user)
    iam.update_account_password_policy(MinimumPasswordLength=12, RequireSymbols=True, PasswordReusePrevention=3)
    try:
        with pytest.raises(ClientError) as exc:
            own.change_password(OldPassword=PASSWORD, NewPassword="Short-1!")
        assert error(exc)[0] == "PasswordPolicyViolation"
        own.change_password(OldPassword=PASSWORD, NewPassword="Long-enough-2!")
        with pytest.raises(ClientError) as exc:
            own.change_password(OldPassword="Long-enough-2!", NewPassword=PASSWORD)  # one of the last three
        assert error(exc)[0] == "PasswordPolicyViolation"
    finally:
        iam.delete_account_password_policy()


def test_no_password_appears_in_a_response_the_log_or_the_data_directory(server: LiveServer, iam: Any) -> None:
    marker = f"Pw-{uuid.uuid4().hex}-9!"
    second = f"Pw-{uuid.uuid4().hex}-8!"
    name = unique()
    bodies: list[bytes] = []

    def keep(http_response: Any, **_: Any) -> None:
        bodies.append(http_response.content)

    iam.meta.events.register("after-call.iam", keep)
    try:
        iam.create_user(UserName=name)
        iam.create_login_profile(UserName=name, Password=marker)
        iam.get_login_profile(UserName=name)
        iam.update_login_profile(UserName=name, Password=second)
        with pytest.raises(ClientError):
            iam.create_login_profile(UserName=name, Password=marker)  # an error answer too
        iam.get_account_authorization_details(Filter=["User"])
        iam.generate_credential_report()
    finally:
        iam.meta.events.unregister("after-call.iam", keep)
    assert len(bodies) >= 6
    for secret in (marker, second):
        assert not any(secret.encode() in body for body in bodies)
        assert secret not in server.log()
        for path in Path(server.data_dir).rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path
