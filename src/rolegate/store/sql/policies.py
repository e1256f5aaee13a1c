"""The SQL repository of customer managed policies, their versions, and managed-policy attachments.

Attachments name a policy by ARN (AWS managed policies are shipped data, not rows), so every count is
scoped to one account by joining the attached entity: AWS's ARNs are the same in every account.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, func, select, union_all, update

from rolegate.iam.entities import ManagedPolicyRecord, PolicyEntityRecord, PolicyVersionRecord
from rolegate.store import schema as t

from .rows import Tags, add_tags, count_rows, insert_row, tags_for, utc, write_tags

_P = t.managed_policies
_V = t.policy_versions

# kind -> (attachment table, its entity-id column, the entity table, the entity table's id column)
ATTACHMENTS: dict[str, tuple[Table, str, Table, str]] = {
    "Role": (t.role_attached_policies, "role_id", t.roles, "role_id"),
    "User": (t.user_attached_policies, "user_id", t.users, "user_id"),
    "Group": (t.group_attached_policies, "group_id", t.groups, "group_id"),
}
# Only roles and users have a permissions boundary (IAM User Guide, "Permissions boundaries for IAM entities").
_BOUNDED: dict[str, tuple[Table, str]] = {"Role": (t.roles, "role_id"), "User": (t.users, "user_id")}


# Every ListPolicies and GetPolicy asks for both counts: one statement each, built once, rather than one per
# entity kind built per call.
_ATTACHMENT_COUNTS = union_all(*(
    select(table.c.policy_arn.label("arn"), func.count().label("n"))
    .join(entities, entities.c[id_column] == table.c[column])
    .where(entities.c.account_id == bindparam("account_id")).group_by(table.c.policy_arn)
    for table, column, entities, id_column in ATTACHMENTS.values()))
_BOUNDARY_COUNTS = union_all(*(
    select(entities.c.permissions_boundary_arn.label("arn"), func.count().label("n"))
    .where(entities.c.account_id == bindparam("account_id"), entities.c.permissions_boundary_arn.is_not(None))
    .group_by(entities.c.permissions_boundary_arn)
    for entities, _ in _BOUNDED.values()))


def _summed(rows: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for arn, n in rows:
        counts[arn] = counts.get(arn, 0) + int(n)
    return counts


class SqlManagedPolicies:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    # --- policies ----------------------------------------------------------------------------------

    def create(self, policy: ManagedPolicyRecord, first_version: PolicyVersionRecord) -> None:
        insert_row(self._c, _P, policy_id=policy.policy_id, account_id=policy.account_id, name=policy.name,
                name_lower=policy.name.lower(), path=policy.path, arn=policy.arn, description=policy.description,
                created_at=policy.created_at, **_policy_values(policy))
        self.add_version(first_version)
        add_tags(self._c, policy.policy_id, policy.tags)

    def get_by_arn(self, arn: str) -> ManagedPolicyRecord | None:
        row = self._c.execute(select(_P).where(_P.c.arn == arn)).first()
        return self._policy(row, tags_for(self._c, [row.policy_id])) if row else None

    def list_for_account(self, account_id: str) -> list[ManagedPolicyRecord]:
        rows = self._c.execute(select(_P).where(_P.c.account_id == account_id).order_by(_P.c.name_lower)).all()
        tags = tags_for(self._c, [r.policy_id for r in rows])
        return [self._policy(r, tags) for r in rows]

    def update(self, policy: ManagedPolicyRecord) -> None:
        self._c.execute(update(_P).where(_P.c.policy_id == policy.policy_id).values(**_policy_values(policy)))
        write_tags(self._c, policy.policy_id, policy.tags)

    def delete(self, policy_id: str) -> None:
        write_tags(self._c, policy_id, ())
        self._c.execute(delete(_V).where(_V.c.policy_id == policy_id))
        self._c.execute(delete(_P).where(_P.c.policy_id == policy_id))

    def count(self, account_id: str) -> int:
        return count_rows(self._c, _P, "account_id", account_id)

    # --- versions ----------------------------------------------------------------------------------

    def add_version(self, version: PolicyVersionRecord) -> None:
        insert_row(self._c, _V, policy_id=version.policy_id, version_id=version.version_id,
                document=version.document, created_at=version.created_at)

    def get_version(self, policy_id: str, version_id: str) -> PolicyVersionRecord | None:
        row = self._c.execute(select(_V).where(_V.c.policy_id == policy_id, _V.c.version_id == version_id)).first()
        return version_from_row(row) if row else None

    def list_versions(self, policy_id: str) -> list[PolicyVersionRecord]:
        rows = self._c.execute(select(_V).where(_V.c.policy_id == policy_id)).all()
        # Newest first, as ListPolicyVersions returns them: by version number, not by text.
        return sorted((version_from_row(r) for r in rows), key=lambda v: int(v.version_id[1:]), reverse=True)

    def delete_version(self, policy_id: str, version_id: str) -> None:
        self._c.execute(delete(_V).where(_V.c.policy_id == policy_id, _V.c.version_id == version_id))

    # --- attachments -------------------------------------------------------------------------------

    def attach(self, kind: str, entity_id: str, policy_arn: str) -> None:
        table, column, _, _ = ATTACHMENTS[kind]
        exists = self._c.execute(select(func.count()).select_from(table).where(
            table.c[column] == entity_id, table.c.policy_arn == policy_arn)).scalar_one()
        if not exists:
            insert_row(self._c, table, **{column: entity_id}, policy_arn=policy_arn)

    def detach(self, kind: str, entity_id: str, policy_arn: str) -> bool:
        table, column, _, _ = ATTACHMENTS[kind]
        return bool(self._c.execute(delete(table).where(table.c[column] == entity_id,
                                                        table.c.policy_arn == policy_arn)).rowcount)

    def attached(self, kind: str, entity_id: str) -> list[str]:
        table, column, _, _ = ATTACHMENTS[kind]
        return list(self._c.execute(select(table.c.policy_arn).where(table.c[column] == entity_id)
                                    .order_by(table.c.policy_arn)).scalars())

    def attachment_counts(self, account_id: str) -> dict[str, int]:
        return _summed(self._c.execute(_ATTACHMENT_COUNTS, {"account_id": account_id}))

    def boundary_counts(self, account_id: str) -> dict[str, int]:
        return _summed(self._c.execute(_BOUNDARY_COUNTS, {"account_id": account_id}))

    def entities(self, account_id: str, policy_arn: str, *, attached: bool,
                 boundary: bool) -> list[PolicyEntityRecord]:
        found: dict[tuple[str, str], PolicyEntityRecord] = {}
        if attached:
            for kind, (table, column, entities, id_column) in ATTACHMENTS.items():
                q = (select(entities).join(table, table.c[column] == entities.c[id_column])
                     .where(entities.c.account_id == account_id, table.c.policy_arn == policy_arn))
                for r in self._c.execute(q):
                    found[(kind, r._mapping[id_column])] = PolicyEntityRecord(kind, r._mapping[id_column], r.name, r.path)
        if boundary:
            for kind, (entities, id_column) in _BOUNDED.items():
                q = select(entities).where(entities.c.account_id == account_id,
                                           entities.c.permissions_boundary_arn == policy_arn)
                for r in self._c.execute(q):
                    found[(kind, r._mapping[id_column])] = PolicyEntityRecord(kind, r._mapping[id_column], r.name, r.path)
        return list(found.values())

    def _policy(self, row: Any, tags: dict[str, Tags]) -> ManagedPolicyRecord:
        return ManagedPolicyRecord(
            account_id=row.account_id, policy_id=row.policy_id, name=row.name, path=row.path, arn=row.arn,
            default_version_id=row.default_version_id, next_version=row.next_version,
            created_at=utc(row.created_at), updated_at=utc(row.updated_at), description=row.description,
            tags=tags.get(row.policy_id, ()))


def version_from_row(row: Any) -> PolicyVersionRecord:
    return PolicyVersionRecord(row.policy_id, row.version_id, row.document, utc(row.created_at))


def _policy_values(policy: ManagedPolicyRecord) -> dict[str, Any]:
    return {"default_version_id": policy.default_version_id, "next_version": policy.next_version,
            "updated_at": policy.updated_at}
