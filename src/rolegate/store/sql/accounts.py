"""The SQL repositories of accounts and long-term access keys (secrets sealed at rest; last use recorded)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update

from rolegate.iam.entities import AccessKeyRecord, AccountRecord
from rolegate.store import schema as t
from rolegate.store.sealing import Sealer

from .rows import insert_row, utc, utc_or_none

# Authentication reads a key on every request: the statement is built once.
_KEY_BY_ID = select(t.access_keys).where(t.access_keys.c.access_key_id == bindparam("key_id"))


class SqlAccounts:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def create(self, account: AccountRecord) -> None:
        insert_row(self._c, t.accounts, account_id=account.account_id, name=account.name,
                   created_at=account.created_at, partition=account.partition)

    def get(self, account_id: str) -> AccountRecord | None:
        row = self._c.execute(select(t.accounts).where(t.accounts.c.account_id == account_id)).first()
        return _account(row) if row else None

    def get_by_name(self, name: str) -> AccountRecord | None:
        row = self._c.execute(select(t.accounts).where(t.accounts.c.name == name)).first()
        return _account(row) if row else None

    def list_all(self) -> list[AccountRecord]:
        rows = self._c.execute(select(t.accounts).order_by(t.accounts.c.created_at, t.accounts.c.account_id))
        return [_account(r) for r in rows]


def _account(row: Any) -> AccountRecord:
    return AccountRecord(row.account_id, row.name, utc(row.created_at), row.partition)


# GetAccessKeyLastUsed's bookkeeping, written (in batches) for requests signed with long-term keys: built once.
# Never move last use backwards (two nodes may record uses out of order); bound names differ from the columns'
# so that the invalidation hook sees a last-used update (sql_generation).
_RECORD_KEY_USE = (update(t.access_keys)
                   .where(t.access_keys.c.access_key_id == bindparam("b_key_id"),
                          t.access_keys.c.last_used_at.is_(None) | (t.access_keys.c.last_used_at < bindparam("b_when")))
                   .values(last_used_at=bindparam("b_when"), last_used_service=bindparam("b_service"),
                           last_used_region=bindparam("b_region")))


class SqlAccessKeys:
    def __init__(self, conn: Connection, sealer: Sealer) -> None:
        self._c = conn
        self._sealer = sealer

    def create(self, key: AccessKeyRecord) -> None:
        insert_row(self._c, t.access_keys, access_key_id=key.access_key_id, account_id=key.account_id,
                   user_id=key.user_id, status=key.status, created_at=key.created_at,
                   secret_sealed=self._sealer.seal(key.secret_access_key, key.access_key_id))

    def get(self, access_key_id: str) -> AccessKeyRecord | None:
        row = self._c.execute(_KEY_BY_ID, {"key_id": access_key_id}).first()
        return self._key(row) if row else None

    def list_for_user(self, account_id: str, user_id: str | None) -> list[AccessKeyRecord]:
        c = t.access_keys.c
        cond = c.user_id.is_(None) if user_id is None else c.user_id == user_id
        rows = self._c.execute(select(t.access_keys).where(c.account_id == account_id, cond)
                               .order_by(c.created_at))
        return [self._key(r) for r in rows]

    def set_status(self, access_key_id: str, status: str) -> None:
        self._c.execute(update(t.access_keys).where(t.access_keys.c.access_key_id == access_key_id)
                        .values(status=status))

    def delete(self, access_key_id: str) -> None:
        self._c.execute(delete(t.access_keys).where(t.access_keys.c.access_key_id == access_key_id))

    def record_use(self, access_key_id: str, when: dt.datetime, service: str, region: str) -> None:
        self._c.execute(_RECORD_KEY_USE, {"b_key_id": access_key_id, "b_when": when, "b_service": service,
                                          "b_region": region})

    def _key(self, row: Any) -> AccessKeyRecord:
        return AccessKeyRecord(
            access_key_id=row.access_key_id, account_id=row.account_id, user_id=row.user_id,
            secret_access_key=self._sealer.open(row.secret_sealed, row.access_key_id),
            status=row.status, created_at=utc(row.created_at), last_used_at=utc_or_none(row.last_used_at),
            last_used_service=row.last_used_service, last_used_region=row.last_used_region)
