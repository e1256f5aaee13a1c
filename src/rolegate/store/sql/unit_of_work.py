"""``SqlStore``: the store on SQLAlchemy Core (no ORM), for SQLite and PostgreSQL, and the transactions and
units of work it hands out — one object that carries every domain's repositories, so it satisfies each
domain's transaction protocol (``iam.ports``, ``sts.ports``) structurally."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, delete
from sqlalchemy.engine import Connection

from rolegate.store import schema as t
from rolegate.store import sql_generation
from rolegate.store.engine import WRITE
from rolegate.store.sealing import Sealer

from .account_views import SqlAccountViews
from .accounts import SqlAccessKeys, SqlAccounts
from .credentials import (
    SqlAccessReportJobs,
    SqlServerCertificates,
    SqlServiceAccess,
    SqlServiceSpecificCredentials,
    SqlSigningCertificates,
    SqlSshPublicKeys,
)
from .group_commit import GroupCommitter
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
        # SQLite has one writer at a time and waits for the disk at every commit: this process's writers
        # take turns in arrival order and share commits (``group_commit``) instead of sleeping in SQLite's
        # busy handler and flushing one by one; the busy handler is left for writers in other processes.
        # Other databases lock rows, not files, and group their own commits: one transaction per write.
        self._groups = GroupCommitter(self._begin_write, before_commit=sql_generation.finish) \
            if engine.dialect.name == "sqlite" else None

    @contextmanager
    def read(self) -> Iterator[SqlTransaction]:
        with self._engine.connect() as conn, conn.begin():
            yield SqlTransaction(conn, self._sealer)

    @contextmanager
    def write(self) -> Iterator[SqlUnitOfWork]:
        if self._groups is not None:
            with self._groups.write() as conn:
                yield SqlUnitOfWork(conn, self._sealer)
            return
        conn = self._begin_write()
        try:
            yield SqlUnitOfWork(conn, self._sealer)
            sql_generation.finish(conn)  # in this transaction: the change and its generation commit together
            conn.commit()
        finally:
            conn.close()  # without a commit, closing rolls the transaction back

    def _begin_write(self) -> Connection:
        """A connection inside a new write transaction (``BEGIN IMMEDIATE`` on SQLite), watched for changes
        that must move the policy generation."""
        conn = self._engine.connect().execution_options(**{WRITE: True})
        try:
            conn.begin()
        except BaseException:
            conn.close()
            raise
        sql_generation.start(conn)
        return conn

    @property
    def invalidation(self) -> sql_generation.GenerationReader:
        """The invalidation port (``store.invalidation``) over this store's database."""
        return self._generation

    def reset(self) -> None:
        """Remove every row (``--dev`` mode's ``/_rolegate/reset``)."""
        with self.write() as uow:
            conn = uow.connection
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
        self.session_keys, self.mfa_devices = SqlSessionKeys(conn, sealer), SqlMfaDevices(conn, sealer)
        self.role_usage = SqlRoleUsage(conn)
        self.account_views = SqlAccountViews(conn)
        self.ssh_public_keys, self.signing_certificates = SqlSshPublicKeys(conn), SqlSigningCertificates(conn)
        self.service_credentials = SqlServiceSpecificCredentials(conn, sealer)
        self.server_certificates = SqlServerCertificates(conn, sealer)
        self.service_access, self.access_reports = SqlServiceAccess(conn), SqlAccessReportJobs(conn)


class SqlUnitOfWork(SqlTransaction):
    """A write transaction: the repositories, and the outbox whose records commit with the change."""

    def __init__(self, conn: Connection, sealer: Sealer) -> None:
        super().__init__(conn, sealer)
        self.outbox = SqlOutbox(conn)
        self.connection = conn  # for the store's own maintenance (reset), never for domain code
