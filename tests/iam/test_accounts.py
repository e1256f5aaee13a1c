"""Accounts: ids, names and root keys whose secret is returned only when created."""

from __future__ import annotations

import pytest

from rolegate.authz import RequestContext
from rolegate.core import ids
from rolegate.core.errors import EntityAlreadyExists, InvalidInput
from rolegate.iam.accounts import AccountService


def test_a_new_account_gets_a_twelve_digit_id_and_a_root_key_that_encodes_it(accounts: AccountService,
                                                                             internal_request: RequestContext) -> None:
    new = accounts.create_account(internal_request, "prod")
    assert len(new.account.account_id) == 12 and new.account.account_id.isdigit()
    assert ids.account_of_access_key_id(new.root_key.access_key_id) == new.account.account_id
    assert len(new.root_key.secret_access_key) == 40


def test_account_names_are_unique(accounts: AccountService, internal_request: RequestContext) -> None:
    with pytest.raises(EntityAlreadyExists):
        accounts.create_account(internal_request, "test")


def test_an_account_id_must_be_twelve_digits(accounts: AccountService, internal_request: RequestContext) -> None:
    with pytest.raises(InvalidInput):
        accounts.create_account(internal_request, "x", "123")


def test_configured_root_credentials_are_used_as_given(accounts: AccountService,
                                                       internal_request: RequestContext) -> None:
    new = accounts.create_account(internal_request, "given", "222233334444", root_access_key_id="AKIAGIVENGIVENGIVEN0",
                                  root_secret_access_key="s" * 40)
    assert accounts.access_key("AKIAGIVENGIVENGIVEN0") == new.root_key
