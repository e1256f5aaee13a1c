"""SSH public keys, signing certificates and service-specific credentials, below the wire: parsing and IAM's
fingerprint, quotas, duplicates, ownership, status, passwords shown once and sealed, and DeleteUser's refusal."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from rolegate.core.errors import (
    DeleteConflict,
    DuplicateCertificate,
    DuplicateSSHPublicKey,
    InvalidInput,
    InvalidPublicKey,
    LimitExceeded,
    MalformedCertificate,
    NoSuchEntity,
    ServiceNotSupported,
    UnrecognizedPublicKeyEncoding,
)
from rolegate.iam.accounts import AccountService
from rolegate.iam.user_credentials import UserCredentialService
from rolegate.iam.users import UserService
from rolegate.store.sql import SqlStore
from rolegate.store import schema as t
from tests.iam.conftest import ACCOUNT, Requests
from tests.keymaterial import issue, openssh_rsa, pem_public, ssh_keygen

CODECOMMIT = "codecommit.amazonaws.com"


@pytest.fixture
def users(store: SqlStore, accounts: AccountService) -> UserService:
    return UserService(store)


@pytest.fixture
def creds(store: SqlStore, accounts: AccountService) -> UserCredentialService:
    return UserCredentialService(store)


@pytest.fixture
def alice(users: UserService, req: Requests) -> str:
    users.create_user(req(ACCOUNT), "alice")
    return "alice"


# --- SSH public keys --------------------------------------------------------------------------------------


def test_an_ssh_keygen_key_gets_the_md5_fingerprint_ssh_keygen_prints(
        creds: UserCredentialService, alice: str, req: Requests, tmp_path: Path) -> None:
    for kind in ("ed25519", "rsa"):
        line, fingerprint = ssh_keygen(tmp_path, kind)
        owned = creds.upload_ssh_public_key(req(ACCOUNT), alice, line)
        assert owned.key.fingerprint == fingerprint
        assert owned.key.key_id.startswith("APKA") and len(owned.key.key_id) == 20
        assert owned.key.status == "Active" and owned.key.body == " ".join(line.split()[:2])


def test_a_pem_key_is_the_same_key_as_its_openssh_form(creds: UserCredentialService, alice: str,
                                                         req: Requests) -> None:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    owned = creds.upload_ssh_public_key(req(ACCOUNT), alice, pem_public(key))
    _, as_pem = creds.get_ssh_public_key(req(ACCOUNT), alice, owned.key.key_id, "PEM")
    _, as_ssh = creds.get_ssh_public_key(req(ACCOUNT), alice, owned.key.key_id, "SSH")
    assert as_pem.strip() == pem_public(key).strip()
    assert as_ssh.startswith("ssh-ed25519 ")


def test_the_same_key_twice_for_one_user_is_a_duplicate(creds: UserCredentialService, alice: str,
                                                         req: Requests) -> None:
    line = openssh_rsa()
    creds.upload_ssh_public_key(req(ACCOUNT), alice, line)
    with pytest.raises(DuplicateSSHPublicKey):
        creds.upload_ssh_public_key(req(ACCOUNT), alice, line.rsplit(" ", 1)[0] + " another-comment")


def test_rsa_under_2048_bits_and_other_algorithms_are_invalid_keys(creds: UserCredentialService, alice: str,
                                                                  req: Requests) -> None:
    with pytest.raises(InvalidPublicKey, match="2048"):
        creds.upload_ssh_public_key(req(ACCOUNT), alice, openssh_rsa(1024))
    with pytest.raises(InvalidPublicKey):
        creds.upload_ssh_public_key(req(ACCOUNT), alice, pem_public(ec.generate_private_key(ec.SECP256R1()).public_key()))


@pytest.mark.parametrize("body", ["not a key", "ssh-rsa AAAA", "-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----"])
def test_text_that_is_no_key_is_an_unrecognized_encoding(creds: UserCredentialService, alice: str, req: Requests,
                                                          body: str) -> None:
    with pytest.raises(UnrecognizedPublicKeyEncoding):
        creds.upload_ssh_public_key(req(ACCOUNT), alice, body)


def test_a_user_may_hold_at_most_five_ssh_keys(creds: UserCredentialService, alice: str, req: Requests) -> None:
    for _ in range(5):
        creds.upload_ssh_public_key(req(ACCOUNT), alice, pem_public(ed25519.Ed25519PrivateKey.generate().public_key()))
    with pytest.raises(LimitExceeded, match="PublicKeysPerUser: 5"):
        creds.upload_ssh_public_key(req(ACCOUNT), alice, pem_public(ed25519.Ed25519PrivateKey.generate().public_key()))


def test_another_users_key_is_not_found_and_status_must_be_active_or_inactive(
        creds: UserCredentialService, users: UserService, alice: str, req: Requests) -> None:
    users.create_user(req(ACCOUNT), "bob")
    key = creds.upload_ssh_public_key(req(ACCOUNT), alice, openssh_rsa()).key
    with pytest.raises(NoSuchEntity, match=f"The Public Key with id {key.key_id} cannot be found."):
        creds.delete_ssh_public_key(req(ACCOUNT), "bob", key.key_id)
    with pytest.raises(InvalidInput):
        creds.update_ssh_public_key(req(ACCOUNT), alice, key.key_id, "Expired")
    creds.update_ssh_public_key(req(ACCOUNT), alice, key.key_id, "Inactive")
    _, page = creds.list_ssh_public_keys(req(ACCOUNT), alice)
    assert [(k.key_id, k.status) for k in page.items] == [(key.key_id, "Inactive")]


# --- signing certificates ---------------------------------------------------------------------------------


def test_a_signing_certificate_is_stored_active_and_twice_in_one_account_is_a_duplicate(
        creds: UserCredentialService, users: UserService, alice: str, req: Requests) -> None:
    users.create_user(req(ACCOUNT), "bob")
    cert = issue().certificate
    user, record = creds.upload_signing_certificate(req(ACCOUNT), alice, cert)
    assert user is not None and user.name == alice and record.status == "Active" and len(record.certificate_id) >= 24
    with pytest.raises(DuplicateCertificate):
        creds.upload_signing_certificate(req(ACCOUNT), "bob", cert)


def test_a_user_may_hold_at_most_two_signing_certificates(creds: UserCredentialService, alice: str,
                                                          req: Requests) -> None:
    creds.upload_signing_certificate(req(ACCOUNT), alice, issue().certificate)
    creds.upload_signing_certificate(req(ACCOUNT), alice, issue().certificate)
    with pytest.raises(LimitExceeded, match="CertificatesPerUser: 2"):
        creds.upload_signing_certificate(req(ACCOUNT), alice, issue().certificate)


def test_a_malformed_or_expired_signing_certificate_is_refused(creds: UserCredentialService, alice: str,
                                                              req: Requests) -> None:
    with pytest.raises(MalformedCertificate, match="PEM"):
        creds.upload_signing_certificate(req(ACCOUNT), alice, "-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----")
    old = issue(not_before=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc),
                not_after=dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc))
    with pytest.raises(MalformedCertificate, match="expired"):
        creds.upload_signing_certificate(req(ACCOUNT), alice, old.certificate)


def test_without_a_user_name_the_signing_certificate_is_the_root_users(creds: UserCredentialService,
                                                                      req: Requests) -> None:
    user, record = creds.upload_signing_certificate(req(ACCOUNT), None, issue().certificate)
    assert user is None and record.user_id is None
    _, page = creds.list_signing_certificates(req(ACCOUNT), None)
    assert [c.certificate_id for c in page.items] == [record.certificate_id]


# --- service-specific credentials -------------------------------------------------------------------------


def test_a_service_credential_has_iams_user_name_form_and_a_password_sealed_at_rest(
        creds: UserCredentialService, alice: str, req: Requests, store: SqlStore) -> None:
    owned = creds.create_service_specific_credential(req(ACCOUNT), alice, CODECOMMIT)
    c = owned.credential
    assert c.service_user_name == f"alice-at-{ACCOUNT}" and c.credential_id.startswith("ACCA")
    assert len(c.password) == 44 and c.status == "Active"
    second = creds.create_service_specific_credential(req(ACCOUNT), alice, CODECOMMIT).credential
    assert second.service_user_name == f"alice+1-at-{ACCOUNT}"
    with store.write() as uow:  # the raw rows, as a backup of the database would hold them
        sealed = [r.password_sealed for r in uow.connection.execute(t.service_specific_credentials.select())]
    assert all(c.password not in s and s.startswith("v1:") for s in sealed)


def test_two_credentials_per_service_per_user_and_unsupported_services_refused(
        creds: UserCredentialService, alice: str, req: Requests) -> None:
    for _ in range(2):
        creds.create_service_specific_credential(req(ACCOUNT), alice, CODECOMMIT)
    with pytest.raises(LimitExceeded, match="PerService: 2"):
        creds.create_service_specific_credential(req(ACCOUNT), alice, CODECOMMIT)
    creds.create_service_specific_credential(req(ACCOUNT), alice, "cassandra.amazonaws.com")
    with pytest.raises(ServiceNotSupported):
        creds.create_service_specific_credential(req(ACCOUNT), alice, "s3.amazonaws.com")


def test_reset_gives_a_new_password_and_listing_filters_by_service(creds: UserCredentialService, alice: str,
                                                                   req: Requests) -> None:
    first = creds.create_service_specific_credential(req(ACCOUNT), alice, CODECOMMIT).credential
    creds.create_service_specific_credential(req(ACCOUNT), alice, "cassandra.amazonaws.com")
    reset = creds.reset_service_specific_credential(req(ACCOUNT), alice, first.credential_id).credential
    assert reset.password != first.password and reset.credential_id == first.credential_id
    page = creds.list_service_specific_credentials(req(ACCOUNT), alice, service_name=CODECOMMIT)
    assert [o.credential.credential_id for o in page.items] == [first.credential_id]
    creds.update_service_specific_credential(req(ACCOUNT), alice, first.credential_id, "Inactive")
    creds.delete_service_specific_credential(req(ACCOUNT), alice, first.credential_id)
    with pytest.raises(NoSuchEntity):
        creds.reset_service_specific_credential(req(ACCOUNT), alice, first.credential_id)


# --- DeleteUser -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("what", "message"), [("ssh", "must remove referenced objects first."),
                                               ("signing", "must delete certificates first."),
                                               ("service", "must remove referenced objects first.")])
def test_delete_user_refuses_while_the_user_holds_the_credential(
        creds: UserCredentialService, users: UserService, alice: str, req: Requests, what: str,
        message: str) -> None:
    if what == "ssh":
        key = creds.upload_ssh_public_key(req(ACCOUNT), alice, openssh_rsa()).key
        undo = lambda: creds.delete_ssh_public_key(req(ACCOUNT), alice, key.key_id)  # noqa: E731
    elif what == "signing":
        _, cert = creds.upload_signing_certificate(req(ACCOUNT), alice, issue().certificate)
        undo = lambda: creds.delete_signing_certificate(req(ACCOUNT), alice, cert.certificate_id)  # noqa: E731
    else:
        cred = creds.create_service_specific_credential(req(ACCOUNT), alice, CODECOMMIT).credential
        undo = lambda: creds.delete_service_specific_credential(req(ACCOUNT), alice, cred.credential_id)  # noqa: E731
    with pytest.raises(DeleteConflict, match=f"Cannot delete entity, {message}"):
        users.delete_user(req(ACCOUNT), alice)
    undo()
    users.delete_user(req(ACCOUNT), alice)
    with pytest.raises(NoSuchEntity):
        users.get_user(req(ACCOUNT), alice)
