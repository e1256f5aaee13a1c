"""Certificate revocation lists: import for a trust anchor (one per anchor), read, list, update, enable,
disable, delete (IAM Roles Anywhere API reference, ImportCrl … DisableCrl).

A CRL is read as DER or PEM with ``cryptography`` and must be signed by a CA certificate of its trust
anchor's bundle (RFC 5280 §6.3.3 (f): the CRL issuer's key verifies the CRL); one that is not is refused at
import, so a CRL that could never apply is never stored. An enabled CRL is what CreateSession checks a
leaf's serial against. A second CRL for an anchor is a ``ConflictException``: Roles Anywhere scopes a CRL to
one trust anchor, and rolegate keeps exactly one per anchor so which list applies is never ambiguous.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence

from cryptography import x509

from rolegate.authz import RequestContext
from rolegate.store.ports import DuplicateKeyError

from .certificates import read_ca_bundle
from .common import anywhere_arn, check_tags, next_token, page_start, resource_id
from .documents import Documents
from .entities import CRL, TRUST_ANCHOR, CrlRecord
from .errors import Conflict, ResourceNotFound, ValidationException
from .ports import AnywhereStore

__all__ = ["CrlPage", "CrlService", "read_crl"]


@dataclasses.dataclass(frozen=True, slots=True)
class CrlPage:
    items: list[CrlRecord]
    next_token: str | None


def read_crl(data: bytes) -> x509.CertificateRevocationList:
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_crl(data)
        return x509.load_der_x509_crl(data)
    except ValueError:
        raise ValidationException("crlData is not a valid X.509 certificate revocation list.") from None


def _check_signed_by(crl: x509.CertificateRevocationList, bundle_pem: str) -> None:
    for ca in read_ca_bundle(bundle_pem):
        if ca.subject == crl.issuer and crl.is_signature_valid(ca.public_key()):  # type: ignore[arg-type]
            return
    raise ValidationException("The CRL is not signed by a CA certificate of the trust anchor.")


class CrlService:
    def __init__(self, store: AnywhereStore) -> None:
        self._store = store

    def import_crl(self, request: RequestContext, name: str, data: bytes, trust_anchor_arn: str, *,
                   enabled: bool = False, tags: Sequence[tuple[str, str]] = (),
                   alias_name: str | None = None) -> CrlRecord:
        if alias_name:
            raise ValidationException("CRL aliases are not supported by this service.")
        check_tags(tags)
        crl = read_crl(data)
        anchor_id = resource_id(trust_anchor_arn, TRUST_ANCHOR)
        crl_id = str(uuid.uuid4())
        record = CrlRecord(request.account_id, crl_id, anywhere_arn(request, CRL, crl_id), name, enabled, data,
                           trust_anchor_arn, request.timestamp, request.timestamp, tuple(tags))
        with self._store.write() as tx:
            anchor = tx.trust_anchors.get(request.account_id, anchor_id)
            if anchor is None or anchor.arn != trust_anchor_arn:
                raise ResourceNotFound("Trust anchor not found.")
            _check_signed_by(crl, anchor.certificate_data)
            docs = Documents(tx.anywhere_documents)
            if docs.by_parent(CrlRecord, request.account_id, anchor_id):
                raise Conflict("The trust anchor already has a CRL; update or delete it first.")
            try:
                docs.create(record, parent_id=anchor_id)
            except DuplicateKeyError:
                raise Conflict("The trust anchor already has a CRL; update or delete it first.") from None
        return record

    def get(self, request: RequestContext, identifier: str) -> CrlRecord:
        with self._store.read() as tx:
            return Documents(tx.anywhere_documents).get(CrlRecord, request.account_id, resource_id(identifier, CRL))

    def list(self, request: RequestContext, *, token: str | None = None, page_size: int | None = None) -> CrlPage:
        after, size = page_start(token, page_size)
        with self._store.read() as tx:
            rows = Documents(tx.anywhere_documents).page(CrlRecord, request.account_id, after, size + 1)
        return CrlPage(rows[:size], next_token([r.crl_id for r in rows], size))

    def update(self, request: RequestContext, identifier: str, *, name: str | None = None,
               data: bytes | None = None, alias_name: str | None = None) -> CrlRecord:
        if alias_name:
            raise ValidationException("CRL aliases are not supported by this service.")
        with self._store.write() as tx:
            docs = Documents(tx.anywhere_documents)
            record = docs.get(CrlRecord, request.account_id, resource_id(identifier, CRL))
            changed = dataclasses.replace(record, updated_at=request.timestamp)
            if name is not None:
                changed = dataclasses.replace(changed, name=name)
            if data is not None:
                crl = read_crl(data)
                anchor = tx.trust_anchors.get(request.account_id, resource_id(record.trust_anchor_arn, TRUST_ANCHOR))
                if anchor is None:
                    raise ResourceNotFound("Trust anchor not found.")
                _check_signed_by(crl, anchor.certificate_data)
                changed = dataclasses.replace(changed, crl_data=data)
            docs.update(changed, parent_id=resource_id(record.trust_anchor_arn, TRUST_ANCHOR))
        return changed

    def set_enabled(self, request: RequestContext, identifier: str, enabled: bool) -> CrlRecord:
        with self._store.write() as tx:
            docs = Documents(tx.anywhere_documents)
            record = docs.get(CrlRecord, request.account_id, resource_id(identifier, CRL))
            changed = dataclasses.replace(record, enabled=enabled, updated_at=request.timestamp)
            docs.update(changed, parent_id=resource_id(record.trust_anchor_arn, TRUST_ANCHOR))
        return changed

    def delete(self, request: RequestContext, identifier: str) -> CrlRecord:
        with self._store.write() as tx:
            docs = Documents(tx.anywhere_documents)
            record = docs.get(CrlRecord, request.account_id, resource_id(identifier, CRL))
            docs.delete(record)
        return record
