"""OIDC and SAML provider entities: URL and list rules, uniqueness, quotas, tags, metadata parsing."""

from __future__ import annotations

import datetime as dt

import pytest

from rolegate.authz import RequestContext
from rolegate.core.clock import FixedClock
from rolegate.core.errors import EntityAlreadyExists, InvalidInput, LimitExceeded, NoSuchEntity
from rolegate.iam.accounts import AccountService
from rolegate.iam.limits import IamLimits
from rolegate.iam.providers import ProviderService
from rolegate.store.sql import SqlStore
from tests.federation.saml_fixtures import BILLION_LAUGHS, idp_metadata, self_signed_certificate_b64, xxe_document

from .conftest import ACCOUNT
from tests.iam.conftest import Requests

PRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"


@pytest.fixture
def providers(store: SqlStore, clock: FixedClock, accounts: AccountService) -> ProviderService:
    return ProviderService(store)


def oidc_arn(host_path: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host_path}"


def test_oidc_provider_arn_and_url_drop_the_scheme(providers: ProviderService, req: Requests) -> None:
    p = providers.create_oidc_provider(req(ACCOUNT), "https://idp.example.com/tenant", client_ids=["a", "b", "a"],
                                       thumbprints=[PRINT.upper()], tags=[("k", "v")])
    assert p.arn == oidc_arn("idp.example.com/tenant")
    got = providers.get_oidc_provider(req(ACCOUNT), p.arn)
    assert got.url == "idp.example.com/tenant"
    assert got.client_ids == ("a", "b") and got.thumbprints == (PRINT,) and got.tags == (("k", "v"),)


def test_thumbprints_are_optional(providers: ProviderService, req: Requests) -> None:
    assert providers.create_oidc_provider(req(ACCOUNT), "https://no-prints.example.com").thumbprints == ()


@pytest.mark.parametrize("url", [
    "http://idp.example.com", "idp.example.com", "https://idp.example.com:8443", "https://idp.example.com?x=1",
    "https://idp.example.com#frag", "https://", "https://user@idp.example.com"])
def test_oidc_urls_outside_the_documented_form_are_invalid_input(providers: ProviderService, url: str,
                                                                 req: Requests) -> None:
    with pytest.raises(InvalidInput):
        providers.create_oidc_provider(req(ACCOUNT), url)
    assert providers.list_oidc_providers(req(ACCOUNT)) == []


def test_the_same_url_twice_is_entity_already_exists(providers: ProviderService, req: Requests) -> None:
    providers.create_oidc_provider(req(ACCOUNT), "https://dup.example.com")
    with pytest.raises(EntityAlreadyExists):
        providers.create_oidc_provider(req(ACCOUNT), "https://dup.example.com")


def test_more_than_five_thumbprints_or_non_hex_ones_are_refused(providers: ProviderService, req: Requests) -> None:
    with pytest.raises(LimitExceeded):
        providers.create_oidc_provider(req(ACCOUNT), "https://a.example.com",
                                       thumbprints=[f"{i}" * 40 for i in range(6)])
    with pytest.raises(InvalidInput):
        providers.create_oidc_provider(req(ACCOUNT), "https://a.example.com", thumbprints=["z" * 40])


def test_more_than_100_client_ids_are_refused(providers: ProviderService, req: Requests) -> None:
    with pytest.raises(LimitExceeded):
        providers.create_oidc_provider(req(ACCOUNT), "https://a.example.com", client_ids=[str(i) for i in range(101)])
    p = providers.create_oidc_provider(req(ACCOUNT), "https://a.example.com", client_ids=[str(i) for i in range(100)])
    with pytest.raises(LimitExceeded):
        providers.add_client_id(req(ACCOUNT), p.arn, "one-too-many")


def test_the_account_quota_of_oidc_providers_is_enforced(store: SqlStore, clock: FixedClock,
                                                         accounts: AccountService, req: Requests) -> None:
    small = ProviderService(store, IamLimits(oidc_providers_per_account=1))
    small.create_oidc_provider(req(ACCOUNT), "https://one.example.com")
    with pytest.raises(LimitExceeded):
        small.create_oidc_provider(req(ACCOUNT), "https://two.example.com")


def test_client_ids_are_added_idempotently_and_removed_idempotently(providers: ProviderService, req: Requests) -> None:
    arn = providers.create_oidc_provider(req(ACCOUNT), "https://c.example.com", client_ids=["a"]).arn
    providers.add_client_id(req(ACCOUNT), arn, "b")
    providers.add_client_id(req(ACCOUNT), arn, "b")
    assert providers.get_oidc_provider(req(ACCOUNT), arn).client_ids == ("a", "b")
    providers.remove_client_id(req(ACCOUNT), arn, "a")
    providers.remove_client_id(req(ACCOUNT), arn, "not-there")
    assert providers.get_oidc_provider(req(ACCOUNT), arn).client_ids == ("b",)


def test_thumbprints_are_replaced(providers: ProviderService, req: Requests) -> None:
    arn = providers.create_oidc_provider(req(ACCOUNT), "https://t.example.com", thumbprints=[PRINT]).arn
    providers.update_thumbprints(req(ACCOUNT), arn, ["a" * 40, "b" * 40])
    assert providers.get_oidc_provider(req(ACCOUNT), arn).thumbprints == ("a" * 40, "b" * 40)


def test_delete_oidc_provider_is_idempotent_but_get_of_missing_is_no_such_entity(
        providers: ProviderService, req: Requests) -> None:
    arn = providers.create_oidc_provider(req(ACCOUNT), "https://d.example.com", tags=[("k", "v")]).arn
    providers.delete_oidc_provider(req(ACCOUNT), arn)
    providers.delete_oidc_provider(req(ACCOUNT), arn)
    with pytest.raises(NoSuchEntity, match="OpenIDConnect Provider not found for arn"):
        providers.get_oidc_provider(req(ACCOUNT), arn)


def test_a_malformed_provider_arn_is_invalid_input(providers: ProviderService, req: Requests) -> None:
    with pytest.raises(InvalidInput):
        providers.get_oidc_provider(req(ACCOUNT), f"arn:aws:iam::{ACCOUNT}:role/NotAProvider")


def test_another_accounts_provider_is_not_visible(providers: ProviderService, accounts: AccountService, req: Requests,
                                                  internal_request: RequestContext) -> None:
    accounts.create_account(internal_request, "other", "444455556666")
    arn = providers.create_oidc_provider(req("444455556666"), "https://o.example.com").arn
    with pytest.raises(NoSuchEntity):
        providers.get_oidc_provider(req(ACCOUNT), arn)


def test_oidc_tags_merge_and_untag(providers: ProviderService, req: Requests) -> None:
    arn = providers.create_oidc_provider(req(ACCOUNT), "https://g.example.com", tags=[("A", "1")]).arn
    providers.tag_oidc_provider(req(ACCOUNT), arn, [("a", "2"), ("b", "3")])
    providers.untag_oidc_provider(req(ACCOUNT), arn, ["B"])
    assert providers.get_oidc_provider(req(ACCOUNT), arn).tags == (("a", "2"),)


# --- SAML ----------------------------------------------------------------------------------------


def test_saml_provider_stores_the_document_its_signing_certificates_and_validity(
        providers: ProviderService, req: Requests) -> None:
    cert = self_signed_certificate_b64()
    doc = idp_metadata(cert, valid_until="2090-01-02T03:04:05Z")
    p = providers.create_saml_provider(req(ACCOUNT), "Okta", doc, tags=[("k", "v")])
    assert p.arn == f"arn:aws:iam::{ACCOUNT}:saml-provider/Okta"
    got = providers.get_saml_provider(req(ACCOUNT), p.arn)
    assert got.metadata_document == doc and got.signing_certificates == (cert,)
    assert got.valid_until == dt.datetime(2090, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    assert got.tags == (("k", "v"),)


@pytest.mark.parametrize("document", [BILLION_LAUGHS, xxe_document(), "not xml " * 200,
                                      idp_metadata(use="encryption"), idp_metadata("QUJD")])
def test_bad_metadata_is_invalid_input_and_creates_nothing(providers: ProviderService, document: str,
                                                           req: Requests) -> None:
    with pytest.raises(InvalidInput, match="Invalid SAML metadata document"):
        providers.create_saml_provider(req(ACCOUNT), "Bad", document)
    assert providers.list_saml_providers(req(ACCOUNT)) == []


def test_metadata_that_has_already_expired_is_refused(providers: ProviderService, req: Requests) -> None:
    with pytest.raises(InvalidInput, match="in the past"):
        providers.create_saml_provider(req(ACCOUNT), "Old", idp_metadata(valid_until="2020-01-01T00:00:00Z"))


def test_the_same_saml_name_twice_is_entity_already_exists(providers: ProviderService, req: Requests) -> None:
    providers.create_saml_provider(req(ACCOUNT), "Dup", idp_metadata())
    with pytest.raises(EntityAlreadyExists):
        providers.create_saml_provider(req(ACCOUNT), "Dup", idp_metadata())


def test_the_account_quota_of_saml_providers_is_enforced(store: SqlStore, clock: FixedClock,
                                                         accounts: AccountService, req: Requests) -> None:
    small = ProviderService(store, IamLimits(saml_providers_per_account=1))
    small.create_saml_provider(req(ACCOUNT), "One", idp_metadata())
    with pytest.raises(LimitExceeded):
        small.create_saml_provider(req(ACCOUNT), "Two", idp_metadata())


def test_update_replaces_the_metadata_and_certificates_and_bad_updates_change_nothing(
        providers: ProviderService, req: Requests) -> None:
    arn = providers.create_saml_provider(req(ACCOUNT), "Rot", idp_metadata()).arn
    new_cert = self_signed_certificate_b64("new")
    providers.update_saml_provider(req(ACCOUNT), arn, idp_metadata(new_cert))
    assert providers.get_saml_provider(req(ACCOUNT), arn).signing_certificates == (new_cert,)
    with pytest.raises(InvalidInput):
        providers.update_saml_provider(req(ACCOUNT), arn, BILLION_LAUGHS)
    assert providers.get_saml_provider(req(ACCOUNT), arn).signing_certificates == (new_cert,)


def test_delete_saml_provider_then_it_is_gone(providers: ProviderService, req: Requests) -> None:
    arn = providers.create_saml_provider(req(ACCOUNT), "Gone", idp_metadata()).arn
    providers.delete_saml_provider(req(ACCOUNT), arn)
    with pytest.raises(NoSuchEntity):
        providers.get_saml_provider(req(ACCOUNT), arn)
    with pytest.raises(NoSuchEntity):
        providers.delete_saml_provider(req(ACCOUNT), arn)


def test_saml_tags_merge_and_untag(providers: ProviderService, req: Requests) -> None:
    arn = providers.create_saml_provider(req(ACCOUNT), "Tagged", idp_metadata()).arn
    providers.tag_saml_provider(req(ACCOUNT), arn, [("a", "1"), ("b", "2")])
    providers.untag_saml_provider(req(ACCOUNT), arn, ["a"])
    assert providers.get_saml_provider(req(ACCOUNT), arn).tags == (("b", "2"),)
