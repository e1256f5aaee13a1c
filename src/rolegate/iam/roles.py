"""The role lifecycle: create, read, list, update and delete roles, their tags, trust policy, permissions
boundary and inline policies, with IAM's rules and messages (IAM API reference for each operation).

Input has already passed the wire layer's model checks (patterns, lengths, ranges); this module enforces
the rules a model cannot state: case-insensitive uniqueness, quotas, conflicts, policy grammar.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from rolegate.authz import RequestContext
from rolegate.core.bookkeeping import Bookkeeping
from rolegate.core import ids
from rolegate.core.arns import role_arn
from rolegate.core.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    NoSuchEntity,
    UnmodifiableEntity,
)
from rolegate.core.pagination import Page, decode_marker
from rolegate.store.ports import DuplicateKeyError

from . import documents, inline_policies
from .entities import RoleRecord
from .limits import DEFAULT_LIMITS, IamLimits
from .paging import page_by_position, page_limit, page_of_rows
from .policy_lookup import check_boundary_arn, check_permissions_boundary
from .ports import HasRoles, IamStore
from .tags import check_new_tags, merge_tags, remove_tags
from .trust_binding import unbind_deleted_principal

SERVICE_ROLE_PATH_PREFIX = "/aws-service-role/"


class RoleService:
    def __init__(self, store: IamStore, limits: IamLimits = DEFAULT_LIMITS, *,
                 bookkeeping: Bookkeeping[Any] | None = None) -> None:
        self._store = store
        self._limits = limits
        # Settled before a read that shows last use (``rolegate.core.bookkeeping``); None: nothing is deferred.
        self._bookkeeping = bookkeeping

    # --- roles -----------------------------------------------------------------------------------

    def create_role(
        self,
        request: RequestContext,
        name: str,
        trust_policy: str,
        *,
        path: str = "/",
        description: str | None = None,
        max_session_duration: int = 3600,
        permissions_boundary_arn: str | None = None,
        tags: Sequence[tuple[str, str]] = (),
    ) -> RoleRecord:
        if path.startswith(SERVICE_ROLE_PATH_PREFIX):
            # Only CreateServiceLinkedRole makes roles there; AWS answers CreateRole with this InvalidInput.
            raise InvalidInput(f"Path prefix '{SERVICE_ROLE_PATH_PREFIX}' can only be used for AWS Service "
                               f"linked Roles")
        documents.check_trust_policy(trust_policy, self._limits.trust_policy_chars)
        check_new_tags(tags)
        if len(tags) > self._limits.tags_per_resource:
            raise LimitExceeded(f"Cannot exceed quota for TagsPerRole: {self._limits.tags_per_resource}.")
        if permissions_boundary_arn is not None:
            check_boundary_arn(permissions_boundary_arn)
        role = RoleRecord(
            account_id=request.account_id, role_id=ids.new_unique_id(ids.ROLE), name=name, path=path,
            arn=role_arn(request.account_id, name, path, request.partition), trust_policy=trust_policy,
            created_at=request.timestamp,
            max_session_duration=max_session_duration, description=description,
            permissions_boundary_arn=permissions_boundary_arn, tags=tuple(tags))
        with self._store.write() as tx:
            if permissions_boundary_arn is not None:
                check_permissions_boundary(tx, request.account_id, permissions_boundary_arn, request.partition)
            insert_role(tx, role, self._limits)
        return role

    def get_role(self, request: RequestContext, name: str) -> RoleRecord:
        """The role, RoleLastUsed included (so GetRole runs in a worker thread: it may wait for bookkeeping)."""
        if self._bookkeeping is not None:
            self._bookkeeping.catch_up()
        with self._store.read() as tx:
            return existing_role(tx, request.account_id, name)

    def list_role_tags(self, request: RequestContext, name: str, *, marker: str | None = None,
                       max_items: int | None = None) -> Page[tuple[str, str]]:
        return page_by_position(self.get_role(request, name).tags, marker, max_items)

    def list_roles(self, request: RequestContext, *, path_prefix: str = "/", marker: str | None = None,
                   max_items: int | None = None) -> Page[RoleRecord]:
        limit = page_limit(max_items)
        with self._store.read() as tx:
            rows = tx.roles.list_for_account(request.account_id, path_prefix, decode_marker(marker), limit + 1)
        return page_of_rows(rows, limit, lambda r: r.name.lower())

    def update_role(self, request: RequestContext, name: str, *, description: str | None = None,
                    max_session_duration: int | None = None) -> RoleRecord:
        with self._store.write() as tx:
            role = _modifiable(tx, request.account_id, name)
            changes: dict[str, object] = {}
            if description is not None:
                changes["description"] = description
            if max_session_duration is not None:
                changes["max_session_duration"] = max_session_duration
            role = dataclasses.replace(role, **changes)  # type: ignore[arg-type]
            tx.roles.update(role)
        return role

    def update_trust_policy(self, request: RequestContext, name: str, trust_policy: str) -> None:
        documents.check_trust_policy(trust_policy, self._limits.trust_policy_chars)
        with self._store.write() as tx:
            role = _modifiable(tx, request.account_id, name)
            tx.roles.update(dataclasses.replace(role, trust_policy=trust_policy))

    def delete_role(self, request: RequestContext, name: str) -> None:
        with self._store.write() as tx:
            role = _modifiable(tx, request.account_id, name)
            # DeleteRole: "you must first remove items attached to the role" (IAM API reference, DeleteRole).
            if tx.roles.count_instance_profiles(role.role_id):
                raise DeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
            if tx.roles.list_inline_policies(role.role_id):
                raise DeleteConflict("Cannot delete entity, must delete policies first.")
            if tx.roles.count_attached_policies(role.role_id):
                raise DeleteConflict("Cannot delete entity, must detach all policies first.")
            # A permissions boundary is not on that list and goes with the role (as with DeleteUser).
            tx.roles.delete(role.role_id)
            unbind_deleted_principal(tx, role.arn, role.role_id)

    # --- tags --------------------------------------------------------------------------------------

    def tag_role(self, request: RequestContext, name: str, tags: Sequence[tuple[str, str]]) -> None:
        with self._store.write() as tx:
            role = existing_role(tx, request.account_id, name)
            merged = merge_tags(role.tags, tags, self._limits.tags_per_resource, "Role")
            tx.roles.update(dataclasses.replace(role, tags=merged))

    def untag_role(self, request: RequestContext, name: str, keys: Sequence[str]) -> None:
        with self._store.write() as tx:
            role = existing_role(tx, request.account_id, name)
            tx.roles.update(dataclasses.replace(role, tags=remove_tags(role.tags, keys)))

    # --- permissions boundary --------------------------------------------------------------------

    def put_permissions_boundary(self, request: RequestContext, name: str, policy_arn: str) -> None:
        check_boundary_arn(policy_arn)
        with self._store.write() as tx:
            role = _modifiable(tx, request.account_id, name)
            check_permissions_boundary(tx, request.account_id, policy_arn, request.partition)
            tx.roles.update(dataclasses.replace(role, permissions_boundary_arn=policy_arn))

    def delete_permissions_boundary(self, request: RequestContext, name: str) -> None:
        with self._store.write() as tx:
            role = _modifiable(tx, request.account_id, name)
            if role.permissions_boundary_arn is None:
                raise NoSuchEntity(f"The role with name {role.name} has no permissions boundary.")
            tx.roles.update(dataclasses.replace(role, permissions_boundary_arn=None))

    # --- inline policies -------------------------------------------------------------------------

    def put_role_policy(self, request: RequestContext, name: str, policy_name: str, document: str) -> None:
        inline_policies.check_new_document(document)
        with self._store.write() as tx:
            role = _modifiable(tx, request.account_id, name)
            inline_policies.put(tx.roles, role.role_id, entity="role", owner_name=role.name,
                                limit=self._limits.role_inline_policy_chars, policy_name=policy_name,
                                document=document)

    def get_role_policy(self, request: RequestContext, name: str, policy_name: str) -> tuple[RoleRecord, str]:
        with self._store.read() as tx:
            role = existing_role(tx, request.account_id, name)
            return role, inline_policies.get(tx.roles, role.role_id, entity="role", policy_name=policy_name)

    def delete_role_policy(self, request: RequestContext, name: str, policy_name: str) -> None:
        with self._store.write() as tx:
            role = _modifiable(tx, request.account_id, name)
            inline_policies.delete(tx.roles, role.role_id, entity="role", policy_name=policy_name)

    def list_role_policies(self, request: RequestContext, name: str, *, marker: str | None = None,
                           max_items: int | None = None) -> Page[str]:
        with self._store.read() as tx:
            role = existing_role(tx, request.account_id, name)
            return inline_policies.names_page(tx.roles, role.role_id, marker, max_items)



def insert_role(tx: HasRoles, role: RoleRecord, limits: IamLimits) -> None:
    """Store a new role after the checks every role creation shares: unique name, account quota."""
    if tx.roles.get_by_name(role.account_id, role.name) is not None:
        raise _already_exists(role.name)
    if tx.roles.count(role.account_id) >= limits.roles_per_account:
        raise LimitExceeded(f"Cannot exceed quota for RolesPerAccount: {limits.roles_per_account}.")
    try:
        tx.roles.create(role)
    except DuplicateKeyError:
        raise _already_exists(role.name) from None


def existing_role(tx: HasRoles, account_id: str, name: str) -> RoleRecord:
    role = tx.roles.get_by_name(account_id, name)
    if role is None:
        raise NoSuchEntity(f"The role with name {name} cannot be found.")
    return role


def _modifiable(tx: HasRoles, account_id: str, name: str) -> RoleRecord:
    """A role the caller may change: service-linked roles belong to their service (UnmodifiableEntity)."""
    role = existing_role(tx, account_id, name)
    if role.path.startswith(SERVICE_ROLE_PATH_PREFIX):
        raise_unmodifiable(role)
    return role


def raise_unmodifiable(role: RoleRecord) -> None:
    raise UnmodifiableEntity(f"Cannot perform the operation on the protected role '{role.name}' - "
                             f"this role is only modifiable by AWS")


def _already_exists(name: str) -> EntityAlreadyExists:
    return EntityAlreadyExists(f"Role with name {name} already exists.")

