"""The IAM user lifecycle: create, read, list, rename and delete users, their tags, permissions boundary and
inline policies, with IAM's rules and messages (IAM API reference for each operation).

Input has already passed the wire layer's model checks (patterns, lengths); this module enforces what a
model cannot state: case-insensitive uniqueness, quotas, what blocks a deletion, policy grammar and size.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from rolegate.authz import RequestContext
from rolegate.core import ids
from rolegate.core.arns import DEFAULT_PARTITION, iam_arn
from rolegate.core.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity, ValidationError
from rolegate.core.pagination import Page, decode_marker
from rolegate.store.ports import DuplicateKeyError

from . import inline_policies
from .entities import UserRecord
from .limits import DEFAULT_LIMITS, IamLimits
from .paging import page_by_position, page_limit, page_of_rows
from .policy_lookup import check_boundary_arn, check_permissions_boundary
from .ports import HasUsers, IamStore
from .tags import check_new_tags, merge_tags, remove_tags
from .trust_binding import unbind_deleted_principal


def user_arn(account_id: str, name: str, path: str = "/", partition: str = DEFAULT_PARTITION) -> str:
    return iam_arn(account_id, "user", path, name, partition)


def implied_user_name(user_name: str | None, principal_type: str, caller_user_name: str | None) -> str | None:
    """The user an operation means: ``user_name`` if given, else the calling user; ``None`` for the root user.

    Other principals (role sessions, federated users) must name the user (IAM API reference, GetUser:
    "IAM determines the user name implicitly based on the access key ID used to sign the request").
    """
    if user_name:
        return user_name
    if principal_type == "User":
        return caller_user_name
    if principal_type == "Account":
        return None
    raise ValidationError("Must specify userName when calling with non-User credentials")


class UserService:
    def __init__(self, store: IamStore, limits: IamLimits = DEFAULT_LIMITS) -> None:
        self._store = store
        self._limits = limits

    # --- users -----------------------------------------------------------------------------------

    def create_user(self, request: RequestContext, name: str, *, path: str = "/",
                    permissions_boundary_arn: str | None = None,
                    tags: Sequence[tuple[str, str]] = ()) -> UserRecord:
        check_new_tags(tags)
        if len(tags) > self._limits.tags_per_resource:
            raise LimitExceeded(f"Cannot exceed quota for TagsPerUser: {self._limits.tags_per_resource}.")
        if permissions_boundary_arn is not None:
            check_boundary_arn(permissions_boundary_arn)
        user = UserRecord(account_id=request.account_id, user_id=ids.new_unique_id(ids.USER), name=name, path=path,
                          arn=user_arn(request.account_id, name, path, request.partition), created_at=request.timestamp,
                          permissions_boundary_arn=permissions_boundary_arn, tags=tuple(tags))
        with self._store.write() as tx:
            if permissions_boundary_arn is not None:
                check_permissions_boundary(tx, request.account_id, permissions_boundary_arn, request.partition)
            if tx.users.get_by_name(request.account_id, name) is not None:
                raise _already_exists(name)
            if tx.users.count(request.account_id) >= self._limits.users_per_account:
                raise LimitExceeded(f"Cannot exceed quota for UsersPerAccount: {self._limits.users_per_account}.")
            try:
                tx.users.create(user)
            except DuplicateKeyError:
                raise _already_exists(name) from None
        return user

    def get_user(self, request: RequestContext, name: str) -> UserRecord:
        with self._store.read() as tx:
            return existing_user(tx, request.account_id, name)

    def list_users(self, request: RequestContext, *, path_prefix: str = "/", marker: str | None = None,
                   max_items: int | None = None) -> Page[UserRecord]:
        limit = page_limit(max_items)
        with self._store.read() as tx:
            rows = tx.users.list_for_account(request.account_id, path_prefix, decode_marker(marker), limit + 1)
        return page_of_rows(rows, limit, lambda u: u.name.lower())

    def update_user(self, request: RequestContext, name: str, *, new_path: str | None = None,
                    new_name: str | None = None) -> UserRecord:
        """Move and/or rename a user. Its id, keys, groups and policies stay; its ARN follows the new name."""
        with self._store.write() as tx:
            user = existing_user(tx, request.account_id, name)
            target_name = new_name if new_name is not None else user.name
            target_path = new_path if new_path is not None else user.path
            if target_name.lower() != user.name.lower() and tx.users.get_by_name(request.account_id, target_name):
                raise _already_exists(target_name)
            user = dataclasses.replace(user, name=target_name, path=target_path,
                                       arn=user_arn(request.account_id, target_name, target_path, request.partition))
            try:
                tx.users.update(user)
            except DuplicateKeyError:
                raise _already_exists(target_name) from None
        return user

    def delete_user(self, request: RequestContext, name: str) -> None:
        with self._store.write() as tx:
            user = existing_user(tx, request.account_id, name)
            # DeleteUser: first remove the user's credentials, policies and group memberships (IAM API
            # reference, DeleteUser: password first, then keys …). Of those, rolegate has the login profile,
            # access keys, inline and attached policies, groups, MFA devices, signing certificates, SSH public
            # keys and service-specific credentials; a permissions boundary is not on AWS's list and goes with
            # the user.
            if tx.login_profiles.get(user.user_id) is not None:
                raise DeleteConflict("Cannot delete entity, must delete login profile first.")
            if tx.access_keys.list_for_user(request.account_id, user.user_id):
                raise DeleteConflict("Cannot delete entity, must delete access keys first.")
            if tx.users.list_inline_policies(user.user_id):
                raise DeleteConflict("Cannot delete entity, must delete policies first.")
            if tx.users.count_attached_policies(user.user_id):
                raise DeleteConflict("Cannot delete entity, must detach all policies first.")
            if tx.users.list_groups(user.user_id):
                raise DeleteConflict("Cannot delete entity, must remove users from group first.")
            if tx.mfa_devices.list_for_user(user.user_id):
                raise DeleteConflict("Cannot delete entity, must delete MFA device first.")
            # The messages AWS answers with (ADR 0026): certificates have their own; SSH keys the generic one.
            if tx.signing_certificates.list_for_user(request.account_id, user.user_id):
                raise DeleteConflict("Cannot delete entity, must delete certificates first.")
            if tx.ssh_public_keys.list_for_user(user.user_id) or \
                    tx.service_credentials.list_for_account(request.account_id, user.user_id, None):
                raise DeleteConflict("Cannot delete entity, must remove referenced objects first.")
            tx.users.delete(user.user_id)
            unbind_deleted_principal(tx, user.arn, user.user_id)

    # --- tags --------------------------------------------------------------------------------------

    def tag_user(self, request: RequestContext, name: str, tags: Sequence[tuple[str, str]]) -> None:
        with self._store.write() as tx:
            user = existing_user(tx, request.account_id, name)
            merged = merge_tags(user.tags, tags, self._limits.tags_per_resource, "User")
            tx.users.update(dataclasses.replace(user, tags=merged))

    def untag_user(self, request: RequestContext, name: str, keys: Sequence[str]) -> None:
        with self._store.write() as tx:
            user = existing_user(tx, request.account_id, name)
            tx.users.update(dataclasses.replace(user, tags=remove_tags(user.tags, keys)))

    def list_user_tags(self, request: RequestContext, name: str, *, marker: str | None = None,
                       max_items: int | None = None) -> Page[tuple[str, str]]:
        return page_by_position(self.get_user(request, name).tags, marker, max_items)

    # --- permissions boundary --------------------------------------------------------------------

    def put_permissions_boundary(self, request: RequestContext, name: str, policy_arn: str) -> None:
        check_boundary_arn(policy_arn)
        with self._store.write() as tx:
            user = existing_user(tx, request.account_id, name)
            check_permissions_boundary(tx, request.account_id, policy_arn, request.partition)
            tx.users.update(dataclasses.replace(user, permissions_boundary_arn=policy_arn))

    def delete_permissions_boundary(self, request: RequestContext, name: str) -> None:
        with self._store.write() as tx:
            user = existing_user(tx, request.account_id, name)
            if user.permissions_boundary_arn is None:
                raise NoSuchEntity(f"The user with name {user.name} has no permissions boundary.")
            tx.users.update(dataclasses.replace(user, permissions_boundary_arn=None))

    # --- inline policies -------------------------------------------------------------------------

    def put_user_policy(self, request: RequestContext, name: str, policy_name: str, document: str) -> None:
        inline_policies.check_new_document(document)
        with self._store.write() as tx:
            user = existing_user(tx, request.account_id, name)
            inline_policies.put(tx.users, user.user_id, entity="user", owner_name=user.name,
                                limit=self._limits.user_inline_policy_chars, policy_name=policy_name,
                                document=document)

    def get_user_policy(self, request: RequestContext, name: str, policy_name: str) -> tuple[UserRecord, str]:
        with self._store.read() as tx:
            user = existing_user(tx, request.account_id, name)
            return user, inline_policies.get(tx.users, user.user_id, entity="user", policy_name=policy_name)

    def delete_user_policy(self, request: RequestContext, name: str, policy_name: str) -> None:
        with self._store.write() as tx:
            user = existing_user(tx, request.account_id, name)
            inline_policies.delete(tx.users, user.user_id, entity="user", policy_name=policy_name)

    def list_user_policies(self, request: RequestContext, name: str, *, marker: str | None = None,
                           max_items: int | None = None) -> Page[str]:
        with self._store.read() as tx:
            user = existing_user(tx, request.account_id, name)
            return inline_policies.names_page(tx.users, user.user_id, marker, max_items)



def existing_user(tx: HasUsers, account_id: str, name: str) -> UserRecord:
    """The user named ``name`` (ignoring case), or ``NoSuchEntity`` in IAM's words."""
    user = tx.users.get_by_name(account_id, name)
    if user is None:
        raise NoSuchEntity(f"The user with name {name} cannot be found.")
    return user


def _already_exists(name: str) -> EntityAlreadyExists:
    return EntityAlreadyExists(f"User with name {name} already exists.")

