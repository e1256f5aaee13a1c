"""The SQL repositories of IAM users and groups: memberships, their inline policies, users' tags."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update

from rolegate.iam.entities import GroupRecord, UserRecord
from rolegate.store import schema as t

from .inline_policies import InlinePolicyMethods, SqlInlinePolicies
from .rows import Tags, add_tags, count_rows, insert_row, named_page, tags_for, utc, write_tags

_U = t.users
_G = t.groups
_M = t.group_members
_USER_BY_ID = select(_U).where(_U.c.user_id == bindparam("user_id"))  # per-request: built once


class SqlUsers(InlinePolicyMethods):
    def __init__(self, conn: Connection) -> None:
        self._c = conn
        self._policies = SqlInlinePolicies(conn, t.user_inline_policies, "user_id")

    def create(self, user: UserRecord) -> None:
        insert_row(self._c, _U, user_id=user.user_id, account_id=user.account_id, created_at=user.created_at,
                   **_user_values(user))
        add_tags(self._c, user.user_id, user.tags)

    def get_by_name(self, account_id: str, name: str) -> UserRecord | None:
        row = self._c.execute(select(_U).where(_U.c.account_id == account_id,
                                               _U.c.name_lower == name.lower())).first()
        return user_from_row(self._c, row) if row else None

    def get(self, user_id: str) -> UserRecord | None:
        row = self._c.execute(_USER_BY_ID, {"user_id": user_id}).first()
        return user_from_row(self._c, row) if row else None

    def list_for_account(self, account_id: str, path_prefix: str, after: str | None,
                         limit: int) -> list[UserRecord]:
        rows = self._c.execute(named_page(select(_U), _U, account_id, path_prefix, after, limit)).all()
        return users_from_rows(self._c, rows)

    def update(self, user: UserRecord) -> None:
        self._c.execute(update(_U).where(_U.c.user_id == user.user_id).values(**_user_values(user)))
        write_tags(self._c, user.user_id, user.tags)

    def delete(self, user_id: str) -> None:
        write_tags(self._c, user_id, ())
        self._c.execute(delete(_U).where(_U.c.user_id == user_id))

    def count(self, account_id: str) -> int:
        return count_rows(self._c, _U, "account_id", account_id)

    def count_attached_policies(self, user_id: str) -> int:
        p = t.user_attached_policies
        return count_rows(self._c, p, "user_id", user_id)

    def list_groups(self, user_id: str) -> list[GroupRecord]:
        q = select(_G).join(_M, _M.c.group_id == _G.c.group_id).where(_M.c.user_id == user_id)
        return [_group(r) for r in self._c.execute(q.order_by(_G.c.name_lower))]


def user_from_row(conn: Connection, row: Any, tags: Tags | None = None) -> UserRecord:
    if tags is None:
        tags = tags_for(conn, [row.user_id]).get(row.user_id, ())
    return UserRecord(account_id=row.account_id, user_id=row.user_id, name=row.name, path=row.path, arn=row.arn,
                      created_at=utc(row.created_at), permissions_boundary_arn=row.permissions_boundary_arn,
                      tags=tags)


def users_from_rows(conn: Connection, rows: Sequence[Any]) -> list[UserRecord]:
    tags = tags_for(conn, [r.user_id for r in rows])
    return [user_from_row(conn, r, tags.get(r.user_id, ())) for r in rows]


class SqlGroups(InlinePolicyMethods):
    def __init__(self, conn: Connection) -> None:
        self._c = conn
        self._policies = SqlInlinePolicies(conn, t.group_inline_policies, "group_id")

    def create(self, group: GroupRecord) -> None:
        insert_row(self._c, _G, group_id=group.group_id, account_id=group.account_id,
                   created_at=group.created_at, **_group_values(group))

    def get_by_name(self, account_id: str, name: str) -> GroupRecord | None:
        row = self._c.execute(select(_G).where(_G.c.account_id == account_id,
                                               _G.c.name_lower == name.lower())).first()
        return _group(row) if row else None

    def list_for_account(self, account_id: str, path_prefix: str, after: str | None,
                         limit: int) -> list[GroupRecord]:
        return [_group(r) for r in self._c.execute(named_page(select(_G), _G, account_id, path_prefix,
                                                              after, limit))]

    def update(self, group: GroupRecord) -> None:
        self._c.execute(update(_G).where(_G.c.group_id == group.group_id).values(**_group_values(group)))

    def delete(self, group_id: str) -> None:
        self._c.execute(delete(_M).where(_M.c.group_id == group_id))
        self._c.execute(delete(_G).where(_G.c.group_id == group_id))

    def count(self, account_id: str) -> int:
        return count_rows(self._c, _G, "account_id", account_id)

    def add_member(self, group_id: str, user_id: str) -> None:
        if not count_rows(self._c, _M, "group_id", group_id, user_id=user_id):
            insert_row(self._c, _M, group_id=group_id, user_id=user_id)

    def remove_member(self, group_id: str, user_id: str) -> bool:
        return bool(self._c.execute(delete(_M).where(_M.c.group_id == group_id, _M.c.user_id == user_id))
                    .rowcount)

    def list_members(self, group_id: str, after: str | None, limit: int) -> list[UserRecord]:
        q = select(_U).join(_M, _M.c.user_id == _U.c.user_id).where(_M.c.group_id == group_id)
        if after is not None:
            q = q.where(_U.c.name_lower > after)
        return users_from_rows(self._c, self._c.execute(q.order_by(_U.c.name_lower).limit(limit)).all())

    def count_members(self, group_id: str) -> int:
        return count_rows(self._c, _M, "group_id", group_id)

    def count_attached_policies(self, group_id: str) -> int:
        p = t.group_attached_policies
        return count_rows(self._c, p, "group_id", group_id)


def _group(row: Any) -> GroupRecord:
    return GroupRecord(account_id=row.account_id, group_id=row.group_id, name=row.name, path=row.path,
                       arn=row.arn, created_at=utc(row.created_at))


def _user_values(user: UserRecord) -> dict[str, Any]:
    return {"name": user.name, "name_lower": user.name.lower(), "path": user.path, "arn": user.arn,
            "permissions_boundary_arn": user.permissions_boundary_arn}


def _group_values(group: GroupRecord) -> dict[str, Any]:
    return {"name": group.name, "name_lower": group.name.lower(), "path": group.path, "arn": group.arn}
