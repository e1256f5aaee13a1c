"""An account's password policy and alias as the domain service keeps them: whole-policy replacement with
AWS's defaults, NoSuchEntity messages, aliases unique across accounts and one per account."""

from __future__ import annotations

import pytest

from rolegate.core.errors import EntityAlreadyExists, LimitExceeded, NoSuchEntity
from rolegate.iam.account_settings import AccountSettingsService
from rolegate.iam.accounts import AccountService
from rolegate.store.sql import SqlStore
from rolegate.authz import RequestContext

from .conftest import ACCOUNT, Requests

OTHER = "444455556666"


@pytest.fixture
def settings(store: SqlStore, accounts: AccountService, internal_request: RequestContext) -> AccountSettingsService:
    accounts.create_account(internal_request, "other", OTHER)
    return AccountSettingsService(store)


def test_without_a_custom_policy_get_is_no_such_entity(settings: AccountSettingsService, req: Requests) -> None:
    with pytest.raises(NoSuchEntity, match=f"^The Password Policy with domain name {ACCOUNT} cannot be found.$"):
        settings.get_password_policy(req(ACCOUNT))


def test_update_replaces_the_whole_policy_with_defaults_for_what_is_left_out(settings: AccountSettingsService,
                                                                             req: Requests) -> None:
    settings.update_password_policy(req(ACCOUNT), minimum_password_length=14, require_symbols=True,
                                    max_password_age=90, password_reuse_prevention=5, hard_expiry=True)
    first = settings.get_password_policy(req(ACCOUNT))
    assert (first.minimum_password_length, first.require_symbols, first.max_password_age,
            first.password_reuse_prevention, first.hard_expiry) == (14, True, 90, 5, True)
    settings.update_password_policy(req(ACCOUNT), require_numbers=True)
    second = settings.get_password_policy(req(ACCOUNT))
    assert (second.minimum_password_length, second.require_symbols, second.require_numbers,
            second.max_password_age, second.password_reuse_prevention, second.hard_expiry) == (
        6, False, True, None, None, False)


def test_a_policy_belongs_to_its_account(settings: AccountSettingsService, req: Requests) -> None:
    settings.update_password_policy(req(ACCOUNT), minimum_password_length=10)
    with pytest.raises(NoSuchEntity):
        settings.get_password_policy(req(OTHER))


def test_delete_removes_the_policy_and_a_second_delete_is_no_such_entity(settings: AccountSettingsService,
                                                                         req: Requests) -> None:
    settings.update_password_policy(req(ACCOUNT))
    settings.delete_password_policy(req(ACCOUNT))
    with pytest.raises(NoSuchEntity, match="^The account policy with name PasswordPolicy cannot be found.$"):
        settings.delete_password_policy(req(ACCOUNT))


def test_an_account_alias_is_listed_and_deleted(settings: AccountSettingsService, req: Requests) -> None:
    assert settings.list_aliases(req(ACCOUNT)).items == []
    settings.create_alias(req(ACCOUNT), "example-corp")
    assert settings.list_aliases(req(ACCOUNT)).items == ["example-corp"]
    settings.create_alias(req(ACCOUNT), "example-corp")  # again: nothing changes
    settings.delete_alias(req(ACCOUNT), "example-corp")
    assert settings.list_aliases(req(ACCOUNT)).items == []


def test_an_alias_another_account_holds_is_entity_already_exists(settings: AccountSettingsService,
                                                                 req: Requests) -> None:
    settings.create_alias(req(OTHER), "taken")
    with pytest.raises(EntityAlreadyExists, match="^The account alias taken already exists.$"):
        settings.create_alias(req(ACCOUNT), "taken")
    assert settings.list_aliases(req(ACCOUNT)).items == []


def test_an_account_has_one_alias(settings: AccountSettingsService, req: Requests) -> None:
    settings.create_alias(req(ACCOUNT), "first")
    with pytest.raises(LimitExceeded, match="^Cannot exceed quota for AccountAliasesPerAccount: 1.$"):
        settings.create_alias(req(ACCOUNT), "second")
    assert settings.list_aliases(req(ACCOUNT)).items == ["first"]


def test_deleting_an_alias_the_account_does_not_hold_is_no_such_entity(settings: AccountSettingsService,
                                                                       req: Requests) -> None:
    settings.create_alias(req(OTHER), "theirs")
    with pytest.raises(NoSuchEntity, match="^The account alias theirs cannot be found.$"):
        settings.delete_alias(req(ACCOUNT), "theirs")
    assert settings.list_aliases(req(OTHER)).items == ["theirs"]
