"""Server certificates stored in IAM: upload (certificate parsed and checked, private key matched to it and
sealed, chain optional and checked), read, list, rename or move, delete, tags (IAM API reference:
UploadServerCertificate … DeleteServerCertificate, TagServerCertificate; IAM User Guide, "Managing server
certificates in IAM"). The private key is never returned.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from rolegate.authz import RequestContext
from rolegate.core import ids
from rolegate.core.arns import iam_arn
from rolegate.core.errors import EntityAlreadyExists, LimitExceeded, NoSuchEntity
from rolegate.core.pagination import Page, decode_marker
from rolegate.store.ports import DuplicateKeyError

from .entities import ServerCertificateRecord
from .key_material import check_current, check_private_key, read_certificate, read_chain
from .limits import DEFAULT_LIMITS, IamLimits
from .paging import page_by_position, page_limit, page_of_rows
from .ports import HasServerCertificates, IamStore
from .tags import check_new_tags, merge_tags, remove_tags

KIND = "server-certificate"


class ServerCertificateService:
    def __init__(self, store: IamStore, limits: IamLimits = DEFAULT_LIMITS) -> None:
        self._store = store
        self._limits = limits

    def upload(self, request: RequestContext, name: str, body: str, private_key: str, *, path: str = "/",
               chain: str | None = None, tags: Sequence[tuple[str, str]] = ()) -> ServerCertificateRecord:
        check_new_tags(tags)
        if len(tags) > self._limits.tags_per_resource:
            raise LimitExceeded(f"Cannot exceed quota for TagsPerServerCertificate: {self._limits.tags_per_resource}.")
        cert = read_certificate(body)
        check_current(cert, request.now)
        check_private_key(private_key, cert)
        if chain is not None:
            read_chain(chain, cert)
        record = ServerCertificateRecord(
            account_id=request.account_id, certificate_id=ids.new_unique_id(ids.CERTIFICATE), name=name, path=path,
            arn=iam_arn(request.account_id, KIND, path, name, request.partition), body=body, private_key=private_key,
            uploaded_at=request.timestamp, expires_at=cert.not_after, chain=chain, tags=tuple(tags))
        with self._store.write() as tx:
            if tx.server_certificates.get_by_name(request.account_id, name) is not None:
                raise _already_exists(name)
            if tx.server_certificates.count(request.account_id) >= self._limits.server_certificates_per_account:
                raise LimitExceeded(f"Cannot exceed quota for ServerCertificatesPerAccount: "
                                    f"{self._limits.server_certificates_per_account}")
            try:
                tx.server_certificates.create(record)
            except DuplicateKeyError:
                raise _already_exists(name) from None
        return record

    def get(self, request: RequestContext, name: str) -> ServerCertificateRecord:
        with self._store.read() as tx:
            return existing_server_certificate(tx, request.account_id, name)

    def list(self, request: RequestContext, *, path_prefix: str = "/", marker: str | None = None,
             max_items: int | None = None) -> Page[ServerCertificateRecord]:
        limit = page_limit(max_items)
        with self._store.read() as tx:
            rows = tx.server_certificates.list_for_account(request.account_id, path_prefix, decode_marker(marker),
                                                           limit + 1)
        return page_of_rows(rows, limit, lambda c: c.name.lower())

    def update(self, request: RequestContext, name: str, *, new_path: str | None = None,
               new_name: str | None = None) -> None:
        with self._store.write() as tx:
            cert = existing_server_certificate(tx, request.account_id, name)
            target_name = new_name if new_name is not None else cert.name
            target_path = new_path if new_path is not None else cert.path
            if target_name.lower() != cert.name.lower() and \
                    tx.server_certificates.get_by_name(request.account_id, target_name) is not None:
                raise _already_exists(target_name)
            moved = dataclasses.replace(cert, name=target_name, path=target_path,
                                        arn=iam_arn(request.account_id, KIND, target_path, target_name, request.partition))
            try:
                tx.server_certificates.update(moved)
            except DuplicateKeyError:
                raise _already_exists(target_name) from None

    def delete(self, request: RequestContext, name: str) -> None:
        with self._store.write() as tx:
            cert = existing_server_certificate(tx, request.account_id, name)
            tx.server_certificates.delete(cert.certificate_id)

    def tag(self, request: RequestContext, name: str, tags: Sequence[tuple[str, str]]) -> None:
        with self._store.write() as tx:
            cert = existing_server_certificate(tx, request.account_id, name)
            merged = merge_tags(cert.tags, tags, self._limits.tags_per_resource, "ServerCertificate")
            tx.server_certificates.update(dataclasses.replace(cert, tags=merged))

    def untag(self, request: RequestContext, name: str, keys: Sequence[str]) -> None:
        with self._store.write() as tx:
            cert = existing_server_certificate(tx, request.account_id, name)
            tx.server_certificates.update(dataclasses.replace(cert, tags=remove_tags(cert.tags, keys)))

    def list_tags(self, request: RequestContext, name: str, *, marker: str | None = None,
                  max_items: int | None = None) -> Page[tuple[str, str]]:
        return page_by_position(self.get(request, name).tags, marker, max_items)


def existing_server_certificate(tx: HasServerCertificates, account_id: str, name: str) -> ServerCertificateRecord:
    cert = tx.server_certificates.get_by_name(account_id, name)
    if cert is None:
        raise NoSuchEntity(f"The Server Certificate with name {name} cannot be found.")
    return cert


def _already_exists(name: str) -> EntityAlreadyExists:
    return EntityAlreadyExists(f"The Server Certificate with name {name} already exists.")
