"""The SQL repository behind the account-wide views (GetAccountAuthorizationDetails): the details of many
entities at once, one set-based query per kind of detail rather than one query per entity."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Table, select

from rolegate.iam.entities import InstanceProfileRecord, PolicyVersionRecord
from rolegate.store import schema as t

from .instance_profiles import SqlInstanceProfiles, profiles_query
from .policies import ATTACHMENTS, version_from_row
from .rows import grouped

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
        return grouped((r.owner, (r.name, r.document)) for r in rows)

    def attached_policies(self, kind: str, entity_ids: Sequence[str]) -> dict[str, list[str]]:
        table, column, _, _ = ATTACHMENTS[kind]
        entity = table.c[column]
        if not entity_ids:
            return {}
        rows = self._c.execute(select(entity.label("entity"), table.c.policy_arn)
                               .where(entity.in_(list(entity_ids))).order_by(entity, table.c.policy_arn))
        return grouped((r.entity, r.policy_arn) for r in rows)

    def group_names(self, user_ids: Sequence[str]) -> dict[str, list[str]]:
        if not user_ids:
            return {}
        m, g = t.group_members, t.groups
        rows = self._c.execute(select(m.c.user_id, g.c.name).join(g, g.c.group_id == m.c.group_id)
                               .where(m.c.user_id.in_(list(user_ids))).order_by(m.c.user_id, g.c.name_lower))
        return grouped((r.user_id, r.name) for r in rows)

    def instance_profiles_holding(self, role_ids: Sequence[str]) -> list[InstanceProfileRecord]:
        if not role_ids:
            return []
        m = t.instance_profile_roles
        return self._profiles.from_query(profiles_query().where(m.c.role_id.in_(list(role_ids)))
                                    .order_by(t.instance_profiles.c.name_lower))

    def policy_versions(self, policy_ids: Sequence[str]) -> dict[str, list[PolicyVersionRecord]]:
        if not policy_ids:
            return {}
        v = t.policy_versions
        rows = self._c.execute(select(v).where(v.c.policy_id.in_(list(policy_ids))))
        out = grouped((r.policy_id, version_from_row(r)) for r in rows)
        for versions in out.values():
            versions.sort(key=lambda x: int(x.version_id[1:]), reverse=True)  # newest first
        return out
