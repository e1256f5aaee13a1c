"""The storage interface domain services depend on (Protocols), and the errors it raises.

A ``Store`` hands out transactions: ``read()`` for consistent reads, ``write()`` for a serialized
read-modify-write. Every mutation of one API call happens inside one ``write()`` block, so it is
all-or-nothing. Implementations: ``store.sql`` (SQLite, PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from .records import AccessKeyRecord, AccountRecord, RoleRecord


class DuplicateKeyError(Exception):
    """An insert collided with a unique key; the domain turns it into ``EntityAlreadyExists``."""


class AccountRepository(Protocol):
    def create(self, account: AccountRecord) -> None: ...
    def get(self, account_id: str) -> AccountRecord | None: ...
    def get_by_name(self, name: str) -> AccountRecord | None: ...
    def list(self) -> list[AccountRecord]: ...


class AccessKeyRepository(Protocol):
    def create(self, key: AccessKeyRecord) -> None: ...
    def get(self, access_key_id: str) -> AccessKeyRecord | None: ...
    def list_for_user(self, account_id: str, user_id: str | None) -> list[AccessKeyRecord]: ...


class RoleRepository(Protocol):
    def create(self, role: RoleRecord) -> None: ...
    def get_by_name(self, account_id: str, name: str) -> RoleRecord | None:
        """The role whose name equals ``name`` ignoring case (IAM names are case-insensitive)."""
        ...
    def list(self, account_id: str, path_prefix: str, after: str | None, limit: int) -> list[RoleRecord]:
        """Roles ordered by lower-cased name, starting after the sort key ``after``."""
        ...
    def update(self, role: RoleRecord) -> None:
        """Write every mutable field of ``role`` (matched by ``role_id``), tags included."""
        ...
    def delete(self, role_id: str) -> None: ...
    def count(self, account_id: str) -> int: ...

    def put_inline_policy(self, role_id: str, name: str, document: str) -> None: ...
    def get_inline_policy(self, role_id: str, name: str) -> str | None: ...
    def delete_inline_policy(self, role_id: str, name: str) -> bool: ...
    def list_inline_policies(self, role_id: str) -> list[tuple[str, str]]:
        """(name, document) pairs ordered by name."""
        ...
    def count_attached_policies(self, role_id: str) -> int: ...
    def count_instance_profiles(self, role_id: str) -> int: ...


class Transaction(Protocol):
    accounts: AccountRepository
    access_keys: AccessKeyRepository
    roles: RoleRepository


class Store(Protocol):
    def read(self) -> AbstractContextManager[Transaction]: ...
    def write(self) -> AbstractContextManager[Transaction]: ...
    def reset(self) -> None:
        """Remove every row (``--dev`` mode's ``/_rolegate/reset``)."""
        ...
    def close(self) -> None: ...


def utc(value: dt.datetime) -> dt.datetime:
    """Datetimes read back from SQLite are naive; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


__all__: Sequence[str] = [
    "AccessKeyRepository",
    "AccountRepository",
    "DuplicateKeyError",
    "RoleRepository",
    "Store",
    "Transaction",
    "utc",
]
