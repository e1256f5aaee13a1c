"""The storage Roles Anywhere needs, as protocols the SQL adapters implement (ADR 0014)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from rolegate.store.ports import Store, UnitOfWork

from .entities import TrustAnchorRecord

__all__ = ["AnywhereStore", "AnywhereTransaction", "AnywhereUnitOfWork", "ResourceDocuments", "StoredDocument",
           "TrustAnchorRepository"]


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """A profile, CRL or subject as stored: its keys and times beside its JSON-shaped document."""

    kind: str
    account_id: str
    resource_id: str
    name: str
    parent_id: str | None  # a CRL's trust anchor id
    created_at: dt.datetime
    updated_at: dt.datetime
    document: dict[str, Any]


class TrustAnchorRepository(Protocol):
    def create(self, anchor: TrustAnchorRecord) -> None: ...

    def get(self, account_id: str, trust_anchor_id: str) -> TrustAnchorRecord | None: ...

    def page(self, account_id: str, after: str | None, limit: int) -> list[TrustAnchorRecord]:
        """Up to ``limit`` anchors of the account, by id, after ``after`` (exclusive)."""
        ...

    def update(self, anchor: TrustAnchorRecord) -> None: ...

    def delete(self, account_id: str, trust_anchor_id: str) -> None: ...


class ResourceDocuments(Protocol):
    """Profiles, CRLs and subjects, by kind; ``create`` raises ``DuplicateKeyError`` for a second resource of
    one kind with the same parent (one CRL per trust anchor)."""

    def create(self, doc: StoredDocument) -> None: ...

    def get(self, kind: str, account_id: str, resource_id: str) -> StoredDocument | None: ...

    def page(self, kind: str, account_id: str, after: str | None, limit: int) -> list[StoredDocument]: ...

    def by_parent(self, kind: str, account_id: str, parent_id: str) -> list[StoredDocument]: ...

    def by_name(self, kind: str, account_id: str, name: str) -> StoredDocument | None: ...

    def update(self, doc: StoredDocument) -> None: ...

    def delete(self, kind: str, account_id: str, resource_id: str) -> None: ...


class AnywhereTransaction(Protocol):
    @property
    def trust_anchors(self) -> TrustAnchorRepository: ...

    @property
    def anywhere_documents(self) -> ResourceDocuments: ...


class AnywhereUnitOfWork(AnywhereTransaction, UnitOfWork, Protocol):
    pass


AnywhereStore = Store[AnywhereTransaction, AnywhereUnitOfWork]
