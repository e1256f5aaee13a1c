"""Long-term access keys of IAM users and of the root user: create, activate/deactivate, delete, list, last
use, and the lookup request authentication needs (IAM API reference: CreateAccessKey … GetAccessKeyLastUsed).

A key names its owner by ``user_id`` (None: the account's root user). The secret exists in plaintext only in
the CreateAccessKey response and in memory; the store keeps it sealed. Last use is recorded at most once per
key per ``last_used_interval`` (see ``record_use``), so authentication does not write on every request.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

from rolegate.authz import RequestContext
from rolegate.core import ids
from rolegate.core.bookkeeping import Bookkeeping
from rolegate.core.arns import DEFAULT_PARTITION
from rolegate.core.clock import Clock
from rolegate.core.errors import AccessDenied, InvalidInput, LimitExceeded, NoSuchEntity
from rolegate.core.pagination import Page

from .entities import AccessKeyRecord, UserRecord
from .limits import DEFAULT_LIMITS, IamLimits
from .paging import page_by_position
from .ports import AccessKeyStore, AccessKeyTransaction
from .users import existing_user

ACTIVE = "Active"
INACTIVE = "Inactive"

# How stale a recorded last use may get. AWS itself documents last-used data as eventually consistent
# (IAM User Guide, "Access keys" → last used information), so minutes of lag are faithful enough.
DEFAULT_LAST_USED_INTERVAL = dt.timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class KeyOwner:
    """A key and the user who owns it (None: the account's root user)."""

    key: AccessKeyRecord
    user: UserRecord | None
    # The partition of the key's account, as ``key_owner`` (authentication's lookup) reads it: a key works only
    # for requests signed for a region of that partition.
    partition: str = DEFAULT_PARTITION


class AccessKeyService:
    def __init__(self, store: AccessKeyStore, clock: Clock, limits: IamLimits = DEFAULT_LIMITS, *,
                 last_used_interval: dt.timedelta = DEFAULT_LAST_USED_INTERVAL,
                 bookkeeping: Bookkeeping[Any] | None = None) -> None:
        self._store = store
        self._clock = clock
        self._limits = limits
        # Where last use is written, off the request (``rolegate.core.bookkeeping``); None: written in line.
        self._bookkeeping = bookkeeping
        self._interval = last_used_interval
        self._recorded: dict[str, dt.datetime] = {}  # key id -> last use this process wrote
        self._recorded_lock = threading.Lock()

    # --- management ------------------------------------------------------------------------------

    def create_access_key(self, request: RequestContext, user_name: str | None) -> KeyOwner:
        """A new active key for the named user, or for the root user when ``user_name`` is None.

        The returned record carries the secret: the caller shows it once and never stores or logs it.
        """
        now = request.timestamp
        with self._store.write() as tx:
            user = existing_user(tx, request.account_id, user_name) if user_name is not None else None
            user_id = user.user_id if user else None
            if len(tx.access_keys.list_for_user(request.account_id, user_id)) >= self._limits.access_keys_per_user:
                raise LimitExceeded(f"Cannot exceed quota for AccessKeysPerUser: {self._limits.access_keys_per_user}")
            key = AccessKeyRecord(access_key_id=ids.new_access_key_id(request.account_id),
                                  account_id=request.account_id,
                                  secret_access_key=ids.new_secret_access_key(), status=ACTIVE,
                                  created_at=now, user_id=user_id)
            tx.access_keys.create(key)
        return KeyOwner(key, user)

    def update_access_key(self, request: RequestContext, user_name: str | None, access_key_id: str,
                          status: str) -> None:
        """Activate or deactivate a key; a deactivated key stops authenticating with the next request."""
        if status not in (ACTIVE, INACTIVE):
            # The model's enum also has "Expired", which only AWS sets (IAM API reference, UpdateAccessKey).
            raise InvalidInput(f"Invalid status {status} for an access key: use Active or Inactive.")
        with self._store.write() as tx:
            owned = _owned_key(tx, request.account_id, user_name, access_key_id)
            tx.access_keys.set_status(owned.key.access_key_id, status)

    def delete_access_key(self, request: RequestContext, user_name: str | None, access_key_id: str) -> None:
        with self._store.write() as tx:
            owned = _owned_key(tx, request.account_id, user_name, access_key_id)
            tx.access_keys.delete(owned.key.access_key_id)

    def list_access_keys(self, request: RequestContext, user_name: str | None, *, marker: str | None = None,
                         max_items: int | None = None) -> tuple[UserRecord | None, Page[AccessKeyRecord]]:
        """The owner and a page of its keys, oldest first. Records carry secrets: never return them."""
        with self._store.read() as tx:
            user = existing_user(tx, request.account_id, user_name) if user_name is not None else None
            keys = tx.access_keys.list_for_user(request.account_id, user.user_id if user else None)
        return user, page_by_position(keys, marker, max_items)

    def get_access_key_last_used(self, request: RequestContext, access_key_id: str) -> KeyOwner:
        """The key (with its last use) and owner, if the key is in the caller's account.

        The operation models no NoSuchEntity: AWS authorizes it against the key's owner, so a key that is
        not in the caller's account (or does not exist) is refused with AccessDenied.
        """
        if self._bookkeeping is not None:
            self._bookkeeping.catch_up()
        with self._store.read() as tx:
            key = tx.access_keys.get(access_key_id)
            if key is None or key.account_id != request.account_id:
                raise AccessDenied(f"User: {request.signed_caller().arn} is not authorized to perform: "
                                   f"iam:GetAccessKeyLastUsed on resource: access key {access_key_id}")
            return KeyOwner(key, tx.users.get(key.user_id) if key.user_id else None)

    # --- authentication --------------------------------------------------------------------------

    def credential(self, access_key_id: str) -> KeyOwner | None:
        """The key with this id and its owner, active or not (the authenticator decides), in one read."""
        with self._store.read() as tx:
            return key_owner(tx, access_key_id)

    def record_use(self, key: AccessKeyRecord, service: str, region: str) -> bool:
        """Note that ``key`` authenticated a request now; True when that was written to the store.

        Writing on every request would put a serialized write on the hot path of every call. Instead a
        use is written only when the last recorded one is older than the interval: the stored time (read
        with the key, so it covers other processes and nodes) and this process's own last write (which
        covers a burst of concurrent requests that all read the key before the first write committed).
        The store also never moves the time backwards. Cost: at most one write per key per interval per
        process; GetAccessKeyLastUsed may lag by up to the interval, as AWS's own data lags.
        """
        now = self._clock.now()
        with self._recorded_lock:
            previous = max((t for t in (key.last_used_at, self._recorded.get(key.access_key_id)) if t),
                           default=None)
            if previous is not None and now - previous < self._interval:
                return False
            self._recorded[key.access_key_id] = now
        key_id, when = key.access_key_id, now.replace(microsecond=0)
        if self._bookkeeping is not None:
            self._bookkeeping.submit(lambda tx: tx.access_keys.record_use(key_id, when, service, region))
            return True
        with self._store.write() as tx:
            tx.access_keys.record_use(key_id, when, service, region)
        return True


def key_owner(tx: AccessKeyTransaction, access_key_id: str) -> KeyOwner | None:
    """The key with this id and its owner (None when there is no such key)."""
    key = tx.access_keys.get(access_key_id)
    if key is None:
        return None
    account = tx.accounts.get(key.account_id)
    return KeyOwner(key, tx.users.get(key.user_id) if key.user_id else None,
                    account.partition if account is not None else DEFAULT_PARTITION)


def _owned_key(tx: AccessKeyTransaction, account_id: str, user_name: str | None, access_key_id: str) -> KeyOwner:
    """The key if it belongs to the named user (or to root when ``user_name`` is None), else NoSuchEntity."""
    user = existing_user(tx, account_id, user_name) if user_name is not None else None
    key = tx.access_keys.get(access_key_id)
    if key is None or key.account_id != account_id or key.user_id != (user.user_id if user else None):
        raise NoSuchEntity(f"The Access Key with id {access_key_id} cannot be found.")
    return KeyOwner(key, user)

