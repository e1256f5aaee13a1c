"""Accounts and their root users' long-term access keys.

An account is a 12-digit id with a name, living in one AWS partition (``aws`` unless created in another; see
docs/adr/0022-partitions.md): the ARNs of everything in it carry that partition. Its root user holds access keys
(``AKIA…``, encoding the account);
the secret is shown once, when the key is created, and kept only sealed at rest by the store.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass

from rolegate.authz import RequestContext
from rolegate.core import ids
from rolegate.core.arns import DEFAULT_PARTITION
from rolegate.core.errors import EntityAlreadyExists, InvalidInput
from rolegate.store.ports import DuplicateKeyError

from .entities import AccessKeyRecord, AccountRecord
from .ports import AccountStore, HasAccounts

DEFAULT_ACCOUNT_ID = "123456789012"
_ACCOUNT_ID = re.compile(r"\d{12}")
_ACCOUNT_NAME = re.compile(r"[\w+=,.@-]{1,64}")


@dataclass(frozen=True, slots=True)
class NewAccount:
    account: AccountRecord
    root_key: AccessKeyRecord  # carries the secret: show it once, never log it


class AccountService:
    def __init__(self, store: AccountStore, partitions: Collection[str] = (DEFAULT_PARTITION,)) -> None:
        """``partitions``: the partition ids an account may be created in (the server passes botocore's)."""
        self._store = store
        self._partitions = frozenset(partitions)

    def create_account(self, request: RequestContext, name: str, account_id: str | None = None, *,
                       root_access_key_id: str | None = None, root_secret_access_key: str | None = None,
                       partition: str = DEFAULT_PARTITION) -> NewAccount:
        """A new account in ``partition`` with one active root access key (given, or generated), created at
        the request's time. Only rolegate itself creates accounts (bootstrap, CLI, ``--dev`` reset):
        ``request`` is an internal one (``RequestContext.internal``)."""
        if partition not in self._partitions:
            raise InvalidInput(f"Unknown partition {partition!r}: one of {', '.join(sorted(self._partitions))}.")
        if not _ACCOUNT_NAME.fullmatch(name):
            raise InvalidInput(f"Invalid account name {name!r}: 1-64 characters of [A-Za-z0-9+=,.@_-].")
        if account_id is not None and not _ACCOUNT_ID.fullmatch(account_id):
            raise InvalidInput(f"Invalid account id {account_id!r}: 12 digits.")
        if (root_access_key_id is None) != (root_secret_access_key is None):
            raise InvalidInput("Give both the root access key id and its secret, or neither.")
        now = request.timestamp
        with self._store.write() as tx:
            if tx.accounts.get_by_name(name) is not None:
                raise EntityAlreadyExists(f"Account with name {name} already exists.")
            if account_id is None:
                account_id = _free_account_id(tx)
            elif tx.accounts.get(account_id) is not None:
                raise EntityAlreadyExists(f"Account {account_id} already exists.")
            account = AccountRecord(account_id, name, now, partition)
            key = AccessKeyRecord(
                access_key_id=root_access_key_id or ids.new_access_key_id(account_id),
                account_id=account_id,
                secret_access_key=root_secret_access_key or ids.new_secret_access_key(),
                status="Active", created_at=now)
            try:
                tx.accounts.create(account)
                tx.access_keys.create(key)
            except DuplicateKeyError:
                raise EntityAlreadyExists(f"Account {name} or its access key already exists.") from None
        return NewAccount(account, key)

    def list_accounts(self) -> list[AccountRecord]:
        with self._store.read() as tx:
            return tx.accounts.list_all()

    def get_account(self, account_id: str) -> AccountRecord | None:
        with self._store.read() as tx:
            return tx.accounts.get(account_id)

    def root_keys(self, account_id: str) -> list[AccessKeyRecord]:
        with self._store.read() as tx:
            return tx.access_keys.list_for_user(account_id, None)

    def access_key(self, access_key_id: str) -> AccessKeyRecord | None:
        """The long-term key with this id, active or not (the caller decides what inactive means)."""
        with self._store.read() as tx:
            return tx.access_keys.get(access_key_id)


def _free_account_id(tx: HasAccounts) -> str:
    while True:
        candidate = f"{secrets.randbelow(10**12):012d}"
        if candidate != "000000000000" and tx.accounts.get(candidate) is None:
            return candidate
