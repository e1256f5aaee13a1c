"""The storage registered instances need, as protocols the SQL adapters implement (ADR 0014)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from rolegate.iam.ports import HasInstanceProfiles, HasRoles
from rolegate.store.ports import Store, UnitOfWork

from .entities import AssociationRecord, InstanceRecord

__all__ = ["HasInstances", "InstanceRepository", "InstanceStore", "InstanceTransaction", "InstanceUnitOfWork"]


class InstanceRepository(Protocol):
    def create(self, instance: InstanceRecord) -> None: ...

    def get(self, account_id: str, instance_id: str) -> InstanceRecord | None: ...

    def by_join_token(self, token_hash: str) -> InstanceRecord | None:
        """The instance whose join token hashes to ``token_hash``, redeemed or not."""
        ...

    def page(self, account_id: str, after: str | None, limit: int) -> list[InstanceRecord]:
        """Up to ``limit`` instances of the account, by id, after ``after`` (exclusive)."""
        ...

    def redeem_join_token(self, account_id: str, instance_id: str, now: dt.datetime) -> bool:
        """Mark the join token redeemed and the first credential (generation 1) issued, only if the token is not
        redeemed yet: a conditional update, so of two racing transactions exactly one sees True."""
        ...

    def rotate_credential(self, account_id: str, instance_id: str, expected_generation: int,
                          oldest_valid_generation: int) -> bool:
        """Move the newest generation from ``expected_generation`` to the next and revoke what is older than
        ``oldest_valid_generation``, only if the newest is still ``expected_generation`` (False otherwise)."""
        ...

    def delete(self, account_id: str, instance_id: str) -> None:
        """The instance and its association."""
        ...

    def associate(self, association: AssociationRecord) -> None:
        """Raises ``DuplicateKeyError`` when the instance has an association already."""
        ...

    def association(self, account_id: str, association_id: str) -> AssociationRecord | None: ...

    def association_for(self, account_id: str, instance_id: str) -> AssociationRecord | None: ...

    def associations(self, account_id: str, *, association_ids: Sequence[str], instance_ids: Sequence[str],
                     after: str | None, limit: int) -> list[AssociationRecord]:
        """Up to ``limit`` associations by id after ``after``; an empty filter does not filter."""
        ...

    def replace_association(self, account_id: str, old_association_id: str, new: AssociationRecord) -> bool:
        """Swap the association for ``new`` (same instance); False when ``old_association_id`` is gone."""
        ...

    def disassociate(self, account_id: str, association_id: str) -> bool: ...


class HasInstances(Protocol):
    @property
    def instances(self) -> InstanceRepository: ...


class InstanceTransaction(HasInstances, HasInstanceProfiles, HasRoles, Protocol):
    """Instances, and the profiles (with their roles) they are associated with."""


class InstanceUnitOfWork(InstanceTransaction, UnitOfWork, Protocol):
    pass


InstanceStore = Store[InstanceTransaction, InstanceUnitOfWork]
