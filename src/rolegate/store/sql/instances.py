"""The SQL repository of registered instances (``instances``) and their instance profile associations
(``instance_profile_associations``)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, select, update

from rolegate.metadata.entities import AssociationRecord, InstanceRecord
from rolegate.metadata.join_tokens import JoinTokenState
from rolegate.store import schema as t

from .rows import insert_row, utc, utc_or_none

_I = t.instances.c
_A = t.instance_profile_associations.c


class SqlInstances:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    # --- instances -----------------------------------------------------------------------------------------

    def create(self, instance: InstanceRecord) -> None:
        token = instance.join_token
        insert_row(self._c, t.instances, instance_id=instance.instance_id, account_id=instance.account_id,
                   partition=instance.partition, region=instance.region, created_at=instance.created_at,
                   join_token_hash=token.token_hash, join_token_expires_at=token.expires_at,
                   join_token_redeemed=token.redeemed, joined_at=instance.joined_at,
                   credential_generation=instance.credential_generation,
                   oldest_valid_generation=instance.oldest_valid_generation,
                   tags=json.dumps([list(tag) for tag in instance.tags]))

    def get(self, account_id: str, instance_id: str) -> InstanceRecord | None:
        row = self._c.execute(select(t.instances).where(_I.account_id == account_id,
                                                        _I.instance_id == instance_id)).first()
        return _instance(row) if row is not None else None

    def by_join_token(self, token_hash: str) -> InstanceRecord | None:
        row = self._c.execute(select(t.instances).where(_I.join_token_hash == token_hash)).first()
        return _instance(row) if row is not None else None

    def page(self, account_id: str, after: str | None, limit: int) -> list[InstanceRecord]:
        q = select(t.instances).where(_I.account_id == account_id)
        if after is not None:
            q = q.where(_I.instance_id > after)
        return [_instance(r) for r in self._c.execute(q.order_by(_I.instance_id).limit(limit))]

    def redeem_join_token(self, account_id: str, instance_id: str, now: dt.datetime) -> bool:
        # Conditional on the token being unredeemed: the row lock (PostgreSQL) or the write lock (SQLite) makes
        # the second of two racing updates match no row.
        done = self._c.execute(update(t.instances).where(
            _I.account_id == account_id, _I.instance_id == instance_id, _I.join_token_redeemed.is_(False),
        ).values(join_token_redeemed=True, joined_at=now, credential_generation=1, oldest_valid_generation=1))
        return bool(done.rowcount == 1)

    def rotate_credential(self, account_id: str, instance_id: str, expected_generation: int,
                          oldest_valid_generation: int) -> bool:
        done = self._c.execute(update(t.instances).where(
            _I.account_id == account_id, _I.instance_id == instance_id,
            _I.credential_generation == expected_generation,
        ).values(credential_generation=expected_generation + 1, oldest_valid_generation=oldest_valid_generation))
        return bool(done.rowcount == 1)

    def delete(self, account_id: str, instance_id: str) -> None:
        self._c.execute(delete(t.instance_profile_associations).where(_A.account_id == account_id,
                                                                     _A.instance_id == instance_id))
        self._c.execute(delete(t.instances).where(_I.account_id == account_id, _I.instance_id == instance_id))

    # --- associations --------------------------------------------------------------------------------------

    def associate(self, association: AssociationRecord) -> None:
        insert_row(self._c, t.instance_profile_associations, **_association_values(association))

    def association(self, account_id: str, association_id: str) -> AssociationRecord | None:
        row = self._c.execute(select(t.instance_profile_associations).where(
            _A.account_id == account_id, _A.association_id == association_id)).first()
        return _association(row) if row is not None else None

    def association_for(self, account_id: str, instance_id: str) -> AssociationRecord | None:
        row = self._c.execute(select(t.instance_profile_associations).where(
            _A.account_id == account_id, _A.instance_id == instance_id)).first()
        return _association(row) if row is not None else None

    def associations(self, account_id: str, *, association_ids: Sequence[str], instance_ids: Sequence[str],
                     after: str | None, limit: int) -> list[AssociationRecord]:
        q = select(t.instance_profile_associations).where(_A.account_id == account_id)
        if association_ids:
            q = q.where(_A.association_id.in_(list(association_ids)))
        if instance_ids:
            q = q.where(_A.instance_id.in_(list(instance_ids)))
        if after is not None:
            q = q.where(_A.association_id > after)
        return [_association(r) for r in self._c.execute(q.order_by(_A.association_id).limit(limit))]

    def replace_association(self, account_id: str, old_association_id: str, new: AssociationRecord) -> bool:
        gone = self._c.execute(delete(t.instance_profile_associations).where(
            _A.account_id == account_id, _A.association_id == old_association_id,
            _A.instance_id == new.instance_id))
        if gone.rowcount != 1:
            return False
        insert_row(self._c, t.instance_profile_associations, **_association_values(new))
        return True

    def disassociate(self, account_id: str, association_id: str) -> bool:
        gone = self._c.execute(delete(t.instance_profile_associations).where(
            _A.account_id == account_id, _A.association_id == association_id))
        return bool(gone.rowcount == 1)


def _instance(row: Any) -> InstanceRecord:
    return InstanceRecord(
        account_id=row.account_id, instance_id=row.instance_id, partition=row.partition, region=row.region,
        created_at=utc(row.created_at),
        join_token=JoinTokenState(row.join_token_hash, utc(row.join_token_expires_at), bool(row.join_token_redeemed)),
        tags=tuple((str(k), str(v)) for k, v in json.loads(row.tags)),
        credential_generation=int(row.credential_generation),
        oldest_valid_generation=int(row.oldest_valid_generation), joined_at=utc_or_none(row.joined_at))


def _association_values(a: AssociationRecord) -> dict[str, Any]:
    return {"association_id": a.association_id, "account_id": a.account_id, "instance_id": a.instance_id,
            "profile_arn": a.profile_arn, "profile_id": a.profile_id, "created_at": a.created_at}


def _association(row: Any) -> AssociationRecord:
    return AssociationRecord(row.association_id, row.account_id, row.instance_id, row.profile_arn, row.profile_id,
                             utc(row.created_at))
