"""``SqlStore``: the store on SQLAlchemy Core (no ORM), for SQLite and PostgreSQL, and the transactions and
units of work it hands out — one object that carries every domain's repositories, so it satisfies each
domain's transaction protocol (``iam.ports``, ``sts.ports``) structurally.

A failure of the machine rather than of the request — a full disk, a lock held past the busy timeout —
leaves the store as ``StoreUnavailable`` (AWS's retryable ``ServiceUnavailable``, 503), its reason for the
operator's log; ``write_blocked`` tells readiness checks while writes cannot succeed. Each transaction's
duration, and each commit's, is recorded (``rolegate.core.telemetry``, the store latency metric).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import Engine, delete
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from rolegate.core import telemetry
from rolegate.core.errors import StoreConflict, StoreUnavailable
from rolegate.store import schema as t
from rolegate.store import sql_generation
from rolegate.store.engine import BUSY_TIMEOUT_MS, DISK_FULL, STORE_BUSY, STORE_CONFLICT, WRITE, WRITE_ISOLATION, \
    free_bytes, resource_failure
from rolegate.store.ports import CarriedEvents, carried_events, note_commit
from rolegate.store.sealing import Sealer

from .audit_events import SqlAuditEvents, SqlAuditLog, refused_as_unavailable
from .account_settings import SqlAccountSettings, SqlLoginProfiles
from .account_views import SqlAccountViews
from .anywhere import SqlAnywhereDocuments, SqlTrustAnchors
from .instances import SqlInstances
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
from .write_lock import WriteLock, WriteLockTimeout, WriterBusy
from .instance_profiles import SqlInstanceProfiles
from .outbox import SqlOutbox
from .policies import SqlManagedPolicies
from .providers import SqlOidcProviders, SqlSamlProviders
from .roles import SqlRoles
from .service_linked_roles import SqlServiceRoleDeletions
from .sts import SqlMfaDevices, SqlRoleUsage, SqlSamlAssertions, SqlSessionKeys
from .users import SqlGroups, SqlUsers


# Below this much room next to the database a write may fail part-way: SQLite writes whole pages to the WAL
# and the checkpoint, so readiness goes false before the disk is quite full.
MIN_FREE_BYTES = 1 << 20


#: How long a PostgreSQL-backed node reports itself unready after a write failed for a full database disk.
SERVER_DISK_FULL_HOLD_SECONDS = 10.0


class SqlStore:
    def __init__(self, engine: Engine, sealer: Sealer) -> None:
        self._engine = engine
        self._sealer = sealer
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        self._database_dir = Path(database).resolve().parent if database and database != ":memory:" else None
        self._health = threading.Lock()
        self._disk_full_at: int | None = None  # free bytes when a write last failed for a full disk
        # A server-side store's disk cannot be looked at from here: when did a write last fail for it being full.
        self._server_disk_full_since: float | None = None
        self._generation = sql_generation.GenerationReader(engine)
        # SQLite has one writer at a time and waits for the disk at every commit: this process's writers
        # take turns in arrival order and share commits (``group_commit``) instead of sleeping in SQLite's
        # busy handler and flushing one by one; the busy handler is left for writers in other processes.
        # Other databases lock rows, not files, and group their own commits: one transaction per write.
        # Before SQLite's lock, rolegate's writers queue on their own, which hands it over without sleeping.
        self._write_lock = WriteLock(
            Path(f"{Path(database).resolve()}-writelock") if database and database != ":memory:" else None,
            engine.get_execution_options().get(BUSY_TIMEOUT_MS, 10_000) / 1000) \
            if engine.dialect.name == "sqlite" else None
        self._groups = GroupCommitter(self._begin_locked_write, before_commit=sql_generation.finish,
                                      close_group=self._close_locked_write) \
            if engine.dialect.name == "sqlite" else None
        #: Redeemed SAML assertions: a store-level log with lean transactions of its own (``sts.ports``).
        self.saml_assertions = SqlSamlAssertions(self._lean_write)
        #: Audit records written alone (a credential issuance's): lean batches too (``audit.ports``); a SQLite
        #: commit is a local file's sync, which an event loop may run itself (docs/adr/0046).
        self.audit_log = SqlAuditLog(self._lean_write, local=engine.dialect.name == "sqlite")

    @contextmanager
    def read(self) -> Iterator[SqlTransaction]:
        started = time.perf_counter()
        try:
            with self._unavailable_as_aws(), self._engine.connect() as conn, conn.begin():
                yield SqlTransaction(conn, self._sealer)
        finally:
            telemetry.store_seconds(telemetry.READ, time.perf_counter() - started)

    @contextmanager
    def write(self) -> Iterator[SqlUnitOfWork]:
        started = time.perf_counter()
        try:
            with self._write() as uow:
                yield uow
        finally:
            telemetry.store_seconds(telemetry.WRITE, time.perf_counter() - started)

    @contextmanager
    def _write(self) -> Iterator[SqlUnitOfWork]:
        with self._unavailable_as_aws():
            # The request's audit events ride in its outermost write's transaction (docs/adr/0041): inserted after
            # the unit of work's own statements, they commit with the change or roll back with it.
            outermost = not _writing.get()
            carried = carried_events() if outermost else None
            token = _writing.set(True)
            try:
                if self._groups is not None:
                    with self._groups.write() as conn:
                        uow = SqlUnitOfWork(conn, self._sealer)
                        yield uow
                        if carried is not None:
                            _insert_carried(uow, carried)
                    note_commit()
                else:
                    conn = self._begin_write()
                    try:
                        uow = SqlUnitOfWork(conn, self._sealer)
                        yield uow
                        if carried is not None:
                            _insert_carried(uow, carried)
                        # In this transaction: the change and its generation commit together.
                        sql_generation.finish(conn)
                        committing = time.perf_counter()
                        conn.commit()
                        telemetry.store_seconds(telemetry.COMMIT, time.perf_counter() - committing)
                        note_commit()
                    finally:
                        conn.close()  # without a commit, closing rolls the transaction back
            finally:
                _writing.reset(token)
            if carried is not None:
                carried.committed = True
        self._writable_again()

    @contextmanager
    def _lean_write(self, *, wait: bool = True) -> Iterator[Connection]:
        """A write transaction outside the unit-of-work machinery, for tables no cache is derived from (no
        invalidation bump): its own connection, committed on a clean exit, rolled back otherwise. On SQLite it
        queues on the database lock beside the group committer's transactions (busy timeout), as writers of
        other processes do — or, not to ``wait``, raises ``WriterBusy`` before anything when another writer holds
        it. Durable when the block has returned."""
        started = time.perf_counter()
        try:
            with self._unavailable_as_aws():
                if not wait:
                    if self._write_lock is not None and not self._write_lock.try_acquire():
                        raise WriterBusy()
                else:
                    self._lock_writes()
                try:
                    conn = self._engine.connect().execution_options(**{WRITE: True})
                    try:
                        if conn.dialect.name == "postgresql":  # docs/adr/0035, as ``_begin_write``
                            conn = conn.execution_options(isolation_level=WRITE_ISOLATION)
                        conn.begin()
                        yield conn
                        committing = time.perf_counter()
                        conn.commit()
                        telemetry.store_seconds(telemetry.COMMIT, time.perf_counter() - committing)
                    finally:
                        conn.close()  # without a commit, closing rolls the transaction back
                finally:
                    self._unlock_writes()
                note_commit()
            self._writable_again()
        finally:
            telemetry.store_seconds(telemetry.WRITE, time.perf_counter() - started)

    def _writable_again(self) -> None:
        if self._disk_full_at is not None or self._server_disk_full_since is not None:
            with self._health:
                self._disk_full_at = None  # a write went through: the disk has room again
                self._server_disk_full_since = None

    def _lock_writes(self) -> None:
        if self._write_lock is not None:
            self._write_lock.acquire()

    def _unlock_writes(self) -> None:
        if self._write_lock is not None:
            self._write_lock.release()

    def _begin_locked_write(self) -> Connection:
        """``_begin_write`` in the writers' queue: the group committer's groups hold it until closed."""
        self._lock_writes()
        try:
            return self._begin_write()
        except BaseException:
            self._unlock_writes()
            raise

    def _close_locked_write(self, conn: Connection) -> None:
        try:
            conn.close()
        finally:
            self._unlock_writes()

    @contextmanager
    def _unavailable_as_aws(self) -> Iterator[None]:
        try:
            yield
        except WriteLockTimeout as exc:  # another rolegate writer held the database past the busy timeout
            raise StoreUnavailable(STORE_BUSY) from exc
        except (DBAPIError, OSError, PoolTimeout) as exc:
            reason = resource_failure(exc)
            if reason is None:
                raise
            if reason == DISK_FULL:
                with self._health:
                    if self._database_dir is not None:
                        self._disk_full_at = self._free_bytes()
                    else:
                        self._server_disk_full_since = time.monotonic()
            if reason == STORE_CONFLICT:
                raise StoreConflict(reason) from exc
            raise StoreUnavailable(reason) from exc

    def write_blocked(self) -> str | None:
        """Why a write cannot succeed now (the disk is full), or None: what ``/readyz`` asks.

        Without a failed write it is the free space beside the database; after a write failed for a full
        disk, writes stay blocked until a write succeeds or space has been freed since. A server-side store
        (PostgreSQL) keeps its disk out of sight: after a write failed for a full disk, writes count as blocked
        for ``SERVER_DISK_FULL_HOLD_SECONDS``, then the node is offered traffic again, so that a balancer drains
        it while the disk is full and the first write after the hold tells whether space has returned."""
        if self._database_dir is None:
            with self._health:
                since = self._server_disk_full_since
            if since is not None and time.monotonic() - since < SERVER_DISK_FULL_HOLD_SECONDS:
                return DISK_FULL
            return None
        free = self._free_bytes()
        if free < MIN_FREE_BYTES:
            return DISK_FULL
        with self._health:
            failed_at = self._disk_full_at
        if failed_at is not None and free <= failed_at:
            return DISK_FULL
        return None

    def _free_bytes(self) -> int:
        assert self._database_dir is not None
        try:
            return free_bytes(self._database_dir)
        except OSError:
            return 0

    def _begin_write(self) -> Connection:
        """A connection inside a new write transaction (``BEGIN IMMEDIATE`` on SQLite), watched for changes
        that must move the policy generation."""
        conn = self._engine.connect().execution_options(**{WRITE: True})
        if conn.dialect.name == "postgresql":  # docs/adr/0035: each statement sees every earlier commit
            conn = conn.execution_options(isolation_level=WRITE_ISOLATION)
        try:
            conn.begin()
        except BaseException:
            conn.close()
            raise
        sql_generation.start(conn)
        return conn

    @property
    def engine(self) -> Engine:
        """The engine, for the composition root's locks beside the store (``store.engine.ConsumerLock``)."""
        return self._engine

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
        if self._write_lock is not None:
            self._write_lock.close()


# Whether this thread (context) is inside a write already: a nested write joins the outer one, which carries the
# request's audit events.
_writing: ContextVar[bool] = ContextVar("rolegate_store_writing", default=False)


def _insert_carried(uow: SqlUnitOfWork, carried: CarriedEvents) -> None:
    with refused_as_unavailable():
        uow.audit_events.add(carried.events)


class SqlTransaction:
    """Every repository, over one connection inside one transaction."""

    def __init__(self, conn: Connection, sealer: Sealer) -> None:
        self.accounts = SqlAccounts(conn)
        self.access_keys = SqlAccessKeys(conn, sealer)
        self.roles = SqlRoles(conn)
        self.users, self.groups = SqlUsers(conn), SqlGroups(conn)
        self.instance_profiles = SqlInstanceProfiles(conn)
        self.oidc_providers = SqlOidcProviders(conn)
        self.saml_providers = SqlSamlProviders(conn, sealer)
        self.service_role_deletions = SqlServiceRoleDeletions(conn)
        self.managed_policies = SqlManagedPolicies(conn)
        self.session_keys, self.mfa_devices = SqlSessionKeys(conn, sealer), SqlMfaDevices(conn, sealer)
        self.role_usage = SqlRoleUsage(conn)
        self.account_views = SqlAccountViews(conn)
        self.login_profiles, self.account_settings = SqlLoginProfiles(conn), SqlAccountSettings(conn)
        self.ssh_public_keys, self.signing_certificates = SqlSshPublicKeys(conn), SqlSigningCertificates(conn)
        self.service_credentials = SqlServiceSpecificCredentials(conn, sealer)
        self.server_certificates = SqlServerCertificates(conn, sealer)
        self.service_access, self.access_reports = SqlServiceAccess(conn), SqlAccessReportJobs(conn)
        self.trust_anchors, self.anywhere_documents = SqlTrustAnchors(conn), SqlAnywhereDocuments(conn)
        self.instances = SqlInstances(conn)
        self.audit_events = SqlAuditEvents(conn)


class SqlUnitOfWork(SqlTransaction):
    """A write transaction: the repositories, and the outbox whose records commit with the change."""

    def __init__(self, conn: Connection, sealer: Sealer) -> None:
        super().__init__(conn, sealer)
        self.outbox = SqlOutbox(conn)
        self.connection = conn  # for the store's own maintenance (reset), never for domain code
