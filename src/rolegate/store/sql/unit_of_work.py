"""``SqlStore``: the store on SQLAlchemy Core (no ORM), for SQLite and PostgreSQL, and the transactions and
units of work it hands out — one object that carries every domain's repositories, so it satisfies each
domain's transaction protocol (``iam.ports``, ``sts.ports``) structurally."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy import Engine, delete
from sqlalchemy.engine import Connection

from rolegate.store import schema as t
from rolegate.store import sql_generation
from rolegate.store.engine import WRITE
from rolegate.store.sealing import Sealer

from .account_views import SqlAccountViews
from .accounts import SqlAccessKeys, SqlAccounts
from .instance_profiles import SqlInstanceProfiles
from .outbox import SqlOutbox
from .policies import SqlManagedPolicies
from .providers import SqlOidcProviders, SqlSamlProviders
from .roles import SqlRoles
from .service_linked_roles import SqlServiceRoleDeletions
from .sts import SqlMfaDevices, SqlRoleUsage, SqlSessionKeys
from .users import SqlGroups, SqlUsers


class SqlStore:
    def __init__(self, engine: Engine, sealer: Sealer) -> None:
        self._engine = engine
        self._sealer = sealer
        self._generation = sql_generation.GenerationReader(engine)
        # SQLite has one writer at a time; a thread that finds the lock taken sleeps in SQLite's busy
        # handler with growing back-off (up to 100 ms a try), so under concurrent writes a few waited most
        # of a second. Queueing this process's writers on a lock first makes them take turns in order;
        # the busy handler is left for writers in other processes. Other databases lock rows, not files.
        self._write_turn: AbstractContextManager[object] = (
            threading.RLock() if engine.dialect.name == "sqlite" else contextlib.nullcontext())

    @contextmanager
    def read(self) -> Iterator[SqlTransaction]:
        with self._engine.connect() as conn, conn.begin():
            yield SqlTransaction(conn, self._sealer)

    @contextmanager
    def write(self) -> Iterator[SqlUnitOfWork]:
        with self._write_turn, self._engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
            sql_generation.start(conn)
            yield SqlUnitOfWork(conn, self._sealer)
            sql_generation.finish(conn)  # in this transaction: the change and its generation commit together

    def policy_generation(self) -> int:
        """The current policy generation, read as cheaply as the database allows (once per request)."""
        return self._generation.current()

    def reset(self) -> None:
        """Remove every row (``--dev`` mode's ``/_rolegate/reset``)."""
        with self._write_turn, self._engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
            for table in reversed(t.metadata.sorted_tables):
                if table is not t.policy_generation:  # bumped, never restarted: a stale cache must not match
                    conn.execute(delete(table))
            sql_generation.bump(conn)

    def close(self) -> None:
        self._generation.close()
        self._engine.dispose()


class SqlTransaction:
    """Every repository, over one connection inside one transaction."""

    def __init__(self, conn: Connection, sealer: Sealer) -> None:
        self.accounts = SqlAccounts(conn)
        self.access_keys = SqlAccessKeys(conn, sealer)
        self.roles = SqlRoles(conn)
        self.users, self.groups = SqlUsers(conn), SqlGroups(conn)
        self.instance_profiles = SqlInstanceProfiles(conn)
        self.oidc_providers = SqlOidcProviders(conn)
        self.saml_providers = SqlSamlProviders(conn)
        self.service_role_deletions = SqlServiceRoleDeletions(conn)
        self.managed_policies = SqlManagedPolicies(conn)
        self.policy_generation = sql_generation.SqlPolicyGeneration(conn)
        self.session_keys, self.mfa_devices = SqlSessionKeys(conn, sealer), SqlMfaDevices(conn, sealer)
        self.role_usage = SqlRoleUsage(conn)
        self.account_views = SqlAccountViews(conn)


class SqlUnitOfWork(SqlTransaction):
    """A write transaction: the repositories, and the outbox whose records commit with the change."""

    def __init__(self, conn: Connection, sealer: Sealer) -> None:
        super().__init__(conn, sealer)
        self.outbox = SqlOutbox(conn)
