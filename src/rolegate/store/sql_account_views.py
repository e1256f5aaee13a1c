"""The SQL repository behind the account-wide views (GetAccountAuthorizationDetails): the details of many
entities at once, one set-based query per kind of detail rather than one query per entity."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, select

from . import schema as t
from rolegate.iam.entities import InstanceProfileRecord, PolicyVersionRecord
from .sql_instance_profiles import SqlInstanceProfiles, _query as _profiles_query
from .sql_policies import _ATTACHMENTS, _version

# kind -> (inline-policy table, its owner-id column)
_INLINE: dict[str, tuple[Table, str]] = {
    "Role": (t.role_inline_policies, "role_id"),
    "User": (t.user_inline_policies, "user_id"),
    "Group": (t.group_inline_policies, "group_id"),
}


class SqlAccountViews:
    def __init__(self, conn: Connection) -> None:
        self._c = conn
        self._profiles = SqlInstanceProfiles(conn)

    def inline_policies(self, kind: str, owner_ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        table, column = _INLINE[kind]
        owner = table.c[column]
        if not owner_ids:
            return {}
        rows = self._c.execute(select(owner.label("owner"), table.c.name, table.c.document)
                               .where(owner.in_(list(owner_ids))).order_by(owner, table.c.name))
        return _grouped((r.owner, (r.name, r.document)) for r in rows)

    def attached_policies(self, kind: str, entity_ids: Sequence[str]) -> dict[str, list[str]]:
        table, column, _, _ = _ATTACHMENTS[kind]
        entity = table.c[column]
        if not entity_ids:
            return {}
        rows = self._c.execute(select(entity.label("entity"), table.c.policy_arn)
                               .where(entity.in_(list(entity_ids))).order_by(entity, table.c.policy_arn))
        return _grouped((r.entity, r.policy_arn) for r in rows)

    def group_names(self, user_ids: Sequence[str]) -> dict[str, list[str]]:
        if not user_ids:
            return {}
        m, g = t.group_members, t.groups
        rows = self._c.execute(select(m.c.user_id, g.c.name).join(g, g.c.group_id == m.c.group_id)
                               .where(m.c.user_id.in_(list(user_ids))).order_by(m.c.user_id, g.c.name_lower))
        return _grouped((r.user_id, r.name) for r in rows)

    def instance_profiles_holding(self, role_ids: Sequence[str]) -> list[InstanceProfileRecord]:
        if not role_ids:
            return []
        m = t.instance_profile_roles
        return self._profiles._rows(_profiles_query().where(m.c.role_id.in_(list(role_ids)))
                                    .order_by(t.instance_profiles.c.name_lower))

    def policy_versions(self, policy_ids: Sequence[str]) -> dict[str, list[PolicyVersionRecord]]:
        if not policy_ids:
            return {}
        v = t.policy_versions
        rows = self._c.execute(select(v).where(v.c.policy_id.in_(list(policy_ids))))
        out = _grouped((r.policy_id, _version(r)) for r in rows)
        for versions in out.values():
            versions.sort(key=lambda x: int(x.version_id[1:]), reverse=True)  # newest first
        return out


def _grouped(pairs: Any) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out
