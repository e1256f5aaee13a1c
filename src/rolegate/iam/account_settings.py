"""What an account has one of: its password policy (GetAccountPasswordPolicy, UpdateAccountPasswordPolicy,
DeleteAccountPasswordPolicy) and its alias (CreateAccountAlias, DeleteAccountAlias, ListAccountAliases).

UpdateAccountPasswordPolicy replaces the whole policy: "If you do not specify a value for a parameter, then
the operation uses the default value" (IAM API reference, UpdateAccountPasswordPolicy). Aliases are unique
across every account of the server, and an account has at most one ("Aliases per AWS account: 1", IAM User
Guide, "IAM and AWS STS quotas").
"""

from __future__ import annotations

from rolegate.authz import RequestContext
from rolegate.core.errors import EntityAlreadyExists, LimitExceeded, NoSuchEntity
from rolegate.core.pagination import Page
from rolegate.store.ports import DuplicateKeyError

from .entities import PasswordPolicyRecord
from .paging import page_by_position
from .ports import IamStore

ALIASES_PER_ACCOUNT = 1


class AccountSettingsService:
    def __init__(self, store: IamStore) -> None:
        self._store = store

    # --- password policy -----------------------------------------------------------------------------

    def get_password_policy(self, request: RequestContext) -> PasswordPolicyRecord:
        with self._store.read() as tx:
            policy = tx.account_settings.get_password_policy(request.account_id)
        if policy is None:
            raise NoSuchEntity(f"The Password Policy with domain name {request.account_id} cannot be found.")
        return policy

    def update_password_policy(self, request: RequestContext, *, minimum_password_length: int | None = None,
                               require_symbols: bool | None = None, require_numbers: bool | None = None,
                               require_uppercase_characters: bool | None = None,
                               require_lowercase_characters: bool | None = None,
                               allow_users_to_change_password: bool | None = None,
                               max_password_age: int | None = None, password_reuse_prevention: int | None = None,
                               hard_expiry: bool | None = None) -> PasswordPolicyRecord:
        # Each member left out takes its default, not the current policy's value (a whole-policy replace).
        policy = PasswordPolicyRecord(
            account_id=request.account_id, minimum_password_length=minimum_password_length or 6,
            require_symbols=bool(require_symbols), require_numbers=bool(require_numbers),
            require_uppercase_characters=bool(require_uppercase_characters),
            require_lowercase_characters=bool(require_lowercase_characters),
            allow_users_to_change_password=bool(allow_users_to_change_password),
            max_password_age=max_password_age, password_reuse_prevention=password_reuse_prevention,
            hard_expiry=bool(hard_expiry))
        with self._store.write() as tx:
            tx.account_settings.put_password_policy(policy)
        return policy

    def delete_password_policy(self, request: RequestContext) -> None:
        with self._store.write() as tx:
            if not tx.account_settings.delete_password_policy(request.account_id):
                raise NoSuchEntity("The account policy with name PasswordPolicy cannot be found.")

    # --- alias ---------------------------------------------------------------------------------------

    def create_alias(self, request: RequestContext, alias: str) -> None:
        """The model checks the alias's form (3-63 characters of ``a-z0-9`` and single hyphens, no hyphen at
        either end); here: the alias is not another account's, and this account has no other."""
        with self._store.write() as tx:
            holder = tx.account_settings.account_with_alias(alias)
            if holder == request.account_id:
                return  # already this account's alias: nothing changes
            if holder is not None:
                raise _alias_taken(alias)
            if tx.account_settings.get_alias(request.account_id) is not None:
                raise LimitExceeded(f"Cannot exceed quota for AccountAliasesPerAccount: {ALIASES_PER_ACCOUNT}.")
            try:
                tx.account_settings.set_alias(request.account_id, alias)
            except DuplicateKeyError:  # another account took it between our read and write
                raise _alias_taken(alias) from None

    def delete_alias(self, request: RequestContext, alias: str) -> None:
        with self._store.write() as tx:
            if tx.account_settings.get_alias(request.account_id) != alias:
                raise NoSuchEntity(f"The account alias {alias} cannot be found.")
            tx.account_settings.delete_alias(request.account_id)

    def list_aliases(self, request: RequestContext, *, marker: str | None = None,
                     max_items: int | None = None) -> Page[str]:
        with self._store.read() as tx:
            alias = tx.account_settings.get_alias(request.account_id)
        return page_by_position([alias] if alias else [], marker, max_items)


def _alias_taken(alias: str) -> EntityAlreadyExists:
    return EntityAlreadyExists(f"The account alias {alias} already exists.")
