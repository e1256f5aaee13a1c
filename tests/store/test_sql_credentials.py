"""The store's contract for users' other credentials, server certificates and service last accessed data, on
every backend: secrets sealed and bound to their row, one certificate per account, times never moved back."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import update

from rolegate.iam.entities import (
    AccountRecord,
    ServerCertificateRecord,
    ServiceAccessRecord,
    ServiceSpecificCredentialRecord,
    SigningCertificateRecord,
    UserRecord,
)
from rolegate.store import schema
from rolegate.store.ports import DuplicateKeyError
from rolegate.store.sealing import SealError
from rolegate.store.sql import SqlStore

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
ACCT = "111122223333"
USER_ID = "AIDA" + "0" * 17
ARN = f"arn:aws:iam::{ACCT}:user/alice"


@pytest.fixture
def with_user(store: SqlStore) -> SqlStore:
    with store.write() as tx:
        tx.accounts.create(AccountRecord(ACCT, "acct", T0))
        tx.users.create(UserRecord(ACCT, USER_ID, "alice", "/", ARN, T0))
    return store


def _credential(n: int, password: str) -> ServiceSpecificCredentialRecord:
    return ServiceSpecificCredentialRecord(f"ACCA{n:017d}", ACCT, USER_ID, "codecommit.amazonaws.com",
                                           f"alice-at-{ACCT}", password, "Active", T0)


def test_a_service_password_reads_back_and_its_sealed_value_cannot_move_to_another_row(with_user: SqlStore) -> None:
    with with_user.write() as tx:
        tx.service_credentials.create(_credential(1, "first-password"))
        tx.service_credentials.create(_credential(2, "second-password"))
    with with_user.read() as tx:
        assert tx.service_credentials.get(f"ACCA{1:017d}").password == "first-password"  # type: ignore[union-attr]
    c = schema.service_specific_credentials.c
    with with_user.write() as tx:
        sealed = tx.connection.execute(schema.service_specific_credentials.select()
                                       .where(c.credential_id == f"ACCA{1:017d}")).one().password_sealed
        tx.connection.execute(update(schema.service_specific_credentials)
                              .where(c.credential_id == f"ACCA{2:017d}").values(password_sealed=sealed))
    with with_user.read() as tx, pytest.raises(SealError):
        tx.service_credentials.get(f"ACCA{2:017d}")


def test_the_same_signing_certificate_twice_in_an_account_is_a_duplicate_key(with_user: SqlStore) -> None:
    cert = SigningCertificateRecord("C" * 32, ACCT, USER_ID, "pem", "f" * 64, "Active", T0)
    with with_user.write() as tx:
        tx.signing_certificates.create(cert)
    with pytest.raises(DuplicateKeyError), with_user.write() as tx:
        tx.signing_certificates.create(dataclasses.replace(cert, certificate_id="D" * 32, user_id=None))


def test_a_server_certificates_private_key_reads_back_and_rename_keeps_it(with_user: SqlStore) -> None:
    cert = ServerCertificateRecord(ACCT, "ASCA" + "0" * 17, "web", "/", f"arn:aws:iam::{ACCT}:server-certificate/web",
                                   "body", "-----BEGIN PRIVATE KEY-----", T0, T0 + dt.timedelta(days=1),
                                   tags=(("k", "v"),))
    with with_user.write() as tx:
        tx.server_certificates.create(cert)
        tx.server_certificates.update(dataclasses.replace(cert, name="site", arn=cert.arn.replace("web", "site")))
    with with_user.read() as tx:
        got = tx.server_certificates.get_by_name(ACCT, "SITE")
    assert got is not None and got.private_key == cert.private_key and got.tags == (("k", "v"),)


def test_a_recorded_use_never_moves_back_in_time(with_user: SqlStore) -> None:
    later, earlier = T0 + dt.timedelta(hours=1), T0
    with with_user.write() as tx:
        tx.service_access.record([ServiceAccessRecord(ACCT, ARN, "iam", None, later, "eu-west-1")])
        tx.service_access.record([ServiceAccessRecord(ACCT, ARN, "iam", None, earlier, "us-east-1"),
                                  ServiceAccessRecord(ACCT, ARN, "iam", "GetUser", earlier, "us-east-1")])
    with with_user.read() as tx:
        found = {(r.action, r.last_at, r.region) for r in tx.service_access.for_entities(ACCT, [ARN])}
    assert found == {(None, later, "eu-west-1"), ("GetUser", earlier, "us-east-1")}
