"""Access keys' rules, below the wire: quota, ownership, status, deletion and throttled last-use recording."""

from __future__ import annotations

import datetime as dt

import pytest

from rolegate.authz import RequestContext
from rolegate.core.clock import FixedClock
from rolegate.core.errors import AccessDenied, InvalidInput, LimitExceeded, NoSuchEntity
from rolegate.core.ids import account_of_access_key_id
from rolegate.iam.access_keys import AccessKeyService
from rolegate.iam.accounts import AccountService
from rolegate.iam.users import UserService
from rolegate.store.sql import SqlStore

from .conftest import ACCOUNT
from tests.iam.conftest import Requests



@pytest.fixture
def users(store: SqlStore, clock: FixedClock, accounts: AccountService) -> UserService:
    return UserService(store)


@pytest.fixture
def keys(store: SqlStore, clock: FixedClock, accounts: AccountService) -> AccessKeyService:
    return AccessKeyService(store, clock)


def test_a_new_key_is_active_encodes_its_account_and_carries_a_secret_once(
        keys: AccessKeyService, users: UserService, req: Requests) -> None:
    user = users.create_user(req(ACCOUNT), "u")
    owned = keys.create_access_key(req(ACCOUNT), "u")
    assert owned.user == user and owned.key.user_id == user.user_id and owned.key.status == "Active"
    assert owned.key.access_key_id.startswith("AKIA") and account_of_access_key_id(owned.key.access_key_id) == ACCOUNT
    assert len(owned.key.secret_access_key) == 40


def test_a_user_may_hold_at_most_two_keys(keys: AccessKeyService, users: UserService, req: Requests) -> None:
    users.create_user(req(ACCOUNT), "u")
    keys.create_access_key(req(ACCOUNT), "u")
    keys.create_access_key(req(ACCOUNT), "u")
    with pytest.raises(LimitExceeded, match="Cannot exceed quota for AccessKeysPerUser: 2"):
        keys.create_access_key(req(ACCOUNT), "u")


def test_without_a_user_name_the_key_belongs_to_root(keys: AccessKeyService, req: Requests) -> None:
    owned = keys.create_access_key(req(ACCOUNT), None)  # the account already has one root key
    assert owned.user is None and owned.key.user_id is None
    with pytest.raises(LimitExceeded):
        keys.create_access_key(req(ACCOUNT), None)


def test_a_key_for_a_missing_user_is_no_such_entity(keys: AccessKeyService, req: Requests) -> None:
    with pytest.raises(NoSuchEntity, match="The user with name ghost cannot be found."):
        keys.create_access_key(req(ACCOUNT), "ghost")


def test_status_changes_and_deletion_need_the_owning_user(keys: AccessKeyService, users: UserService,
                                                          req: Requests) -> None:
    users.create_user(req(ACCOUNT), "a")
    users.create_user(req(ACCOUNT), "b")
    key = keys.create_access_key(req(ACCOUNT), "a").key
    with pytest.raises(NoSuchEntity, match=f"The Access Key with id {key.access_key_id} cannot be found."):
        keys.update_access_key(req(ACCOUNT), "b", key.access_key_id, "Inactive")
    with pytest.raises(NoSuchEntity):
        keys.delete_access_key(req(ACCOUNT), None, key.access_key_id)  # not a root key
    keys.update_access_key(req(ACCOUNT), "a", key.access_key_id, "Inactive")
    assert keys.credential(key.access_key_id).key.status == "Inactive"  # type: ignore[union-attr]
    keys.delete_access_key(req(ACCOUNT), "a", key.access_key_id)
    assert keys.credential(key.access_key_id) is None


def test_expired_is_not_a_status_a_caller_may_set(keys: AccessKeyService, users: UserService, req: Requests) -> None:
    users.create_user(req(ACCOUNT), "u")
    key = keys.create_access_key(req(ACCOUNT), "u").key
    with pytest.raises(InvalidInput):
        keys.update_access_key(req(ACCOUNT), "u", key.access_key_id, "Expired")


def test_list_access_keys_names_the_owner_and_pages(keys: AccessKeyService, users: UserService, req: Requests) -> None:
    user = users.create_user(req(ACCOUNT), "u")
    first_key = keys.create_access_key(req(ACCOUNT), "u").key
    second_key = keys.create_access_key(req(ACCOUNT), "u").key
    owner, page = keys.list_access_keys(req(ACCOUNT), "u", max_items=1)
    _, rest = keys.list_access_keys(req(ACCOUNT), "u", max_items=1, marker=page.marker)
    assert owner == user
    assert {k.access_key_id for k in page.items + rest.items} == {first_key.access_key_id, second_key.access_key_id}
    assert page.is_truncated and not rest.is_truncated


def test_credential_returns_the_key_with_its_owner(keys: AccessKeyService, users: UserService, req: Requests) -> None:
    user = users.create_user(req(ACCOUNT), "u")
    key = keys.create_access_key(req(ACCOUNT), "u").key
    owned = keys.credential(key.access_key_id)
    assert owned is not None and owned.user == user and owned.key.secret_access_key == key.secret_access_key
    assert keys.credential("AKIAUNKNOWNUNKNOWN00") is None


def test_a_never_used_key_has_no_last_use(keys: AccessKeyService, users: UserService, req: Requests) -> None:
    users.create_user(req(ACCOUNT), "u")
    key = keys.create_access_key(req(ACCOUNT), "u").key
    got = keys.get_access_key_last_used(req(ACCOUNT), key.access_key_id).key
    assert got.last_used_at is None and got.last_used_service is None and got.last_used_region is None


def test_last_use_of_a_key_outside_the_account_is_access_denied(keys: AccessKeyService,
                                                                 accounts: AccountService,
                                                                 req: Requests,
                                                                 internal_request: RequestContext) -> None:
    other = accounts.create_account(internal_request, "other", "999988887777").root_key
    with pytest.raises(AccessDenied):
        keys.get_access_key_last_used(req(ACCOUNT), other.access_key_id)
    with pytest.raises(AccessDenied):
        keys.get_access_key_last_used(req(ACCOUNT), "AKIAUNKNOWNUNKNOWN00")


def _use(keys: AccessKeyService, key_id: str, service: str = "iam", region: str = "eu-west-1") -> bool:
    owned = keys.credential(key_id)
    assert owned is not None
    return keys.record_use(owned.key, service, region)


def test_first_use_is_recorded_with_service_region_and_time(
        keys: AccessKeyService, users: UserService, clock: FixedClock, req: Requests) -> None:
    users.create_user(req(ACCOUNT), "u")
    key = keys.create_access_key(req(ACCOUNT), "u").key
    assert _use(keys, key.access_key_id, "sts", "eu-west-1") is True
    got = keys.get_access_key_last_used(req(ACCOUNT), key.access_key_id).key
    assert (got.last_used_at, got.last_used_service, got.last_used_region) == (clock.now(), "sts", "eu-west-1")


def test_uses_within_the_interval_write_nothing_and_later_ones_do(
        keys: AccessKeyService, users: UserService, clock: FixedClock, req: Requests) -> None:
    users.create_user(req(ACCOUNT), "u")
    key = keys.create_access_key(req(ACCOUNT), "u").key
    start = clock.now()
    assert _use(keys, key.access_key_id) is True
    clock.advance(60)
    assert _use(keys, key.access_key_id, "sts") is False
    assert keys.get_access_key_last_used(req(ACCOUNT), key.access_key_id).key.last_used_at == start
    clock.advance(5 * 60)
    assert _use(keys, key.access_key_id, "sts") is True
    got = keys.get_access_key_last_used(req(ACCOUNT), key.access_key_id).key
    assert got.last_used_at == start + dt.timedelta(seconds=360) and got.last_used_service == "sts"


def test_the_stored_last_use_throttles_another_process_too(
        keys: AccessKeyService, users: UserService, store: SqlStore, clock: FixedClock, req: Requests) -> None:
    users.create_user(req(ACCOUNT), "u")
    key = keys.create_access_key(req(ACCOUNT), "u").key
    assert _use(keys, key.access_key_id) is True
    other_node = AccessKeyService(store, clock)  # no in-process memory of the first write
    assert _use(other_node, key.access_key_id) is False


def test_a_burst_that_read_the_key_before_the_first_write_writes_once(
        keys: AccessKeyService, users: UserService, req: Requests) -> None:
    users.create_user(req(ACCOUNT), "u")
    key = keys.create_access_key(req(ACCOUNT), "u").key
    stale = keys.credential(key.access_key_id)
    assert stale is not None
    results = [keys.record_use(stale.key, "iam", "us-east-1") for _ in range(5)]
    assert results == [True, False, False, False, False]
