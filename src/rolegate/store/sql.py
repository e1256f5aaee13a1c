"""The SQL implementation of the store ports, on SQLAlchemy Core (no ORM), for SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from . import schema as t
from .engine import WRITE
from .ports import DuplicateKeyError, utc
from .records import AccessKeyRecord, AccountRecord, RoleRecord
from .sealing import Sealer


# Statements on the per-request path, built once: constructing a SQLAlchemy expression costs about four
# times what SQLite takes to run it (see bench/README.md, "Server").
_KEY_BY_ID = select(t.access_keys).where(t.access_keys.c.access_key_id == bindparam("key_id"))
_ROLE_BY_NAME = select(t.roles).where(t.roles.c.account_id == bindparam("account_id"),
                                      t.roles.c.name_lower == bindparam("name_lower"))
_TAGS_OF_ONE = (select(t.resource_tags.c.key, t.resource_tags.c.value)
                .where(t.resource_tags.c.resource_id == bindparam("resource_id"))
                .order_by(t.resource_tags.c.position))


class SqlStore:
    def __init__(self, engine: Engine, sealer: Sealer) -> None:
        self._engine = engine
        self._sealer = sealer
        self._generation = sql_generation.GenerationReader(engine)
        # SQLite has one writer at a time; a thread that finds the lock taken sleeps in SQLite's busy
        # handler with growing back-off (up to 100 ms a try), so under concurrent writes a few waited most
        # of a second. Queueing this process's writers on a lock first makes them take turns in order;
        # the busy handler is left for writers in other processes. Other databases lock rows, not files.
        self._write_turn = threading.RLock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()

    @contextmanager
    def read(self) -> Iterator[SqlTransaction]:
        with self._engine.connect() as conn, conn.begin():
            yield SqlTransaction(conn, self._sealer)

    @contextmanager
    def write(self) -> Iterator[SqlTransaction]:
        with self._write_turn, self._engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
            sql_generation.start(conn)
            yield SqlTransaction(conn, self._sealer)
            sql_generation.finish(conn)  # in this transaction: the change and its generation commit together

    @property
    def invalidation(self) -> sql_generation.GenerationReader:
        """The invalidation port (``store.invalidation``) over this store's database."""
        return self._generation

    def policy_generation(self) -> int:
        """The current policy generation, read as cheaply as the database allows (once per request)."""
        return self._generation.current()

    def reset(self) -> None:
        with self._write_turn, self._engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
            for table in reversed(t.metadata.sorted_tables):
                if table is not t.policy_generation:  # bumped, never restarted: a stale cache must not match
                    conn.execute(delete(table))
            sql_generation.bump(conn)

    def close(self) -> None:
        self._generation.close()
        self._engine.dispose()


class SqlTransaction:
    def __init__(self, conn: Connection, sealer: Sealer) -> None:
        self.accounts = SqlAccounts(conn)
        self.access_keys = sql_users.SqlManagedAccessKeys(conn, sealer)
        self.roles = SqlRoles(conn)
        self.users, self.groups = sql_users.SqlUsers(conn), sql_users.SqlGroups(conn)
        self.instance_profiles = sql_instance_profiles.SqlInstanceProfiles(conn)
        self.oidc_providers = sql_providers.SqlOidcProviders(conn)
        self.saml_providers = sql_providers.SqlSamlProviders(conn)
        self.service_role_deletions = sql_service_linked_roles.SqlServiceRoleDeletions(conn)
        self.managed_policies = sql_policies.SqlManagedPolicies(conn)
        self.policy_generation = sql_generation.SqlPolicyGeneration(conn)
        self.session_keys, self.mfa_devices = sql_sts.SqlSessionKeys(conn, sealer), sql_sts.SqlMfaDevices(conn, sealer)
        self.role_usage = sql_sts.SqlRoleUsage(conn)
        self.account_views = sql_account_views.SqlAccountViews(conn)


def _insert(conn: Connection, table: Any, **values: Any) -> None:
    # A savepoint keeps the surrounding transaction usable after a unique-key collision (PostgreSQL).
    try:
        with conn.begin_nested():
            conn.execute(insert(table).values(**values))
    except IntegrityError as exc:
        raise DuplicateKeyError(str(exc.orig)) from exc


class SqlAccounts:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def create(self, account: AccountRecord) -> None:
        _insert(self._c, t.accounts, account_id=account.account_id, name=account.name,
                created_at=account.created_at)

    def get(self, account_id: str) -> AccountRecord | None:
        row = self._c.execute(select(t.accounts).where(t.accounts.c.account_id == account_id)).first()
        return _account(row) if row else None

    def get_by_name(self, name: str) -> AccountRecord | None:
        row = self._c.execute(select(t.accounts).where(t.accounts.c.name == name)).first()
        return _account(row) if row else None

    def list(self) -> list[AccountRecord]:
        rows = self._c.execute(select(t.accounts).order_by(t.accounts.c.created_at, t.accounts.c.account_id))
        return [_account(r) for r in rows]


def _account(row: Any) -> AccountRecord:
    return AccountRecord(row.account_id, row.name, utc(row.created_at))


class SqlAccessKeys:
    def __init__(self, conn: Connection, sealer: Sealer) -> None:
        self._c = conn
        self._sealer = sealer

    def create(self, key: AccessKeyRecord) -> None:
        _insert(self._c, t.access_keys, access_key_id=key.access_key_id, account_id=key.account_id,
                user_id=key.user_id, status=key.status, created_at=key.created_at,
                secret_sealed=self._sealer.seal(key.secret_access_key, key.access_key_id))

    def get(self, access_key_id: str) -> AccessKeyRecord | None:
        row = self._c.execute(_KEY_BY_ID, {"key_id": access_key_id}).first()
        return self._key(row) if row else None

    def list_for_user(self, account_id: str, user_id: str | None) -> list[AccessKeyRecord]:
        c = t.access_keys.c
        cond = c.user_id.is_(None) if user_id is None else c.user_id == user_id
        rows = self._c.execute(select(t.access_keys).where(c.account_id == account_id, cond)
                               .order_by(c.created_at))
        return [self._key(r) for r in rows]

    def _key(self, row: Any) -> AccessKeyRecord:
        return AccessKeyRecord(
            access_key_id=row.access_key_id, account_id=row.account_id, user_id=row.user_id,
            secret_access_key=self._sealer.open(row.secret_sealed, row.access_key_id),
            status=row.status, created_at=utc(row.created_at))


class SqlRoles:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def create(self, role: RoleRecord) -> None:
        _insert(self._c, t.roles, **_role_values(role), role_id=role.role_id, account_id=role.account_id,
                name=role.name, name_lower=role.name.lower(), path=role.path, arn=role.arn,
                created_at=role.created_at)
        write_tags(self._c, role.role_id, role.tags)

    def get_by_name(self, account_id: str, name: str) -> RoleRecord | None:
        row = self._c.execute(_ROLE_BY_NAME, {"account_id": account_id, "name_lower": name.lower()}).first()
        return self._role(row) if row else None

    def list(self, account_id: str, path_prefix: str, after: str | None, limit: int) -> list[RoleRecord]:
        c = t.roles.c
        q = select(t.roles).where(c.account_id == account_id)
        if path_prefix != "/":
            q = q.where(c.path.startswith(path_prefix, autoescape=True))
        if after is not None:
            q = q.where(c.name_lower > after)
        rows = self._c.execute(q.order_by(c.name_lower).limit(limit)).all()
        tags = tags_for(self._c, [r.role_id for r in rows])
        return [self._role(r, tags.get(r.role_id, ())) for r in rows]

    def update(self, role: RoleRecord) -> None:
        self._c.execute(update(t.roles).where(t.roles.c.role_id == role.role_id).values(**_role_values(role)))
        write_tags(self._c, role.role_id, role.tags)

    def delete(self, role_id: str) -> None:
        write_tags(self._c, role_id, ())
        self._c.execute(delete(t.roles).where(t.roles.c.role_id == role_id))

    def count(self, account_id: str) -> int:
        return int(self._c.execute(select(func.count()).select_from(t.roles)
                                   .where(t.roles.c.account_id == account_id)).scalar_one())

    def put_inline_policy(self, role_id: str, name: str, document: str) -> None:
        p = t.role_inline_policies
        done = self._c.execute(update(p).where(p.c.role_id == role_id, p.c.name == name)
                               .values(document=document)).rowcount
        if not done:
            _insert(self._c, p, role_id=role_id, name=name, document=document)

    def get_inline_policy(self, role_id: str, name: str) -> str | None:
        p = t.role_inline_policies
        return self._c.execute(select(p.c.document).where(p.c.role_id == role_id, p.c.name == name)).scalar()

    def delete_inline_policy(self, role_id: str, name: str) -> bool:
        p = t.role_inline_policies
        return bool(self._c.execute(delete(p).where(p.c.role_id == role_id, p.c.name == name)).rowcount)

    def list_inline_policies(self, role_id: str) -> list[tuple[str, str]]:
        p = t.role_inline_policies
        rows = self._c.execute(select(p.c.name, p.c.document).where(p.c.role_id == role_id).order_by(p.c.name))
        return [(r.name, r.document) for r in rows]

    def count_attached_policies(self, role_id: str) -> int:
        p = t.role_attached_policies
        return int(self._c.execute(select(func.count()).select_from(p).where(p.c.role_id == role_id))
                   .scalar_one())

    def count_instance_profiles(self, role_id: str) -> int:
        p = t.instance_profile_roles
        return int(self._c.execute(select(func.count()).select_from(p).where(p.c.role_id == role_id))
                   .scalar_one())

    def _role(self, row: Any, tags: tuple[tuple[str, str], ...] | None = None) -> RoleRecord:
        if tags is None:
            tags = tags_for(self._c, [row.role_id]).get(row.role_id, ())
        return RoleRecord(
            account_id=row.account_id, role_id=row.role_id, name=row.name, path=row.path, arn=row.arn,
            trust_policy=row.trust_policy, created_at=utc(row.created_at),
            max_session_duration=row.max_session_duration, description=row.description,
            permissions_boundary_arn=row.permissions_boundary_arn,
            last_used_at=utc(row.last_used_at) if row.last_used_at else None,
            last_used_region=row.last_used_region, tags=tags)


def write_tags(conn: Connection, resource_id: str, tags: Sequence[tuple[str, str]]) -> None:
    """Replace the tags of ``resource_id`` (keeping their order); empty ``tags`` removes them all."""
    conn.execute(delete(t.resource_tags).where(t.resource_tags.c.resource_id == resource_id))
    if tags:
        conn.execute(insert(t.resource_tags), [
            {"resource_id": resource_id, "key": k, "key_lower": k.lower(), "value": v, "position": i}
            for i, (k, v) in enumerate(tags)])


def tags_for(conn: Connection, resource_ids: Sequence[str]) -> dict[str, tuple[tuple[str, str], ...]]:
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


def _role_values(role: RoleRecord) -> dict[str, Any]:
    return {
        "trust_policy": role.trust_policy,
        "description": role.description,
        "max_session_duration": role.max_session_duration,
        "permissions_boundary_arn": role.permissions_boundary_arn,
        "last_used_at": role.last_used_at,
        "last_used_region": role.last_used_region,
    }


# Repositories in their own modules import the helpers above: import those modules last, as modules,
# so either side may be imported first without a cycle.
from . import sql_instance_profiles, sql_providers, sql_service_linked_roles  # noqa: E402
from . import sql_users  # noqa: E402
from . import sql_policies  # noqa: E402
from . import sql_sts  # noqa: E402
from . import sql_account_views  # noqa: E402
from . import sql_generation  # noqa: E402
