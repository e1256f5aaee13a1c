"""STS fixtures: a real SQLite store, a clock the test moves, two accounts, and the STS services over them."""

from __future__ import annotations

import datetime as dt

import pytest

from rolegate.authz import Authorizer, Caller
from rolegate.core.clock import FixedClock
from rolegate.iam.accounts import AccountService
from rolegate.iam.policies import ManagedPolicyService
from rolegate.iam.policy_lookup import find_managed_policy
from rolegate.iam.roles import RoleService
from rolegate.iam.users import UserService
from rolegate.iam.entities import UserRecord
from rolegate.store.sql import SqlStore
from rolegate.sts.keyring import KeyRing
from rolegate.sts.mfa import MfaService
from rolegate.sts.sessions import StsService
from rolegate.sts.tokens import SessionCodec
# The same real SQLite store, decision service and requests as the IAM tests.
from tests.iam.conftest import Requests, authz, internal, req, store  # noqa: F401

ACCOUNT = "111122223333"
OTHER = "444455556666"
START = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def accounts(store: SqlStore, clock: FixedClock) -> AccountService:
    svc = AccountService(store)
    svc.create_account(internal(store, clock), "a", ACCOUNT)
    svc.create_account(internal(store, clock), "b", OTHER)
    return svc


@pytest.fixture
def roles(store: SqlStore, clock: FixedClock, accounts: AccountService) -> RoleService:
    return RoleService(store)


@pytest.fixture
def users(store: SqlStore, clock: FixedClock, accounts: AccountService) -> UserService:
    return UserService(store)


@pytest.fixture
def policies(store: SqlStore, clock: FixedClock, accounts: AccountService) -> ManagedPolicyService:
    return ManagedPolicyService(store)


@pytest.fixture
def ring(store: SqlStore, clock: FixedClock) -> KeyRing:
    return KeyRing(store, clock)


@pytest.fixture
def codec(ring: KeyRing, clock: FixedClock) -> SessionCodec:
    return SessionCodec(ring, clock)


@pytest.fixture
def mfa(store: SqlStore, clock: FixedClock, accounts: AccountService) -> MfaService:
    return MfaService(store)


@pytest.fixture
def sts(store: SqlStore, clock: FixedClock, codec: SessionCodec, mfa: MfaService, accounts: AccountService,
        authz: Authorizer) -> StsService:
    def policy_exists(account_id: str, arn: str) -> bool:
        with store.read() as tx:
            return find_managed_policy(tx, account_id, arn) is not None

    return StsService(store, clock, codec, mfa, policy_exists=policy_exists, authorizer=authz)


def user_caller(user: UserRecord) -> Caller:
    return Caller(account_id=user.account_id, arn=user.arn, user_id=user.user_id, principal_type="User",
                  access_key_id="AKIAEXAMPLE", user_name=user.name)


def trust(*principals: str, actions: tuple[str, ...] = ("sts:AssumeRole",), condition: dict | None = None) -> str:
    import json

    statement: dict = {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": list(actions)}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})
