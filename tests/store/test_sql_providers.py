"""The provider and service-role-deletion repositories' contracts, as every backend must honour them."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from rolegate.store.ports import DuplicateKeyError
from rolegate.iam.entities import (
    AccountRecord,
    OidcProviderRecord,
    SamlProviderRecord,
    ServiceRoleDeletionRecord,
)
from rolegate.store.sql import SqlStore

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
A = "111122223333"
OIDC = f"arn:aws:iam::{A}:oidc-provider/idp.example.com"
SAML = f"arn:aws:iam::{A}:saml-provider/Okta"


def _account(store: SqlStore) -> None:
    with store.write() as tx:
        tx.accounts.create(AccountRecord(A, "a", T0))


def test_oidc_provider_round_trips_lists_and_tags(store: SqlStore) -> None:
    _account(store)
    p = OidcProviderRecord(account_id=A, arn=OIDC, url="idp.example.com", created_at=T0, client_ids=("x", "y"),
                           thumbprints=("a" * 40,), tags=(("k", "v"),))
    with store.write() as tx:
        tx.oidc_providers.create(p)
    with store.read() as tx:
        assert tx.oidc_providers.get(OIDC) == p
        assert tx.oidc_providers.list_for_account(A) == [p] and tx.oidc_providers.count(A) == 1
    with pytest.raises(DuplicateKeyError), store.write() as tx:
        tx.oidc_providers.create(p)


def test_oidc_update_and_delete(store: SqlStore) -> None:
    _account(store)
    p = OidcProviderRecord(account_id=A, arn=OIDC, url="idp.example.com", created_at=T0, tags=(("k", "v"),))
    with store.write() as tx:
        tx.oidc_providers.create(p)
        tx.oidc_providers.update(dataclasses.replace(p, client_ids=("z",), tags=()))
    with store.read() as tx:
        got = tx.oidc_providers.get(OIDC)
        assert got is not None and got.client_ids == ("z",) and got.tags == ()
    with store.write() as tx:
        tx.oidc_providers.delete(OIDC)
    with store.read() as tx:
        assert tx.oidc_providers.get(OIDC) is None


def test_saml_provider_round_trips_with_certificates_and_validity(store: SqlStore) -> None:
    _account(store)
    p = SamlProviderRecord(account_id=A, arn=SAML, name="Okta", metadata_document="<x/>", created_at=T0,
                           valid_until=T0 + dt.timedelta(days=1), signing_certificates=("MIIB", "MIIC"),
                           tags=(("k", "v"),))
    with store.write() as tx:
        tx.saml_providers.create(p)
    with store.read() as tx:
        assert tx.saml_providers.get(SAML) == p and tx.saml_providers.list_for_account(A) == [p]
    with store.write() as tx:
        tx.saml_providers.update(dataclasses.replace(p, metadata_document="<y/>", signing_certificates=("MIID",),
                                                     valid_until=None))
    with store.read() as tx:
        got = tx.saml_providers.get(SAML)
        assert got is not None and got.signing_certificates == ("MIID",) and got.valid_until is None
    with store.write() as tx:
        tx.saml_providers.delete(SAML)
    with store.read() as tx:
        assert tx.saml_providers.get(SAML) is None and tx.saml_providers.count(A) == 0


def test_service_role_deletion_task_round_trips(store: SqlStore) -> None:
    _account(store)
    task = ServiceRoleDeletionRecord(task_id="task/aws-service-role/ecs.amazonaws.com/R/1", account_id=A,
                                     role_name="R", status="SUCCEEDED", created_at=T0)
    with store.write() as tx:
        tx.service_role_deletions.create(task)
    with store.read() as tx:
        assert tx.service_role_deletions.get(task.task_id) == task
        assert tx.service_role_deletions.get("task/none") is None
