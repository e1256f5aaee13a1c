"""A policy change made through one worker is enforced by every worker at the next request (no TTL)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from tests.live import LiveServer

ALLOW_LIST_ROLES = json.dumps({"Version": "2012-10-17",
                               "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]})


def _passes(call: Callable[[], Any], refused_with: str) -> bool:
    """Whether ``call`` succeeds; a refusal must carry ``refused_with``."""
    try:
        call()
    except ClientError as err:
        assert err.response["Error"]["Code"] == refused_with
        return False
    return True


def _allowed(client: Any) -> bool:
    return _passes(client.list_roles, "AccessDenied")


def test_put_and_delete_user_policy_take_effect_on_every_worker_at_once(two_workers: LiveServer) -> None:
    root = two_workers.client("iam")
    root.create_user(UserName="w")
    key = root.create_access_key(UserName="w")["AccessKey"]
    # Separate clients hold separate connections, which the kernel spreads over both workers.
    clients = [two_workers.client("iam", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"]) for _ in range(8)]
    for _ in range(3):
        assert [_allowed(c) for c in clients] == [False] * 8  # every worker's cache now holds "no policies"
        root.put_user_policy(UserName="w", PolicyName="p", PolicyDocument=ALLOW_LIST_ROLES)
        assert [_allowed(c) for c in clients] == [True] * 8
        root.delete_user_policy(UserName="w", PolicyName="p")


def _authenticates(client: Any) -> bool:
    return _passes(client.get_caller_identity, "InvalidClientTokenId")


def test_deactivating_and_deleting_a_key_take_effect_on_every_worker_at_once(two_workers: LiveServer) -> None:
    # Authentication caches each key and its owner per worker; the same generation invalidates them.
    root = two_workers.client("iam")
    root.create_user(UserName="k")
    key = root.create_access_key(UserName="k")["AccessKey"]
    clients = [two_workers.client("sts", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"]) for _ in range(8)]
    for _ in range(3):
        assert [_authenticates(c) for c in clients] == [True] * 8  # every worker has the key cached
        root.update_access_key(UserName="k", AccessKeyId=key["AccessKeyId"], Status="Inactive")
        assert [_authenticates(c) for c in clients] == [False] * 8
        root.update_access_key(UserName="k", AccessKeyId=key["AccessKeyId"], Status="Active")
    root.delete_access_key(UserName="k", AccessKeyId=key["AccessKeyId"])
    assert [_authenticates(c) for c in clients] == [False] * 8
