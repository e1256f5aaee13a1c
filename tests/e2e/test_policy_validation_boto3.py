"""Policy documents through boto3, as a new user would send them: every case of the validation corpus
(tests/corpus/validation/iam-checks.jsonl; docs/spec/policy-validation.md) sent to the operation of its kind
gets IAM's answer, and a stored document the engine cannot evaluate locks nobody out (V15)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.live import ACCOUNT_ID, LiveServer

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "validation" / "iam-checks.jsonl"
CASES = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
TRUST_ROOT = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}]})


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def allow(action: str, resource: str = "*") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})


Sender = Callable[[str], None]


@pytest.fixture(scope="module")
def senders(server: LiveServer) -> Iterator[dict[str, Sender]]:
    """One operation per kind; a document that is stored is removed again, so quotas never interfere."""
    iam = server.client("iam")
    user = unique("val-user-")
    iam.create_user(UserName=user)
    # The session-policy sender: a user allowed to assume a role that trusts the account.
    caller = unique("val-caller-")
    iam.create_user(UserName=caller)
    key = iam.create_access_key(UserName=caller)["AccessKey"]
    role_arn = iam.create_role(RoleName=unique("val-role-"), AssumeRolePolicyDocument=TRUST_ROOT)["Role"]["Arn"]
    iam.put_user_policy(UserName=caller, PolicyName="assume", PolicyDocument=allow("sts:AssumeRole", role_arn))
    sts = server.client("sts", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])

    def managed(document: str) -> None:
        arn = iam.create_policy(PolicyName=unique("val-"), PolicyDocument=document)["Policy"]["Arn"]
        iam.delete_policy(PolicyArn=arn)

    def inline(document: str) -> None:
        iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=document)
        iam.delete_user_policy(UserName=user, PolicyName="p")

    def trust(document: str) -> None:
        name = unique("val-trust-")
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=document)
        iam.delete_role(RoleName=name)

    def session(document: str) -> None:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="validation", Policy=document)

    yield {"managed": managed, "inline": inline, "trust": trust, "session": session}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_each_document_gets_iams_answer_through_boto3(senders: dict[str, Sender], case: dict[str, Any]) -> None:
    send = senders[case["kind"]]
    if case["error"] is None:
        send(case["document"])  # stored (and removed again) without an error
        return
    with pytest.raises(ClientError) as exc:
        send(case["document"])
    response = exc.value.response
    assert (response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]) \
        == ("MalformedPolicyDocument", case["error"], 400), case["note"]


def test_a_refused_document_changes_nothing(server: LiveServer) -> None:
    iam = server.client("iam")
    name = unique("val-keep-")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=allow("s3:GetObject"))
    broken = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                                                                 "Condition": {"StringEqualz": {"k": "v"}}}]})
    with pytest.raises(ClientError):
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=broken)
    assert iam.get_user_policy(UserName=name, PolicyName="p")["PolicyDocument"] == json.loads(allow("s3:GetObject"))


def _store_unchecked(server: LiveServer, user_id: str, policy_name: str, document: str) -> None:
    """Replace an inline policy straight in the server's database, as data stored before today's checks."""
    with sqlite3.connect(server.data_dir / "rolegate.db") as db:
        updated = db.execute("UPDATE user_inline_policies SET document = ? WHERE user_id = ? AND name = ?",
                             (document, user_id, policy_name)).rowcount
    assert updated == 1


def test_a_stored_policy_with_an_unknown_operator_locks_nobody_out(server: LiveServer) -> None:
    iam = server.client("iam")
    name = unique("val-old-")
    user = iam.create_user(UserName=name)["User"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    iam.put_user_policy(UserName=name, PolicyName="read", PolicyDocument=allow("iam:GetUser", user["Arn"]))
    iam.put_user_policy(UserName=name, PolicyName="old", PolicyDocument=allow("iam:ListUsers"))
    _store_unchecked(server, user["UserId"], "old", json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:*", "Resource": "*", "Condition": {"StringEqualz": {"aws:username": name}}}]}))
    own = server.client("iam", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])

    assert own.get_user(UserName=name)["User"]["UserName"] == name  # the other policy still allows
    with pytest.raises(ClientError) as exc:
        own.list_users()  # the broken Allow grants nothing, and says so as a denial, not a malformed request
    assert exc.value.response["Error"]["Code"] == "AccessDenied"


def test_a_stored_deny_that_cannot_be_evaluated_still_denies(server: LiveServer) -> None:
    iam = server.client("iam")
    name = unique("val-deny-")
    user = iam.create_user(UserName=name)["User"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    iam.put_user_policy(UserName=name, PolicyName="read", PolicyDocument=allow("iam:Get*", "*"))
    iam.put_user_policy(UserName=name, PolicyName="old", PolicyDocument=allow("iam:ListUsers"))
    _store_unchecked(server, user["UserId"], "old", json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "iam:GetRole", "Resource": "*", "Condition": {"Foo": {"k": "v"}}}]}))
    own = server.client("iam", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])

    assert own.get_user(UserName=name)["User"]["UserName"] == name
    with pytest.raises(ClientError) as exc:
        own.get_role(RoleName="anything")
    assert exc.value.response["Error"]["Code"] == "AccessDenied"
    assert "explicit deny in an identity-based policy" in exc.value.response["Error"]["Message"]


def test_every_operation_that_stores_a_document_refuses_a_misspelt_operator(server: LiveServer) -> None:
    iam = server.client("iam")
    role, group = unique("val-r-"), unique("val-g-")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST_ROOT)
    iam.create_group(GroupName=group)
    arn = iam.create_policy(PolicyName=unique("val-v-"), PolicyDocument=allow("s3:GetObject"))["Policy"]["Arn"]
    condition = {"StringEqualz": {"aws:username": "alice"}}
    identity = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": condition}]})
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT_ID}, "Action": "sts:AssumeRole", "Condition": condition}]})
    calls = {
        "PutRolePolicy": lambda: iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=identity),
        "PutGroupPolicy": lambda: iam.put_group_policy(GroupName=group, PolicyName="p", PolicyDocument=identity),
        "CreatePolicyVersion": lambda: iam.create_policy_version(PolicyArn=arn, PolicyDocument=identity),
        "UpdateAssumeRolePolicy": lambda: iam.update_assume_role_policy(RoleName=role, PolicyDocument=trust),
    }
    answers = {}
    for name, call in calls.items():
        with pytest.raises(ClientError) as exc:
            call()
        answers[name] = (exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"])
    assert answers == {
        "PutRolePolicy": ("MalformedPolicyDocument", "Syntax errors in policy."),
        "PutGroupPolicy": ("MalformedPolicyDocument", "Syntax errors in policy."),
        "CreatePolicyVersion": ("MalformedPolicyDocument", "Syntax errors in policy."),
        "UpdateAssumeRolePolicy": ("MalformedPolicyDocument", "Invalid Condition type : StringEqualz"),
    }
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == []
    assert len(iam.list_policy_versions(PolicyArn=arn)["Versions"]) == 1
