"""The SQL repositories of STS state: the session key ring and virtual MFA devices (secrets sealed), roles'
last use, and the SAML assertions already redeemed."""

from __future__ import annotations

import base64
import datetime as dt
import functools
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection, TextClause, bindparam, delete, or_, select, text, update

from rolegate.store import schema as t
from rolegate.store.sealing import Sealer
from rolegate.sts.entities import MfaDeviceRecord, SessionKeyRecord

from .rows import Tags, add_tags, insert_row, tags_for, utc, utc_or_none, write_tags

_K = t.session_keys
_M = t.mfa_devices


class SqlSessionKeys:
    def __init__(self, conn: Connection, sealer: Sealer) -> None:
        self._c = conn
        self._sealer = sealer

    def create(self, key: SessionKeyRecord) -> None:
        # Sealed with the key id as context, so a sealed row cannot be moved to another id.
        sealed = self._sealer.seal(base64.b64encode(key.material).decode("ascii"), "session-key:" + key.key_id)
        insert_row(self._c, _K, key_id=key.key_id, material_sealed=sealed, created_at=key.created_at,
                superseded_at=key.superseded_at)

    def list_all(self) -> list[SessionKeyRecord]:
        rows = self._c.execute(select(_K).order_by(_K.c.created_at, _K.c.key_id))
        return [SessionKeyRecord(
            key_id=r.key_id,
            material=base64.b64decode(self._sealer.open(r.material_sealed, "session-key:" + r.key_id)),
            created_at=utc(r.created_at), superseded_at=utc_or_none(r.superseded_at))
            for r in rows]

    def supersede(self, key_id: str, when: dt.datetime) -> None:
        self._c.execute(update(_K).where(_K.c.key_id == key_id, _K.c.superseded_at.is_(None))
                        .values(superseded_at=when))

    def delete(self, key_id: str) -> None:
        self._c.execute(delete(_K).where(_K.c.key_id == key_id))


# RoleLastUsed, written for every AssumeRole (in batches): built once, as the read path's statements are.
# Never move the time backwards: another node may have recorded a later use meanwhile. The bound names differ
# from the columns' so that the invalidation hook sees this as a last-used update (sql_generation).
_RECORD_ROLE_USE = (update(t.roles)
                    .where(t.roles.c.role_id == bindparam("b_role_id"),
                           or_(t.roles.c.last_used_at.is_(None), t.roles.c.last_used_at < bindparam("b_when")))
                    .values(last_used_at=bindparam("b_when"), last_used_region=bindparam("b_region")))


class SqlRoleUsage:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def record(self, role_id: str, when: dt.datetime, region: str) -> None:
        self._c.execute(_RECORD_ROLE_USE, {"b_role_id": role_id, "b_when": when, "b_region": region})


# The replay record's statements, built once (the redemption path runs them for every batch of assertions).
_A = t.saml_assertions.c
_DELETE_EXPIRED = delete(t.saml_assertions).where(_A.expires_at <= bindparam("b_now"))
#: How often a redemption batch also deletes the expired records: the claim itself never needs them gone
#: (an expired record is taken over in place), so deleting them is housekeeping, not once per batch.
SWEEP_INTERVAL = dt.timedelta(minutes=1)


@functools.cache
def _claim_statement(rows: int) -> TextClause:
    """One statement claims a batch: insert each key, or take over its record when that has expired; RETURNING
    names the keys claimed. A live record is left alone and its key not returned. No read before the write
    and no lock needed for it: the primary key decides, on every node, in the statement itself. Written out
    (SQLite and PostgreSQL read it alike) because SQLAlchemy does not cache a compiled upsert: built from
    Core, it would be compiled again for every batch."""
    values = ", ".join(f"(:k{i}, :e{i})" for i in range(rows))
    return text(f"INSERT INTO {t.saml_assertions.name} (assertion_key, expires_at) VALUES {values} "
                "ON CONFLICT (assertion_key) DO UPDATE SET expires_at = excluded.expires_at "
                f"WHERE {t.saml_assertions.name}.expires_at <= :b_now RETURNING assertion_key").bindparams(
        *(bindparam(f"e{i}", type_=_A.expires_at.type) for i in range(rows)),
        bindparam("b_now", type_=_A.expires_at.type))


class SqlSamlAssertions:
    """The redeemed-assertion log, written in a lean transaction of its own per batch of claims: one write
    connection, one prebuilt statement, one commit — no unit of work, no savepoint, no invalidation
    bookkeeping (the table is no invalidation scope: ADR 0028). ``open_write`` yields a connection inside a
    write transaction and commits it on a clean exit; ``claim_many`` returns only after that commit, so every
    claim it answers is durable. Expired records are deleted at most once per ``SWEEP_INTERVAL`` of the
    redemptions' clock."""

    def __init__(self, open_write: Callable[[], AbstractContextManager[Connection]]) -> None:
        self._open_write = open_write
        self._swept_at: dt.datetime | None = None

    def claim_many(self, claims: Sequence[tuple[str, dt.datetime]], now: dt.datetime) -> list[bool]:
        sweep = self._swept_at is None or not (self._swept_at <= now < self._swept_at + SWEEP_INTERVAL)
        with self._open_write() as conn:
            if sweep:
                conn.execute(_DELETE_EXPIRED, {"b_now": now})
            answers = _claim(conn, claims, now)
        if sweep:
            self._swept_at = now
        return answers


def _claim(conn: Connection, claims: Sequence[tuple[str, dt.datetime]], now: dt.datetime) -> list[bool]:
    batch: dict[str, dt.datetime] = {}
    for key, expires_at in claims:
        batch.setdefault(key, expires_at)  # a key twice in one batch: its first redemption wins
    params: dict[str, Any] = {"b_now": now}
    for i, (key, expires_at) in enumerate(batch.items()):
        params[f"k{i}"], params[f"e{i}"] = key, expires_at
    claimed = set(conn.execute(_claim_statement(len(batch)), params).scalars())
    out: list[bool] = []
    for key, _ in claims:
        out.append(key in claimed)
        claimed.discard(key)
    return out


class SqlMfaDevices:
    def __init__(self, conn: Connection, sealer: Sealer) -> None:
        self._c = conn
        self._sealer = sealer

    def create(self, device: MfaDeviceRecord) -> None:
        insert_row(self._c, _M, serial_number=device.serial_number, account_id=device.account_id,
                name=device.name, path=device.path, seed_sealed=self._sealer.seal(device.seed, device.serial_number),
                user_id=device.user_id, enabled_at=device.enabled_at, last_used_step=device.last_used_step,
                clock_offset_steps=device.clock_offset_steps, created_at=device.created_at)
        add_tags(self._c, device.serial_number, device.tags)

    def get(self, serial_number: str) -> MfaDeviceRecord | None:
        row = self._c.execute(select(_M).where(_M.c.serial_number == serial_number)).first()
        return self._device(row) if row else None

    def list_for_account(self, account_id: str) -> list[MfaDeviceRecord]:
        rows = self._c.execute(select(_M).where(_M.c.account_id == account_id).order_by(_M.c.serial_number)).all()
        tags = tags_for(self._c, [r.serial_number for r in rows])
        return [self._device(r, tags.get(r.serial_number, ())) for r in rows]

    def list_for_user(self, user_id: str) -> list[MfaDeviceRecord]:
        rows = self._c.execute(select(_M).where(_M.c.user_id == user_id).order_by(_M.c.enabled_at)).all()
        return [self._device(r) for r in rows]

    def update(self, device: MfaDeviceRecord) -> None:
        self._c.execute(update(_M).where(_M.c.serial_number == device.serial_number).values(
            user_id=device.user_id, enabled_at=device.enabled_at, last_used_step=device.last_used_step,
            clock_offset_steps=device.clock_offset_steps))
        write_tags(self._c, device.serial_number, device.tags)

    def delete(self, serial_number: str) -> None:
        write_tags(self._c, serial_number, ())
        self._c.execute(delete(_M).where(_M.c.serial_number == serial_number))

    def _device(self, r: Any, tags: Tags | None = None) -> MfaDeviceRecord:
        if tags is None:
            tags = tags_for(self._c, [r.serial_number]).get(r.serial_number, ())
        return MfaDeviceRecord(
            serial_number=r.serial_number, account_id=r.account_id, name=r.name, path=r.path,
            seed=self._sealer.open(r.seed_sealed, r.serial_number), created_at=utc(r.created_at),
            user_id=r.user_id, enabled_at=utc_or_none(r.enabled_at),
            last_used_step=r.last_used_step, clock_offset_steps=r.clock_offset_steps, tags=tags)
