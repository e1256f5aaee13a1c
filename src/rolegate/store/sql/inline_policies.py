"""Inline policies of one kind of owner (role, user or group): a table keyed by owner id and policy name.

``SqlRoles``, ``SqlUsers`` and ``SqlGroups`` each hold one, over their own table, and answer
``iam.ports.InlinePolicyRepository`` through it.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, delete, select, update

from .rows import insert_row


class SqlInlinePolicies:
    def __init__(self, conn: Connection, table: Table, owner_column: str) -> None:
        self._c = conn
        self._t = table
        self._owner = table.c[owner_column]
        self._owner_column = owner_column

    def put(self, owner_id: str, name: str, document: str) -> None:
        done = self._c.execute(update(self._t).where(self._owner == owner_id, self._t.c.name == name)
                               .values(document=document)).rowcount
        if not done:
            insert_row(self._c, self._t, **{self._owner_column: owner_id}, name=name, document=document)

    def get(self, owner_id: str, name: str) -> str | None:
        document: str | None = self._c.execute(
            select(self._t.c.document).where(self._owner == owner_id, self._t.c.name == name)).scalar()
        return document

    def delete(self, owner_id: str, name: str) -> bool:
        return bool(self._c.execute(delete(self._t).where(self._owner == owner_id, self._t.c.name == name))
                    .rowcount)

    def list_for_owner(self, owner_id: str) -> list[tuple[str, str]]:
        rows = self._c.execute(select(self._t.c.name, self._t.c.document).where(self._owner == owner_id)
                               .order_by(self._t.c.name))
        return [(r.name, r.document) for r in rows]


class InlinePolicyMethods:
    """``iam.ports.InlinePolicyRepository``'s methods for a repository whose owners' inline policies are in
    ``self._policies`` (roles, users and groups alike)."""

    _policies: SqlInlinePolicies

    def put_inline_policy(self, owner_id: str, name: str, document: str) -> None:
        self._policies.put(owner_id, name, document)

    def get_inline_policy(self, owner_id: str, name: str) -> str | None:
        return self._policies.get(owner_id, name)

    def delete_inline_policy(self, owner_id: str, name: str) -> bool:
        return self._policies.delete(owner_id, name)

    def list_inline_policies(self, owner_id: str) -> list[tuple[str, str]]:
        return self._policies.list_for_owner(owner_id)
