"""What every SQL repository shares: inserting a row (a unique-key collision as ``DuplicateKeyError``),
counting rows, one account's entities paged by name, the tags of any resource, and UTC datetimes."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Insert, Select, Table, bindparam, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from rolegate.store import schema as t
from rolegate.store.ports import DuplicateKeyError

Tags = tuple[tuple[str, str], ...]
V = TypeVar("V")

# The per-request read of one resource's tags, built once: constructing a SQLAlchemy expression costs about
# four times what SQLite takes to run it (see bench/README.md, "Server").
_TAGS_OF_ONE = (select(t.resource_tags.c.key, t.resource_tags.c.value)
                .where(t.resource_tags.c.resource_id == bindparam("resource_id"))
                .order_by(t.resource_tags.c.position))
# Statements of the write path, built once for the same reason (each costs more to build than to run).
_DELETE_TAGS = delete(t.resource_tags).where(t.resource_tags.c.resource_id == bindparam("resource_id"))
_INSERT_TAGS = insert(t.resource_tags)


@functools.cache
def _insert_into(table: Table) -> Insert:
    return insert(table)


@functools.cache
def _count_where(table: Table, columns: tuple[str, ...]) -> Select[Any]:
    return select(func.count()).select_from(table).where(*(table.c[c] == bindparam(c) for c in columns))


def insert_row(conn: Connection, table: Table, **values: Any) -> None:
    # A savepoint keeps the surrounding transaction usable after a unique-key collision (PostgreSQL).
    try:
        with conn.begin_nested():
            conn.execute(_insert_into(table), values)
    except IntegrityError as exc:
        raise DuplicateKeyError(str(exc.orig)) from exc


def count_rows(conn: Connection, table: Table, column: str, value: Any, **more: Any) -> int:
    """Rows of ``table`` whose ``column`` (and each column of ``more``) equals the value given."""
    where = {column: value, **more}
    return int(conn.execute(_count_where(table, tuple(where)), where).scalar_one())


def named_page(q: Select[Any], table: Table, account_id: str, path_prefix: str, after: str | None,
               limit: int) -> Select[Any]:
    """``q`` narrowed to one account and path prefix, ordered by lower-cased name after ``after``."""
    c = table.c
    q = q.where(c.account_id == account_id)
    if path_prefix != "/":
        q = q.where(c.path.startswith(path_prefix, autoescape=True))
    if after is not None:
        q = q.where(c.name_lower > after)
    return q.order_by(c.name_lower).limit(limit)


def write_tags(conn: Connection, resource_id: str, tags: Sequence[tuple[str, str]]) -> None:
    """Replace the tags of ``resource_id`` (keeping their order); empty ``tags`` removes them all."""
    conn.execute(_DELETE_TAGS, {"resource_id": resource_id})
    add_tags(conn, resource_id, tags)


def add_tags(conn: Connection, resource_id: str, tags: Sequence[tuple[str, str]]) -> None:
    """The tags of a resource being created (it has none yet: nothing to replace)."""
    if tags:
        conn.execute(_INSERT_TAGS, [
            {"resource_id": resource_id, "key": k, "key_lower": k.lower(), "value": v, "position": i}
            for i, (k, v) in enumerate(tags)])


def tags_for(conn: Connection, resource_ids: Sequence[str]) -> dict[str, Tags]:
    """The tags of each resource in ``resource_ids`` that has any, in the order they were given."""
    if not resource_ids:
        return {}
    if len(resource_ids) == 1:  # the per-request case: a prebuilt statement skips query construction
        rows = conn.execute(_TAGS_OF_ONE, {"resource_id": resource_ids[0]}).all()
        return {resource_ids[0]: tuple((r.key, r.value) for r in rows)} if rows else {}
    c = t.resource_tags.c
    out: dict[str, list[tuple[str, str]]] = {}
    for r in conn.execute(select(t.resource_tags).where(c.resource_id.in_(list(resource_ids)))
                          .order_by(c.resource_id, c.position)):
        out.setdefault(r.resource_id, []).append((r.key, r.value))
    return {k: tuple(v) for k, v in out.items()}


def grouped(pairs: Iterable[tuple[str, V]]) -> dict[str, list[V]]:
    """(key, value) pairs gathered into key -> values, keeping their order."""
    out: dict[str, list[V]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def utc(value: dt.datetime) -> dt.datetime:
    """Datetimes read back from SQLite are naive; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def utc_or_none(value: dt.datetime | None) -> dt.datetime | None:
    return utc(value) if value else None
