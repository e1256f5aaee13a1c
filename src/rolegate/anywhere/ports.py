"""The storage Roles Anywhere needs, as protocols the SQL adapters implement (ADR 0014)."""

from __future__ import annotations

from typing import Protocol

from rolegate.store.ports import Store, UnitOfWork

from .entities import TrustAnchorRecord

__all__ = ["AnywhereStore", "AnywhereTransaction", "AnywhereUnitOfWork", "TrustAnchorRepository"]


class TrustAnchorRepository(Protocol):
    def create(self, anchor: TrustAnchorRecord) -> None: ...

    def get(self, account_id: str, trust_anchor_id: str) -> TrustAnchorRecord | None: ...

    def page(self, account_id: str, after: str | None, limit: int) -> list[TrustAnchorRecord]:
        """Up to ``limit`` anchors of the account, by id, after ``after`` (exclusive)."""
        ...

    def update(self, anchor: TrustAnchorRecord) -> None: ...

    def delete(self, account_id: str, trust_anchor_id: str) -> None: ...


class AnywhereTransaction(Protocol):
    @property
    def trust_anchors(self) -> TrustAnchorRepository: ...


class AnywhereUnitOfWork(AnywhereTransaction, UnitOfWork, Protocol):
    pass


AnywhereStore = Store[AnywhereTransaction, AnywhereUnitOfWork]
