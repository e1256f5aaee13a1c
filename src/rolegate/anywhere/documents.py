"""Profiles, CRLs and subjects read and written as their entity types over the store's document repository."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from .entities import CrlRecord, ProfileRecord, SubjectRecord
from .errors import ResourceNotFound
from .ports import ResourceDocuments, StoredDocument

__all__ = ["KINDS", "Documents"]

R = TypeVar("R", ProfileRecord, CrlRecord, SubjectRecord)


class _Record(Protocol):
    account_id: str
    name: str

    def to_document(self) -> dict[str, object]: ...


KINDS: dict[type, tuple[str, str]] = {ProfileRecord: ("profile", "profile_id"), CrlRecord: ("crl", "crl_id"),
                                      SubjectRecord: ("subject", "subject_id")}
_NOUN = {"profile": "Profile", "crl": "CRL", "subject": "Subject"}


class Documents:
    """Typed access to one transaction's documents."""

    def __init__(self, repo: ResourceDocuments) -> None:
        self._repo = repo

    def get(self, cls: type[R], account_id: str, resource_id: str) -> R:
        kind, _ = KINDS[cls]
        doc = self._repo.get(kind, account_id, resource_id)
        if doc is None:
            raise ResourceNotFound(f"{_NOUN[kind]} not found.")
        return _record(cls, doc)

    def find(self, cls: type[R], account_id: str, resource_id: str) -> R | None:
        doc = self._repo.get(KINDS[cls][0], account_id, resource_id)
        return _record(cls, doc) if doc is not None else None

    def page(self, cls: type[R], account_id: str, after: str | None, limit: int) -> list[R]:
        return [_record(cls, d) for d in self._repo.page(KINDS[cls][0], account_id, after, limit)]

    def by_parent(self, cls: type[R], account_id: str, parent_id: str) -> list[R]:
        return [_record(cls, d) for d in self._repo.by_parent(KINDS[cls][0], account_id, parent_id)]

    def by_name(self, cls: type[R], account_id: str, name: str) -> R | None:
        doc = self._repo.by_name(KINDS[cls][0], account_id, name)
        return _record(cls, doc) if doc is not None else None

    def create(self, record: Any, parent_id: str | None = None) -> None:
        self._repo.create(_stored(record, parent_id))

    def update(self, record: Any, parent_id: str | None = None) -> None:
        self._repo.update(_stored(record, parent_id))

    def delete(self, record: Any) -> None:
        kind, id_field = KINDS[type(record)]
        self._repo.delete(kind, record.account_id, getattr(record, id_field))


def _record(cls: type[R], doc: StoredDocument) -> R:
    return cls.from_document(doc.account_id, doc.resource_id, doc.name, doc.created_at, doc.updated_at, doc.document)


def _stored(record: Any, parent_id: str | None) -> StoredDocument:
    kind, id_field = KINDS[type(record)]
    name = record.x509_subject if isinstance(record, SubjectRecord) else record.name
    return StoredDocument(kind, record.account_id, getattr(record, id_field), name, parent_id, record.created_at,
                          record.updated_at, record.to_document())
