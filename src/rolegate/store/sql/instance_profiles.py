"""The SQL repository of instance profiles and the one role each may hold."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Select, delete, select

from rolegate.iam.entities import InstanceProfileRecord
from rolegate.store import schema as t

from .rows import add_tags, count_rows, insert_row, named_page, tags_for, utc, write_tags

_P = t.instance_profiles
_M = t.instance_profile_roles


class SqlInstanceProfiles:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def create(self, profile: InstanceProfileRecord) -> None:
        insert_row(self._c, _P, instance_profile_id=profile.instance_profile_id, account_id=profile.account_id,
                name=profile.name, name_lower=profile.name.lower(), path=profile.path, arn=profile.arn,
                created_at=profile.created_at)
        add_tags(self._c, profile.instance_profile_id, profile.tags)

    def get_by_name(self, account_id: str, name: str) -> InstanceProfileRecord | None:
        rows = self.from_query(profiles_query().where(_P.c.account_id == account_id, _P.c.name_lower == name.lower()))
        return rows[0] if rows else None

    def list_for_account(self, account_id: str, path_prefix: str, after: str | None,
                         limit: int) -> list[InstanceProfileRecord]:
        return self.from_query(named_page(profiles_query(), _P, account_id, path_prefix, after, limit))

    def list_for_role(self, role_id: str) -> list[InstanceProfileRecord]:
        return self.from_query(profiles_query().where(_M.c.role_id == role_id).order_by(_P.c.name_lower))

    def set_role(self, instance_profile_id: str, role_id: str | None) -> None:
        self._c.execute(delete(_M).where(_M.c.instance_profile_id == instance_profile_id))
        if role_id is not None:
            insert_row(self._c, _M, instance_profile_id=instance_profile_id, role_id=role_id)

    def update_tags(self, instance_profile_id: str, tags: Sequence[tuple[str, str]]) -> None:
        write_tags(self._c, instance_profile_id, tags)

    def delete(self, instance_profile_id: str) -> None:
        write_tags(self._c, instance_profile_id, ())
        self._c.execute(delete(_M).where(_M.c.instance_profile_id == instance_profile_id))
        self._c.execute(delete(_P).where(_P.c.instance_profile_id == instance_profile_id))

    def count(self, account_id: str) -> int:
        return count_rows(self._c, _P, "account_id", account_id)

    def from_query(self, query: Select[Any]) -> list[InstanceProfileRecord]:
        """The profiles ``query`` (built on ``profiles_query()``) selects, with their tags."""
        rows = self._c.execute(query).all()
        tags = tags_for(self._c, [r.instance_profile_id for r in rows])
        return [InstanceProfileRecord(
            account_id=r.account_id, instance_profile_id=r.instance_profile_id, name=r.name, path=r.path,
            arn=r.arn, created_at=utc(r.created_at), role_name=r.role_name,
            tags=tags.get(r.instance_profile_id, ())) for r in rows]


def profiles_query() -> Select[Any]:
    """Profiles with the name of their role (outer join: most profiles start empty)."""
    return (select(_P, t.roles.c.name.label("role_name"))
            .select_from(_P.outerjoin(_M, _M.c.instance_profile_id == _P.c.instance_profile_id)
                         .outerjoin(t.roles, t.roles.c.role_id == _M.c.role_id)))
