"""An IAM user's credentials other than access keys: SSH public keys (for CodeCommit), X.509 signing
certificates and service-specific credentials (CodeCommit Git and Amazon Keyspaces passwords), with IAM's
rules, quotas and messages (IAM API reference: UploadSSHPublicKey … DeleteServiceSpecificCredential).

Each of these blocks DeleteUser until it is deleted (``users.UserService.delete_user``). A service-specific
password exists in plaintext only in the Create and Reset responses and in memory; the store keeps it sealed.
"""

from __future__ import annotations

import base64
import dataclasses
import secrets
from dataclasses import dataclass

from rolegate.authz import RequestContext
from rolegate.core import ids
from rolegate.core.errors import (
    DuplicateCertificate,
    DuplicateSSHPublicKey,
    InvalidInput,
    LimitExceeded,
    NoSuchEntity,
    ServiceNotSupported,
)
from rolegate.core.pagination import Page
from rolegate.store.ports import DuplicateKeyError

from .entities import ServiceSpecificCredentialRecord, SigningCertificateRecord, SshPublicKeyRecord, UserRecord
from .key_material import check_current, read_certificate, read_ssh_public_key, ssh_key_as_pem
from .limits import DEFAULT_LIMITS, IamLimits
from .paging import page_by_position
from .ports import IamStore, IamTransaction
from .users import existing_user

ACTIVE = "Active"
INACTIVE = "Inactive"

#: The services that take service-specific credentials (IAM User Guide, "Service-specific credentials for IAM
#: users": AWS CodeCommit and Amazon Keyspaces (for Apache Cassandra)).
SUPPORTED_SERVICES = ("codecommit.amazonaws.com", "cassandra.amazonaws.com")


@dataclass(frozen=True, slots=True)
class OwnedSshKey:
    key: SshPublicKeyRecord
    user: UserRecord


@dataclass(frozen=True, slots=True)
class OwnedCredential:
    credential: ServiceSpecificCredentialRecord
    user: UserRecord


class UserCredentialService:
    def __init__(self, store: IamStore, limits: IamLimits = DEFAULT_LIMITS) -> None:
        self._store = store
        self._limits = limits

    # --- SSH public keys -------------------------------------------------------------------------

    def upload_ssh_public_key(self, request: RequestContext, user_name: str, body: str) -> OwnedSshKey:
        parsed = read_ssh_public_key(body)
        with self._store.write() as tx:
            user = existing_user(tx, request.account_id, user_name)
            keys = tx.ssh_public_keys.list_for_user(user.user_id)
            if any(k.fingerprint == parsed.fingerprint for k in keys):
                raise DuplicateSSHPublicKey("The SSH public key is already associated with the specified IAM "
                                            "user.")
            if len(keys) >= self._limits.ssh_public_keys_per_user:
                raise LimitExceeded(f"Cannot exceed quota for PublicKeysPerUser: "
                                    f"{self._limits.ssh_public_keys_per_user}")
            key = SshPublicKeyRecord(key_id=ids.new_ssh_public_key_id(), account_id=request.account_id,
                                     user_id=user.user_id, body=parsed.openssh, fingerprint=parsed.fingerprint,
                                     status=ACTIVE, uploaded_at=request.timestamp)
            tx.ssh_public_keys.create(key)
        return OwnedSshKey(key, user)

    def get_ssh_public_key(self, request: RequestContext, user_name: str, key_id: str,
                           encoding: str) -> tuple[OwnedSshKey, str]:
        """The key and its body in ``encoding`` ("SSH": OpenSSH, "PEM": SubjectPublicKeyInfo)."""
        with self._store.read() as tx:
            owned = _owned_ssh_key(tx, request.account_id, user_name, key_id)
        return owned, ssh_key_as_pem(owned.key.body) if encoding == "PEM" else owned.key.body

    def list_ssh_public_keys(self, request: RequestContext, user_name: str, *, marker: str | None = None,
                             max_items: int | None = None) -> tuple[UserRecord, Page[SshPublicKeyRecord]]:
        with self._store.read() as tx:
            user = existing_user(tx, request.account_id, user_name)
            keys = tx.ssh_public_keys.list_for_user(user.user_id)
        return user, page_by_position(keys, marker, max_items)

    def update_ssh_public_key(self, request: RequestContext, user_name: str, key_id: str, status: str) -> None:
        _check_status(status, "an SSH public key")
        with self._store.write() as tx:
            owned = _owned_ssh_key(tx, request.account_id, user_name, key_id)
            tx.ssh_public_keys.set_status(owned.key.key_id, status)

    def delete_ssh_public_key(self, request: RequestContext, user_name: str, key_id: str) -> None:
        with self._store.write() as tx:
            owned = _owned_ssh_key(tx, request.account_id, user_name, key_id)
            tx.ssh_public_keys.delete(owned.key.key_id)

    # --- signing certificates --------------------------------------------------------------------

    def upload_signing_certificate(self, request: RequestContext, user_name: str | None,
                                   body: str) -> tuple[UserRecord | None, SigningCertificateRecord]:
        """A new active certificate of the named user, or of the root user when ``user_name`` is None."""
        cert = read_certificate(body)
        check_current(cert, request.now)
        with self._store.write() as tx:
            user = existing_user(tx, request.account_id, user_name) if user_name is not None else None
            user_id = user.user_id if user else None
            if tx.signing_certificates.find_by_fingerprint(request.account_id, cert.der_sha256) is not None:
                raise _duplicate_certificate()
            if len(tx.signing_certificates.list_for_user(request.account_id, user_id)) >= \
                    self._limits.signing_certificates_per_user:
                raise LimitExceeded(f"Cannot exceed quota for CertificatesPerUser: "
                                    f"{self._limits.signing_certificates_per_user}")
            record = SigningCertificateRecord(certificate_id=ids.new_signing_certificate_id(),
                                              account_id=request.account_id, user_id=user_id, body=body,
                                              fingerprint=cert.der_sha256, status=ACTIVE,
                                              uploaded_at=request.timestamp)
            try:
                tx.signing_certificates.create(record)
            except DuplicateKeyError:  # uploaded concurrently by another request
                raise _duplicate_certificate() from None
        return user, record

    def list_signing_certificates(self, request: RequestContext, user_name: str | None, *,
                                  marker: str | None = None, max_items: int | None = None
                                  ) -> tuple[UserRecord | None, Page[SigningCertificateRecord]]:
        with self._store.read() as tx:
            user = existing_user(tx, request.account_id, user_name) if user_name is not None else None
            certs = tx.signing_certificates.list_for_user(request.account_id, user.user_id if user else None)
        return user, page_by_position(certs, marker, max_items)

    def update_signing_certificate(self, request: RequestContext, user_name: str | None, certificate_id: str,
                                   status: str) -> None:
        _check_status(status, "a signing certificate")
        with self._store.write() as tx:
            cert = _owned_certificate(tx, request.account_id, user_name, certificate_id)
            tx.signing_certificates.set_status(cert.certificate_id, status)

    def delete_signing_certificate(self, request: RequestContext, user_name: str | None,
                                   certificate_id: str) -> None:
        with self._store.write() as tx:
            cert = _owned_certificate(tx, request.account_id, user_name, certificate_id)
            tx.signing_certificates.delete(cert.certificate_id)

    # --- service-specific credentials ------------------------------------------------------------

    def create_service_specific_credential(self, request: RequestContext, user_name: str,
                                           service_name: str) -> OwnedCredential:
        """A new active credential; the returned record carries the password, to be shown once."""
        _check_service(service_name)
        with self._store.write() as tx:
            user = existing_user(tx, request.account_id, user_name)
            existing = tx.service_credentials.list_for_account(request.account_id, user.user_id, service_name)
            if len(existing) >= self._limits.service_credentials_per_user_per_service:
                raise LimitExceeded(f"Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: "
                                    f"{self._limits.service_credentials_per_user_per_service}")
            credential = ServiceSpecificCredentialRecord(
                credential_id=ids.new_unique_id(ids.SERVICE_SPECIFIC_CREDENTIAL), account_id=request.account_id,
                user_id=user.user_id, service_name=service_name,
                service_user_name=_service_user_name(user.name, request.account_id,
                                                     {c.service_user_name for c in existing}),
                password=_new_password(), status=ACTIVE, created_at=request.timestamp)
            tx.service_credentials.create(credential)
        return OwnedCredential(credential, user)

    def list_service_specific_credentials(self, request: RequestContext, user_name: str | None, *,
                                          service_name: str | None = None, all_users: bool = False,
                                          marker: str | None = None, max_items: int | None = None
                                          ) -> Page[OwnedCredential]:
        """The user's credentials (every user's with ``all_users``), optionally of one service; records carry
        passwords: never return them."""
        if service_name is not None:
            _check_service(service_name)
        with self._store.read() as tx:
            user = existing_user(tx, request.account_id, user_name) if user_name and not all_users else None
            found = tx.service_credentials.list_for_account(request.account_id, user.user_id if user else None,
                                                            service_name)
            owners = {user.user_id: user} if user else {}
            for c in found:
                if c.user_id not in owners:
                    owner = tx.users.get(c.user_id)
                    if owner is not None:
                        owners[c.user_id] = owner
        owned = [OwnedCredential(c, owners[c.user_id]) for c in found if c.user_id in owners]
        return page_by_position(owned, marker, max_items)

    def reset_service_specific_credential(self, request: RequestContext, user_name: str | None,
                                          credential_id: str) -> OwnedCredential:
        """A new password for the credential, returned once; the old one stops working."""
        with self._store.write() as tx:
            owned = _owned_credential(tx, request.account_id, user_name, credential_id)
            reset = dataclasses.replace(owned.credential, password=_new_password())
            tx.service_credentials.update(reset)
        return OwnedCredential(reset, owned.user)

    def update_service_specific_credential(self, request: RequestContext, user_name: str | None, credential_id: str,
                                           status: str) -> None:
        _check_status(status, "a service-specific credential")
        with self._store.write() as tx:
            owned = _owned_credential(tx, request.account_id, user_name, credential_id)
            tx.service_credentials.update(dataclasses.replace(owned.credential, status=status))

    def delete_service_specific_credential(self, request: RequestContext, user_name: str | None,
                                           credential_id: str) -> None:
        with self._store.write() as tx:
            owned = _owned_credential(tx, request.account_id, user_name, credential_id)
            tx.service_credentials.delete(owned.credential.credential_id)


def _check_status(status: str, what: str) -> None:
    if status not in (ACTIVE, INACTIVE):
        # The model's enum also has "Expired", which only AWS sets.
        raise InvalidInput(f"Invalid status {status} for {what}: use Active or Inactive.")


def _check_service(service_name: str) -> None:
    if service_name not in SUPPORTED_SERVICES:
        raise ServiceNotSupported(f"The specified service {service_name} does not support service-specific "
                                  f"credentials.")


def _service_user_name(user_name: str, account_id: str, taken: set[str]) -> str:
    """``NAME-at-ACCOUNT``, as CodeCommit shows Git credentials (IAM User Guide, "Setup for HTTPS users using Git
    credentials"); a second credential of the same user and service gets ``NAME+1-at-ACCOUNT``."""
    name = f"{user_name}-at-{account_id}"
    return name if name not in taken else f"{user_name}+1-at-{account_id}"


def _new_password() -> str:
    # 32 random bytes in base64: 44 characters, the length of the passwords AWS generates.
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _duplicate_certificate() -> DuplicateCertificate:
    return DuplicateCertificate("The same certificate is associated with an IAM user in the account.")


def _owned_ssh_key(tx: IamTransaction, account_id: str, user_name: str, key_id: str) -> OwnedSshKey:
    user = existing_user(tx, account_id, user_name)
    key = tx.ssh_public_keys.get(key_id)
    if key is None or key.user_id != user.user_id:
        raise NoSuchEntity(f"The Public Key with id {key_id} cannot be found.")
    return OwnedSshKey(key, user)


def _owned_certificate(tx: IamTransaction, account_id: str, user_name: str | None,
                       certificate_id: str) -> SigningCertificateRecord:
    user = existing_user(tx, account_id, user_name) if user_name is not None else None
    cert = tx.signing_certificates.get(certificate_id)
    if cert is None or cert.account_id != account_id or cert.user_id != (user.user_id if user else None):
        raise NoSuchEntity(f"The Certificate with id {certificate_id} cannot be found.")
    return cert


def _owned_credential(tx: IamTransaction, account_id: str, user_name: str | None,
                      credential_id: str) -> OwnedCredential:
    """The credential if it belongs to the named user; the root user (``user_name`` None) holds none."""
    user = existing_user(tx, account_id, user_name) if user_name is not None else None
    credential = tx.service_credentials.get(credential_id)
    if user is None or credential is None or credential.user_id != user.user_id:
        raise NoSuchEntity(f"No such credential {credential_id} exists.")
    return OwnedCredential(credential, user)

