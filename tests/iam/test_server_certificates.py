"""Server certificates, below the wire: the certificate parsed and checked, the private key matched and sealed,
the chain checked, expiry read from the certificate, names unique ignoring case, the account quota, rename."""

from __future__ import annotations

import datetime as dt

import pytest

from rolegate.core.errors import EntityAlreadyExists, KeyPairMismatch, LimitExceeded, MalformedCertificate, NoSuchEntity
from rolegate.iam.accounts import AccountService
from rolegate.iam.limits import IamLimits
from rolegate.iam.server_certificates import ServerCertificateService
from rolegate.store import schema as t
from rolegate.store.sql import SqlStore
from tests.iam.conftest import ACCOUNT, Requests
from tests.keymaterial import NOT_AFTER, issue


@pytest.fixture
def certs(store: SqlStore, accounts: AccountService) -> ServerCertificateService:
    return ServerCertificateService(store)


def test_an_uploaded_certificate_has_iams_id_arn_and_its_expiry(certs: ServerCertificateService,
                                                               req: Requests) -> None:
    issued = issue()
    cert = certs.upload(req(ACCOUNT), "web", issued.certificate, issued.private_key, path="/cloudfront/",
                        chain=issued.chain, tags=[("team", "edge")])
    assert cert.certificate_id.startswith("ASCA") and len(cert.certificate_id) == 21
    assert cert.arn == f"arn:aws:iam::{ACCOUNT}:server-certificate/cloudfront/web"
    assert cert.expires_at == NOT_AFTER
    got = certs.get(req(ACCOUNT), "WEB")
    assert (got.body, got.chain, got.tags) == (issued.certificate, issued.chain, (("team", "edge"),))


def test_the_private_key_is_sealed_at_rest(certs: ServerCertificateService, req: Requests, store: SqlStore) -> None:
    issued = issue()
    certs.upload(req(ACCOUNT), "web", issued.certificate, issued.private_key)
    with store.write() as uow:  # the raw row, as a backup of the database would hold it
        row = uow.connection.execute(t.server_certificates.select()).one()
    assert row.private_key_sealed.startswith("v1:") and "PRIVATE KEY" not in row.private_key_sealed


def test_a_private_key_of_another_certificate_is_a_mismatch(certs: ServerCertificateService, req: Requests) -> None:
    with pytest.raises(KeyPairMismatch, match="do not match"):
        certs.upload(req(ACCOUNT), "web", issue().certificate, issue().private_key)


def test_a_chain_that_did_not_issue_the_certificate_is_malformed(certs: ServerCertificateService,
                                                                req: Requests) -> None:
    issued = issue()
    with pytest.raises(MalformedCertificate, match="chain"):
        certs.upload(req(ACCOUNT), "web", issued.certificate, issued.private_key, chain=issue().chain)


@pytest.mark.parametrize("field", ["certificate", "private_key", "chain"])
def test_unparsable_pem_is_malformed(certs: ServerCertificateService, req: Requests, field: str) -> None:
    issued = issue()
    values = {"certificate": issued.certificate, "private_key": issued.private_key, "chain": issued.chain,
              field: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"}
    with pytest.raises(MalformedCertificate):
        certs.upload(req(ACCOUNT), "web", values["certificate"], values["private_key"], chain=values["chain"])
    assert certs.list(req(ACCOUNT)).items == []


def test_an_expired_certificate_is_refused(certs: ServerCertificateService, req: Requests) -> None:
    issued = issue(not_before=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc),
                   not_after=dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc))
    with pytest.raises(MalformedCertificate, match="expired"):
        certs.upload(req(ACCOUNT), "old", issued.certificate, issued.private_key)


def test_names_are_unique_ignoring_case_and_the_account_quota_holds(store: SqlStore, accounts: AccountService,
                                                                     req: Requests) -> None:
    certs = ServerCertificateService(store, IamLimits(server_certificates_per_account=2))
    issued = issue()
    certs.upload(req(ACCOUNT), "web", issued.certificate, issued.private_key)
    with pytest.raises(EntityAlreadyExists, match="The Server Certificate with name Web already exists."):
        certs.upload(req(ACCOUNT), "Web", issued.certificate, issued.private_key)
    certs.upload(req(ACCOUNT), "api", issued.certificate, issued.private_key)
    with pytest.raises(LimitExceeded, match="ServerCertificatesPerAccount: 2"):
        certs.upload(req(ACCOUNT), "third", issued.certificate, issued.private_key)


def test_rename_moves_the_arn_and_delete_removes_it(certs: ServerCertificateService, req: Requests) -> None:
    issued = issue()
    certs.upload(req(ACCOUNT), "web", issued.certificate, issued.private_key)
    certs.update(req(ACCOUNT), "web", new_name="site", new_path="/edge/")
    assert certs.get(req(ACCOUNT), "site").arn == f"arn:aws:iam::{ACCOUNT}:server-certificate/edge/site"
    with pytest.raises(NoSuchEntity, match="The Server Certificate with name web cannot be found."):
        certs.get(req(ACCOUNT), "web")
    assert [c.name for c in certs.list(req(ACCOUNT), path_prefix="/edge/").items] == ["site"]
    certs.delete(req(ACCOUNT), "site")
    assert certs.list(req(ACCOUNT)).items == []
