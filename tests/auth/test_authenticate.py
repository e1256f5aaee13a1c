"""Authenticating long-term keys through the stamped cache: a steady caller costs no row reads,
and any change to the key or its owner is seen by the very next request (IAM: an inactive key stops
authenticating at once)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from rolegate.auth.authenticate import Authenticator
from rolegate.authz import Caller
from rolegate.auth.sigv4 import HttpRequest, SigV4Verifier
from rolegate.core.clock import FixedClock, SystemClock
from rolegate.core.errors import InvalidClientTokenId
from rolegate.iam.access_keys import AccessKeyService
from rolegate.iam.effective_policies import EffectivePolicies
from rolegate.iam.users import UserService
from rolegate.iam.entities import AccessKeyRecord
from rolegate.store.engine import create_store_engine
from rolegate.store.sealing import Sealer
from rolegate.store.sql import SqlStore
from tests.iam.conftest import Requests
from tests.sts.conftest import ACCOUNT, accounts, authz, clock, req, store, users  # noqa: F401  (the STS fixtures)

BODY = "Action=ListRoles&Version=2010-05-08"


@pytest.fixture
def keys(store: SqlStore, clock: FixedClock, accounts: object) -> AccessKeyService:  # noqa: F811
    return AccessKeyService(store, clock)


@pytest.fixture
def authenticator(store: SqlStore, keys: AccessKeyService) -> Authenticator:
    return Authenticator(keys, SigV4Verifier(SystemClock()), cache=EffectivePolicies(store),
                         invalidation=store.invalidation)


def _call(a: Authenticator, key_id: str, secret: str) -> Caller:
    req = AWSRequest("POST", "http://localhost/", data=BODY.encode(),
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(key_id, secret), "iam", "us-east-1").add_auth(req)
    p = req.prepare()
    caller = a.authenticate(HttpRequest("POST", "/", "", [("Host", "localhost"), *p.headers.items()], p.body),
                            {"Action": "ListRoles"}, signature_required=True)
    assert caller is not None
    return caller


def _refused(a: Authenticator, key: AccessKeyRecord) -> None:
    with pytest.raises(InvalidClientTokenId) as exc:
        _call(a, key.access_key_id, key.secret_access_key)
    assert str(exc.value) == "The security token included in the request is invalid."


@pytest.fixture
def reads(store: SqlStore, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    count: list[int] = []
    real = store.read

    @contextmanager
    def counted() -> Iterator[object]:
        count.append(1)
        with real() as tx:
            yield tx

    monkeypatch.setattr(store, "read", counted)
    return count


def test_a_steady_caller_is_read_from_the_store_once(authenticator: Authenticator, keys: AccessKeyService,
                                                     users: UserService, reads: list[int],
                                                     req: Requests) -> None:  # noqa: F811
    users.create_user(req(ACCOUNT), "alice")
    key = keys.create_access_key(req(ACCOUNT), "alice").key
    for _ in range(5):
        assert _call(authenticator, key.access_key_id, key.secret_access_key).user_name == "alice"
    assert len(reads) == 1


def test_deactivating_a_key_refuses_the_next_request_and_reactivating_restores_it(
        authenticator: Authenticator, keys: AccessKeyService, users: UserService, req: Requests) -> None:  # noqa: F811
    users.create_user(req(ACCOUNT), "alice")
    key = keys.create_access_key(req(ACCOUNT), "alice").key
    _call(authenticator, key.access_key_id, key.secret_access_key)
    keys.update_access_key(req(ACCOUNT), "alice", key.access_key_id, "Inactive")
    _refused(authenticator, key)
    keys.update_access_key(req(ACCOUNT), "alice", key.access_key_id, "Active")
    assert _call(authenticator, key.access_key_id, key.secret_access_key).user_name == "alice"


def test_a_deleted_key_is_refused_by_the_next_request(authenticator: Authenticator, keys: AccessKeyService,
                                                      users: UserService, req: Requests) -> None:  # noqa: F811
    users.create_user(req(ACCOUNT), "alice")
    key = keys.create_access_key(req(ACCOUNT), "alice").key
    _call(authenticator, key.access_key_id, key.secret_access_key)
    keys.delete_access_key(req(ACCOUNT), "alice", key.access_key_id)
    _refused(authenticator, key)


def test_a_key_changed_by_another_process_is_seen_by_the_next_request(
        authenticator: Authenticator, users: UserService, clock: FixedClock, tmp_path: Path,
        req: Requests) -> None:  # noqa: F811
    # Another worker: its own engine and services on the same database file.
    other_store = SqlStore(create_store_engine(f"sqlite:///{tmp_path / 'iam.db'}"), Sealer(b"m" * 32))
    try:
        other = AccessKeyService(other_store, clock)
        users.create_user(req(ACCOUNT), "alice")
        key = other.create_access_key(req(ACCOUNT), "alice").key
        _call(authenticator, key.access_key_id, key.secret_access_key)
        other.update_access_key(req(ACCOUNT), "alice", key.access_key_id, "Inactive")
        _refused(authenticator, key)
    finally:
        other_store.close()


def test_recording_a_keys_use_keeps_the_cache(authenticator: Authenticator, keys: AccessKeyService,
                                              users: UserService, store: SqlStore, req: Requests) -> None:  # noqa: F811
    users.create_user(req(ACCOUNT), "alice")
    key = keys.create_access_key(req(ACCOUNT), "alice").key
    before = store.invalidation.stamp(ACCOUNT)
    assert keys.record_use(key, "iam", "us-east-1")
    assert store.invalidation.stamp(ACCOUNT) == before

