"""The SQL repository of IAM roles and their inline policies (tags in ``resource_tags``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update

from rolegate.iam.entities import RoleRecord
from rolegate.store import schema as t

from .inline_policies import InlinePolicyMethods, SqlInlinePolicies
from .rows import Tags, add_tags, count_rows, insert_row, named_page, tags_for, utc, utc_or_none, write_tags

_R = t.roles
# Authorization and STS read a role by name on most requests: the statement is built once.
_ROLE_BY_NAME = select(_R).where(_R.c.account_id == bindparam("account_id"),
                                 _R.c.name_lower == bindparam("name_lower"))
# Writes, built once too (CreateRole, DeleteRole and their checks run these on every call).
_UPDATE = update(_R).where(_R.c.role_id == bindparam("match_role_id"))
_DELETE = delete(_R).where(_R.c.role_id == bindparam("role_id"))
_TRUSTING = select(_R).where(_R.c.trust_policy.like(bindparam("pattern"), escape="/")).order_by(_R.c.role_id)


class SqlRoles(InlinePolicyMethods):
    def __init__(self, conn: Connection) -> None:
        self._c = conn
        self._policies = SqlInlinePolicies(conn, t.role_inline_policies, "role_id")

    def create(self, role: RoleRecord) -> None:
        insert_row(self._c, _R, **_role_values(role), role_id=role.role_id, account_id=role.account_id,
                   name=role.name, name_lower=role.name.lower(), path=role.path, arn=role.arn,
                   created_at=role.created_at)
        add_tags(self._c, role.role_id, role.tags)

    def get_by_name(self, account_id: str, name: str) -> RoleRecord | None:
        row = self._c.execute(_ROLE_BY_NAME, {"account_id": account_id, "name_lower": name.lower()}).first()
        return self._role(row) if row else None

    def list_for_account(self, account_id: str, path_prefix: str, after: str | None,
                         limit: int) -> list[RoleRecord]:
        rows = self._c.execute(named_page(select(_R), _R, account_id, path_prefix, after, limit)).all()
        tags = tags_for(self._c, [r.role_id for r in rows])
        return [self._role(r, tags.get(r.role_id, ())) for r in rows]

    def update(self, role: RoleRecord) -> None:
        self._c.execute(_UPDATE, {"match_role_id": role.role_id, **_role_values(role)})
        write_tags(self._c, role.role_id, role.tags)

    def delete(self, role_id: str) -> None:
        write_tags(self._c, role_id, ())
        self._c.execute(_DELETE, {"role_id": role_id})

    def count(self, account_id: str) -> int:
        return count_rows(self._c, _R, "account_id", account_id)

    def count_attached_policies(self, role_id: str) -> int:
        return count_rows(self._c, t.role_attached_policies, "role_id", role_id)

    def count_instance_profiles(self, role_id: str) -> int:
        return count_rows(self._c, t.instance_profile_roles, "role_id", role_id)

    def list_trust_policies_containing(self, text: str) -> list[RoleRecord]:
        literal = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
        rows = self._c.execute(_TRUSTING, {"pattern": f"%{literal}%"}).all()
        tags = tags_for(self._c, [r.role_id for r in rows])
        return [self._role(r, tags.get(r.role_id, ())) for r in rows]

    def _role(self, row: Any, tags: Tags | None = None) -> RoleRecord:
        if tags is None:
            tags = tags_for(self._c, [row.role_id]).get(row.role_id, ())
        return RoleRecord(
            account_id=row.account_id, role_id=row.role_id, name=row.name, path=row.path, arn=row.arn,
            trust_policy=row.trust_policy, created_at=utc(row.created_at),
            max_session_duration=row.max_session_duration, description=row.description,
            permissions_boundary_arn=row.permissions_boundary_arn, last_used_at=utc_or_none(row.last_used_at),
            last_used_region=row.last_used_region, tags=tags)


def _role_values(role: RoleRecord) -> dict[str, Any]:
    return {
        "trust_policy": role.trust_policy,
        "description": role.description,
        "max_session_duration": role.max_session_duration,
        "permissions_boundary_arn": role.permissions_boundary_arn,
        "last_used_at": role.last_used_at,
        "last_used_region": role.last_used_region,
    }
