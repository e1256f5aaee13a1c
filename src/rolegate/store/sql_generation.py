"""The invalidation generations in SQL: the global policy generation and one generation per account, moved by
every write transaction that changes what authorization reads; and their cheap per-request read.

Authorization caches each principal's effective policies and each resource's facts (ARN with path, tags,
boundary) per worker, and STS caches roles; an entry is valid while its account's stamp — (global, account)
— still reads as it did when the entry was built (``store.invalidation``). Rather than trusting every domain
service to remember a call, the store notices it: a ``before_cursor_execute`` hook on a write connection
collects, for each INSERT, UPDATE or DELETE of a tracked table, the accounts its parameters name — an
``account_id`` column, an ARN's account, an access key id's account, or the account of an entity id (a
role, user, group, managed policy or instance profile id, looked up once per process: ids never move) — and
``SqlStore.write()`` moves those accounts' generations in that same transaction before it commits, so the
change and the new generations become visible together, to every process. A statement that names no account
moves the global generation instead, which every stamp includes: forgetting costs cache hits, never
correctness. ``--dev`` reset moves the global generation too.

Untracked (they never change a decision, and some are written on hot paths): the counters themselves, the
session key ring (refreshed on its own schedule, docs/operations.md "Workers"), credential reports (a snapshot
read by nothing that decides), and last-use bookkeeping —
an UPDATE of ``roles`` or ``access_keys`` that sets only ``last_used_*`` columns (RoleLastUsed,
GetAccessKeyLastUsed). Access keys are otherwise tracked: authentication caches each key and its owner too,
so creating, deactivating or deleting a key is seen by the next request. A new table is tracked by default.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, event, select, update
from sqlalchemy.engine import ExecutionContext
from sqlalchemy.sql.dml import Update, UpdateBase

from rolegate.core import ids
from rolegate.core.errors import StoreUnavailable
from rolegate.core.arns import parse_arn

from . import schema as t
from .engine import resource_failure
from .invalidation import Stamp

_TOUCHED = "rolegate.invalidation_scopes"
_GLOBAL = "*"  # the scope a write moves when it names no account
# Tables no authorization decision reads: a user's SSH keys, signing certificates and service-specific
# credentials, service-last-accessed bookkeeping and credential reports, never change what a request may do.
_UNTRACKED = frozenset({"policy_generation", "invalidation_scopes", "session_keys", "outbox", "ssh_public_keys",
                        "signing_certificates", "service_specific_credentials", "service_last_accessed",
                        "access_report_jobs", "credential_reports",
                        # Replay records of AssumeRoleWithSAML: nothing any cache holds is derived from them.
                        "saml_assertions",
                        # Roles Anywhere's subjects: bookkeeping of issued sessions, which nothing decides by.
                        "rolesanywhere_subjects",
                        # The audit trail's store copy: records of requests, which no decision reads.
                        "audit_events", "audit_event_resources", "audit_marks"})
_BOOKKEEPING = {"roles": frozenset({"last_used_at", "last_used_region"}),
                "access_keys": frozenset({"last_used_at", "last_used_service", "last_used_region"})}
_ROW = 1

# Entity ids whose account is looked up (IAM User Guide, "Unique ID prefixes"), and where.
_ID_TABLES = {ids.ROLE: (t.roles, t.roles.c.role_id), ids.USER: (t.users, t.users.c.user_id),
              ids.GROUP: (t.groups, t.groups.c.group_id),
              ids.MANAGED_POLICY: (t.managed_policies, t.managed_policies.c.policy_id),
              ids.INSTANCE_PROFILE: (t.instance_profiles, t.instance_profiles.c.instance_profile_id),
              ids.CERTIFICATE: (t.server_certificates, t.server_certificates.c.certificate_id)}
_ACCOUNT_OF = {prefix: select(table.c.account_id).where(column == bindparam("id"))
               for prefix, (table, column) in _ID_TABLES.items()}
_ACCOUNT_OF_ID: dict[str, str] = {}  # entity id -> account, per process: an id never changes account
_MAX_REMEMBERED_IDS = 100_000


# Run at the end of every write transaction: built once, as the read path's statements are.
_BUMP_GLOBAL = (update(t.policy_generation).where(t.policy_generation.c.id == _ROW)
                .values(generation=t.policy_generation.c.generation + 1))
_RESTART_GLOBAL = t.policy_generation.insert().values(id=_ROW, generation=1)
_BUMP_SCOPE = (update(t.invalidation_scopes).where(t.invalidation_scopes.c.scope == bindparam("b_scope"))
               .values(generation=t.invalidation_scopes.c.generation + 1))
_START_SCOPE = t.invalidation_scopes.insert().values(scope=bindparam("b_scope"), generation=1)


def bump(conn: Connection) -> None:
    """Move the global generation: every cache entry of every account is stale."""
    if not conn.execute(_BUMP_GLOBAL).rowcount:
        # The row went missing (a hand-edited database); restart far from any cached value.
        conn.execute(_RESTART_GLOBAL)


def bump_scopes(conn: Connection, scopes: Iterable[str]) -> None:
    """Move the generation of each account scope (a missing row reads as 0, so it starts at 1)."""
    for scope in sorted(scopes):  # one order for every writer: no deadlock between two on PostgreSQL
        if not conn.execute(_BUMP_SCOPE, {"b_scope": scope}).rowcount:
            conn.execute(_START_SCOPE, {"b_scope": scope})


_STAMP_SQL = ("SELECT (SELECT generation FROM policy_generation WHERE id = 1), "
              "(SELECT generation FROM invalidation_scopes WHERE scope = {param})")


class GenerationReader:
    """The invalidation port over SQL: the per-request read of a stamp, as cheap as the database allows.

    Every request that consults a cache makes this read, so it skips SQLAlchemy's statement and pool
    machinery (several times the cost of the query): for a SQLite file each thread keeps its own autocommit
    connection with the statement prepared, and the read is one implicit read transaction of two one-row
    lookups. Other databases use a raw pooled connection (PostgreSQL nodes may instead keep the counters in
    memory, moved by LISTEN/NOTIFY: docs/adr/0017-scoped-invalidation.md).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        url = engine.url
        self._sqlite_path = url.database if url.get_backend_name() == "sqlite" and url.database not in (
            None, "", ":memory:") else None
        self._stamp_sql = _STAMP_SQL.format(param="?" if engine.dialect.paramstyle == "qmark" else "%s")
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def stamp(self, account_id: str) -> Stamp:
        try:
            row = self._fetch(self._stamp_sql, (account_id,))
        except Exception as exc:  # the database away (a restart, a lost network): a retryable 503, not a 500
            reason = resource_failure(exc)
            if reason is None:
                raise
            raise StoreUnavailable(reason) from exc
        if row is None:
            return (0, 0)
        return (int(row[0]) if row[0] is not None else 0, int(row[1]) if row[1] is not None else 0)

    def _fetch(self, sql: str, params: tuple[Any, ...]) -> Any:
        if self._sqlite_path is None:
            return _fetch_pooled(self._engine, sql, params)
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._sqlite_path, isolation_level=None, check_same_thread=False,
                                   timeout=10.0, cached_statements=16)
            self._local.conn = conn
            with self._lock:
                self._opened.append(conn)
        return conn.execute(sql, params).fetchone()

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()
        self._local = threading.local()


def _fetch_pooled(engine: Engine, sql: str, params: tuple[Any, ...]) -> Any:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        try:
            cur.execute(sql, params)
            return cur.fetchone()
        finally:
            cur.close()
    finally:
        raw.close()


def start(conn: Connection) -> None:
    """Watch this write transaction's statements (read connections carry no listener, so reads pay nothing)."""
    conn.info[_TOUCHED] = set()
    if not event.contains(conn, "before_cursor_execute", _note_write):
        event.listen(conn, "before_cursor_execute", _note_write)


def finish(conn: Connection) -> None:
    """Move the generations of the scopes this write transaction touched; call before commit."""
    scopes: set[str] | None = conn.info.pop(_TOUCHED, None)
    if not scopes:
        return
    if _GLOBAL in scopes:
        bump(conn)
        scopes = scopes - {_GLOBAL}
    bump_scopes(conn, scopes)


def _note_write(conn: Connection, cursor: Any, statement: str, parameters: Any, context: ExecutionContext | None,
                executemany: bool) -> None:
    scopes: set[str] | None = conn.info.get(_TOUCHED)
    if scopes is None or context is None or not (context.isinsert or context.isupdate
                                                  or getattr(context, "isdelete", False)):
        return  # not inside SqlStore.write(), or not DML
    compiled = getattr(context, "compiled", None)
    clause = getattr(compiled, "statement", None)
    if not isinstance(clause, UpdateBase):
        return  # raw SQL: the repositories write none on tracked tables
    name = getattr(getattr(clause, "table", None), "name", None)
    if name in _UNTRACKED:
        return
    bookkeeping = _BOOKKEEPING.get(name)  # type: ignore[arg-type]
    if bookkeeping is not None and isinstance(clause, Update) and \
            _set_columns(clause, getattr(context, "compiled_parameters", None) or ()) <= bookkeeping:
        return
    found = set(_accounts_named(conn, getattr(context, "compiled_parameters", None) or ()))
    scopes.update(found or (_GLOBAL,))


def _accounts_named(conn: Connection, parameter_sets: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The accounts a statement's bound parameters name."""
    for params in parameter_sets:
        # A row with its own account_id belongs to that account, and the ids it references are of the same
        # account (IAM links no entity across accounts): no lookup then.
        owner = params.get("account_id")
        if isinstance(owner, str) and _is_account(owner):
            yield owner
        for key, value in params.items():
            for item in value if isinstance(value, list | tuple) else (value,):
                if not isinstance(item, str):
                    continue
                if key.startswith("account_id") and _is_account(item):
                    yield item
                elif item.startswith("arn:"):
                    parsed = parse_arn(item)
                    if parsed is not None and _is_account(parsed.account):
                        yield parsed.account
                elif len(item) == 20 and item[:4] in (ids.ACCESS_KEY, ids.SESSION_KEY):
                    account = ids.account_of_access_key_id(item)
                    if account is not None:
                        yield account
                elif len(item) == 21 and item[:4] in _ACCOUNT_OF and owner is None:
                    account = _account_of_id(conn, item)
                    if account is not None:
                        yield account


def _account_of_id(conn: Connection, entity_id: str) -> str | None:
    found = _ACCOUNT_OF_ID.get(entity_id)
    if found is None:
        # Read in this transaction, before the statement runs: a row it is about to delete is still there.
        found = conn.execute(_ACCOUNT_OF[entity_id[:4]], {"id": entity_id}).scalar()
        if found is None:
            return None  # not written yet (or gone): the statement's other parameters, else global
        if len(_ACCOUNT_OF_ID) >= _MAX_REMEMBERED_IDS:
            _ACCOUNT_OF_ID.clear()
        _ACCOUNT_OF_ID[entity_id] = found
    return found


def _is_account(text: str) -> bool:
    return len(text) == 12 and text.isdigit()


def _set_columns(clause: Update, parameter_sets: Iterable[dict[str, Any]]) -> frozenset[str]:
    """The columns an UPDATE sets: its ``.values(...)``, or — for a statement built once and given its values
    at execution — the table's columns among the bound parameters (a WHERE's bindparams are named apart)."""
    values = getattr(clause, "_values", None)
    if values:
        return frozenset(getattr(k, "key", k) for k in values)
    columns = clause.table.c
    return frozenset(key for params in parameter_sets for key in params if key in columns)
