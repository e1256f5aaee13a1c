"""The SQL repositories of users' other credentials (SSH public keys, signing certificates, service-specific
credentials, passwords sealed), server certificates (private keys sealed), and service last accessed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, select, update

from rolegate.iam.entities import (
    AccessReportJobRecord,
    ServerCertificateRecord,
    ServiceAccessRecord,
    ServiceSpecificCredentialRecord,
    SigningCertificateRecord,
    SshPublicKeyRecord,
)
from rolegate.store import schema as t
from rolegate.store.sealing import Sealer

from .rows import Tags, add_tags, count_rows, insert_row, named_page, tags_for, utc, write_tags

_K = t.ssh_public_keys
_S = t.signing_certificates
_C = t.server_certificates
_P = t.service_specific_credentials
_A = t.service_last_accessed
_J = t.access_report_jobs


class SqlSshPublicKeys:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def create(self, key: SshPublicKeyRecord) -> None:
        insert_row(self._c, _K, key_id=key.key_id, account_id=key.account_id, user_id=key.user_id, body=key.body,
                   fingerprint=key.fingerprint, status=key.status, uploaded_at=key.uploaded_at)

    def get(self, key_id: str) -> SshPublicKeyRecord | None:
        row = self._c.execute(select(_K).where(_K.c.key_id == key_id)).first()
        return _ssh_key(row) if row else None

    def list_for_user(self, user_id: str) -> list[SshPublicKeyRecord]:
        rows = self._c.execute(select(_K).where(_K.c.user_id == user_id).order_by(_K.c.uploaded_at, _K.c.key_id))
        return [_ssh_key(r) for r in rows]

    def set_status(self, key_id: str, status: str) -> None:
        self._c.execute(update(_K).where(_K.c.key_id == key_id).values(status=status))

    def delete(self, key_id: str) -> None:
        self._c.execute(delete(_K).where(_K.c.key_id == key_id))


def _ssh_key(r: Any) -> SshPublicKeyRecord:
    return SshPublicKeyRecord(key_id=r.key_id, account_id=r.account_id, user_id=r.user_id, body=r.body,
                              fingerprint=r.fingerprint, status=r.status, uploaded_at=utc(r.uploaded_at))


class SqlSigningCertificates:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def create(self, certificate: SigningCertificateRecord) -> None:
        c = certificate
        insert_row(self._c, _S, certificate_id=c.certificate_id, account_id=c.account_id, user_id=c.user_id,
                   body=c.body, fingerprint=c.fingerprint, status=c.status, uploaded_at=c.uploaded_at)

    def get(self, certificate_id: str) -> SigningCertificateRecord | None:
        row = self._c.execute(select(_S).where(_S.c.certificate_id == certificate_id)).first()
        return _signing(row) if row else None

    def list_for_user(self, account_id: str, user_id: str | None) -> list[SigningCertificateRecord]:
        owner = _S.c.user_id.is_(None) if user_id is None else _S.c.user_id == user_id
        rows = self._c.execute(select(_S).where(_S.c.account_id == account_id, owner)
                               .order_by(_S.c.uploaded_at, _S.c.certificate_id))
        return [_signing(r) for r in rows]

    def find_by_fingerprint(self, account_id: str, fingerprint: str) -> SigningCertificateRecord | None:
        row = self._c.execute(select(_S).where(_S.c.account_id == account_id,
                                               _S.c.fingerprint == fingerprint)).first()
        return _signing(row) if row else None

    def set_status(self, certificate_id: str, status: str) -> None:
        self._c.execute(update(_S).where(_S.c.certificate_id == certificate_id).values(status=status))

    def delete(self, certificate_id: str) -> None:
        self._c.execute(delete(_S).where(_S.c.certificate_id == certificate_id))


def _signing(r: Any) -> SigningCertificateRecord:
    return SigningCertificateRecord(certificate_id=r.certificate_id, account_id=r.account_id, user_id=r.user_id,
                                    body=r.body, fingerprint=r.fingerprint, status=r.status,
                                    uploaded_at=utc(r.uploaded_at))


class SqlServiceSpecificCredentials:
    def __init__(self, conn: Connection, sealer: Sealer) -> None:
        self._c = conn
        self._sealer = sealer

    def create(self, credential: ServiceSpecificCredentialRecord) -> None:
        c = credential
        insert_row(self._c, _P, credential_id=c.credential_id, account_id=c.account_id, user_id=c.user_id,
                   service_name=c.service_name, service_user_name=c.service_user_name,
                   password_sealed=self._seal(c), status=c.status, created_at=c.created_at)

    def get(self, credential_id: str) -> ServiceSpecificCredentialRecord | None:
        row = self._c.execute(select(_P).where(_P.c.credential_id == credential_id)).first()
        return self._credential(row) if row else None

    def list_for_account(self, account_id: str, user_id: str | None,
                         service_name: str | None) -> list[ServiceSpecificCredentialRecord]:
        q = select(_P).where(_P.c.account_id == account_id)
        if user_id is not None:
            q = q.where(_P.c.user_id == user_id)
        if service_name is not None:
            q = q.where(_P.c.service_name == service_name)
        return [self._credential(r) for r in self._c.execute(q.order_by(_P.c.created_at, _P.c.credential_id))]

    def update(self, credential: ServiceSpecificCredentialRecord) -> None:
        self._c.execute(update(_P).where(_P.c.credential_id == credential.credential_id)
                        .values(status=credential.status, password_sealed=self._seal(credential)))

    def delete(self, credential_id: str) -> None:
        self._c.execute(delete(_P).where(_P.c.credential_id == credential_id))

    def _seal(self, c: ServiceSpecificCredentialRecord) -> str:
        # Bound to the credential's id, so a sealed password cannot be moved to another row.
        return self._sealer.seal(c.password, "service-credential:" + c.credential_id)

    def _credential(self, r: Any) -> ServiceSpecificCredentialRecord:
        return ServiceSpecificCredentialRecord(
            credential_id=r.credential_id, account_id=r.account_id, user_id=r.user_id,
            service_name=r.service_name, service_user_name=r.service_user_name,
            password=self._sealer.open(r.password_sealed, "service-credential:" + r.credential_id),
            status=r.status, created_at=utc(r.created_at))


class SqlServerCertificates:
    def __init__(self, conn: Connection, sealer: Sealer) -> None:
        self._c = conn
        self._sealer = sealer

    def create(self, certificate: ServerCertificateRecord) -> None:
        c = certificate
        sealed = self._sealer.seal(c.private_key, "server-certificate:" + c.certificate_id)
        insert_row(self._c, _C, certificate_id=c.certificate_id, account_id=c.account_id, body=c.body,
                   chain=c.chain, private_key_sealed=sealed, uploaded_at=c.uploaded_at, expires_at=c.expires_at,
                   **_names(c))
        add_tags(self._c, c.certificate_id, c.tags)

    def get_by_name(self, account_id: str, name: str) -> ServerCertificateRecord | None:
        row = self._c.execute(select(_C).where(_C.c.account_id == account_id,
                                               _C.c.name_lower == name.lower())).first()
        return self._certificate(row) if row else None

    def list_for_account(self, account_id: str, path_prefix: str, after: str | None,
                         limit: int) -> list[ServerCertificateRecord]:
        rows = self._c.execute(named_page(select(_C), _C, account_id, path_prefix, after, limit)).all()
        tags = tags_for(self._c, [r.certificate_id for r in rows])
        return [self._certificate(r, tags.get(r.certificate_id, ())) for r in rows]

    def update(self, certificate: ServerCertificateRecord) -> None:
        self._c.execute(update(_C).where(_C.c.certificate_id == certificate.certificate_id)
                        .values(**_names(certificate)))
        write_tags(self._c, certificate.certificate_id, certificate.tags)

    def delete(self, certificate_id: str) -> None:
        write_tags(self._c, certificate_id, ())
        self._c.execute(delete(_C).where(_C.c.certificate_id == certificate_id))

    def count(self, account_id: str) -> int:
        return count_rows(self._c, _C, "account_id", account_id)

    def _certificate(self, r: Any, tags: Tags | None = None) -> ServerCertificateRecord:
        if tags is None:
            tags = tags_for(self._c, [r.certificate_id]).get(r.certificate_id, ())
        return ServerCertificateRecord(
            account_id=r.account_id, certificate_id=r.certificate_id, name=r.name, path=r.path, arn=r.arn,
            body=r.body, chain=r.chain,
            private_key=self._sealer.open(r.private_key_sealed, "server-certificate:" + r.certificate_id),
            uploaded_at=utc(r.uploaded_at), expires_at=utc(r.expires_at), tags=tags)


def _names(c: ServerCertificateRecord) -> dict[str, Any]:
    return {"name": c.name, "name_lower": c.name.lower(), "path": c.path, "arn": c.arn}


class SqlServiceAccess:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def record(self, records: Sequence[ServiceAccessRecord]) -> None:
        for rec in records:
            key = (_A.c.entity_arn == rec.entity_arn, _A.c.namespace == rec.namespace,
                   _A.c.action == (rec.action or ""))
            existing = self._c.execute(select(_A.c.last_at).where(*key)).first()
            if existing is None:
                insert_row(self._c, _A, account_id=rec.account_id, entity_arn=rec.entity_arn,
                           namespace=rec.namespace, action=rec.action or "", last_at=rec.last_at, region=rec.region)
            elif utc(existing.last_at) < rec.last_at:  # never move back: another node may have written later
                self._c.execute(update(_A).where(*key).values(last_at=rec.last_at, region=rec.region))

    def for_entities(self, account_id: str, entity_arns: Sequence[str]) -> list[ServiceAccessRecord]:
        if not entity_arns:
            return []
        rows = self._c.execute(select(_A).where(_A.c.account_id == account_id,
                                                _A.c.entity_arn.in_(list(entity_arns))))
        return [ServiceAccessRecord(account_id=r.account_id, entity_arn=r.entity_arn, namespace=r.namespace,
                                    action=r.action or None, last_at=utc(r.last_at), region=r.region)
                for r in rows]


class SqlAccessReportJobs:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def create(self, job: AccessReportJobRecord) -> None:
        insert_row(self._c, _J, job_id=job.job_id, account_id=job.account_id, arn=job.arn,
                   granularity=job.granularity, created_at=job.created_at, completed_at=job.completed_at,
                   report=job.report)

    def get(self, job_id: str) -> AccessReportJobRecord | None:
        r = self._c.execute(select(_J).where(_J.c.job_id == job_id)).first()
        if r is None:
            return None
        return AccessReportJobRecord(job_id=r.job_id, account_id=r.account_id, arn=r.arn,
                                     granularity=r.granularity, created_at=utc(r.created_at),
                                     completed_at=utc(r.completed_at), report=r.report)
