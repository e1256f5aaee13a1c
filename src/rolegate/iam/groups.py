"""IAM groups: create, read, list, rename and delete groups, their members and inline policies, with IAM's
rules and messages (IAM API reference for each operation; quotas from "IAM and AWS STS quotas")."""

from __future__ import annotations

import dataclasses

from rolegate.authz import RequestContext
from rolegate.core import ids
from rolegate.core.arns import DEFAULT_PARTITION, iam_arn
from rolegate.core.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity
from rolegate.core.pagination import Page, decode_marker
from rolegate.store.ports import DuplicateKeyError

from . import inline_policies
from .entities import GroupRecord, UserRecord
from .limits import DEFAULT_LIMITS, IamLimits
from .paging import page_after, page_limit, page_of_rows
from .ports import GroupStore, HasGroups
from .users import existing_user


def group_arn(account_id: str, name: str, path: str = "/", partition: str = DEFAULT_PARTITION) -> str:
    return iam_arn(account_id, "group", path, name, partition)


class GroupService:
    def __init__(self, store: GroupStore, limits: IamLimits = DEFAULT_LIMITS) -> None:
        self._store = store
        self._limits = limits

    # --- groups ----------------------------------------------------------------------------------

    def create_group(self, request: RequestContext, name: str, *, path: str = "/") -> GroupRecord:
        group = GroupRecord(account_id=request.account_id, group_id=ids.new_unique_id(ids.GROUP), name=name, path=path,
                            arn=group_arn(request.account_id, name, path, request.partition),
                            created_at=request.timestamp)
        with self._store.write() as tx:
            if tx.groups.get_by_name(request.account_id, name) is not None:
                raise _already_exists(name)
            if tx.groups.count(request.account_id) >= self._limits.groups_per_account:
                raise LimitExceeded(f"Cannot exceed quota for GroupsPerAccount: {self._limits.groups_per_account}.")
            try:
                tx.groups.create(group)
            except DuplicateKeyError:
                raise _already_exists(name) from None
        return group

    def get_group(self, request: RequestContext, name: str, *, marker: str | None = None,
                  max_items: int | None = None) -> tuple[GroupRecord, Page[UserRecord]]:
        """The group and one page of its members (GetGroup pages over the users)."""
        limit = page_limit(max_items)
        with self._store.read() as tx:
            group = existing_group(tx, request.account_id, name)
            members = tx.groups.list_members(group.group_id, decode_marker(marker), limit + 1)
        return group, page_of_rows(members, limit, lambda u: u.name.lower())

    def list_groups(self, request: RequestContext, *, path_prefix: str = "/", marker: str | None = None,
                    max_items: int | None = None) -> Page[GroupRecord]:
        limit = page_limit(max_items)
        with self._store.read() as tx:
            rows = tx.groups.list_for_account(request.account_id, path_prefix, decode_marker(marker), limit + 1)
        return page_of_rows(rows, limit, lambda g: g.name.lower())

    def update_group(self, request: RequestContext, name: str, *, new_path: str | None = None,
                     new_name: str | None = None) -> GroupRecord:
        """Move and/or rename a group; members and policies stay, the ARN follows."""
        with self._store.write() as tx:
            group = existing_group(tx, request.account_id, name)
            target_name = new_name if new_name is not None else group.name
            target_path = new_path if new_path is not None else group.path
            if target_name.lower() != group.name.lower() and tx.groups.get_by_name(request.account_id, target_name):
                raise _already_exists(target_name)
            group = dataclasses.replace(group, name=target_name, path=target_path,
                                        arn=group_arn(request.account_id, target_name, target_path, request.partition))
            try:
                tx.groups.update(group)
            except DuplicateKeyError:
                raise _already_exists(target_name) from None
        return group

    def delete_group(self, request: RequestContext, name: str) -> None:
        with self._store.write() as tx:
            group = existing_group(tx, request.account_id, name)
            # DeleteGroup: "The group must not contain any users or have any attached policies"
            # (IAM API reference, DeleteGroup); inline policies block it as they block DeleteUser.
            if tx.groups.count_members(group.group_id):
                raise DeleteConflict("Cannot delete entity, must remove users from group first.")
            if tx.groups.list_inline_policies(group.group_id):
                raise DeleteConflict("Cannot delete entity, must delete policies first.")
            if tx.groups.count_attached_policies(group.group_id):
                raise DeleteConflict("Cannot delete entity, must detach all policies first.")
            tx.groups.delete(group.group_id)

    # --- membership ------------------------------------------------------------------------------

    def add_user_to_group(self, request: RequestContext, group_name: str, user_name: str) -> None:
        """Add the user; adding a member again succeeds and changes nothing, as IAM does."""
        with self._store.write() as tx:
            group = existing_group(tx, request.account_id, group_name)
            user = existing_user(tx, request.account_id, user_name)
            current = tx.users.list_groups(user.user_id)
            if any(g.group_id == group.group_id for g in current):
                return
            if len(current) >= self._limits.groups_per_user:
                raise LimitExceeded(f"Cannot exceed quota for GroupsPerUser: {self._limits.groups_per_user}.")
            tx.groups.add_member(group.group_id, user.user_id)

    def remove_user_from_group(self, request: RequestContext, group_name: str, user_name: str) -> None:
        with self._store.write() as tx:
            group = existing_group(tx, request.account_id, group_name)
            user = existing_user(tx, request.account_id, user_name)
            if not tx.groups.remove_member(group.group_id, user.user_id):
                raise NoSuchEntity(f"The user with name {user.name} is not a member of the group "
                                   f"with name {group.name}.")

    def list_groups_for_user(self, request: RequestContext, user_name: str, *, marker: str | None = None,
                             max_items: int | None = None) -> Page[GroupRecord]:
        with self._store.read() as tx:
            groups = tx.users.list_groups(existing_user(tx, request.account_id, user_name).user_id)
        return page_after(groups, lambda g: g.name.lower(), marker, max_items)

    # --- inline policies -------------------------------------------------------------------------

    def put_group_policy(self, request: RequestContext, name: str, policy_name: str, document: str) -> None:
        inline_policies.check_new_document(document)
        with self._store.write() as tx:
            group = existing_group(tx, request.account_id, name)
            inline_policies.put(tx.groups, group.group_id, entity="group", owner_name=group.name,
                                limit=self._limits.group_inline_policy_chars, policy_name=policy_name,
                                document=document)

    def get_group_policy(self, request: RequestContext, name: str, policy_name: str) -> tuple[GroupRecord, str]:
        with self._store.read() as tx:
            group = existing_group(tx, request.account_id, name)
            return group, inline_policies.get(tx.groups, group.group_id, entity="group", policy_name=policy_name)

    def delete_group_policy(self, request: RequestContext, name: str, policy_name: str) -> None:
        with self._store.write() as tx:
            group = existing_group(tx, request.account_id, name)
            inline_policies.delete(tx.groups, group.group_id, entity="group", policy_name=policy_name)

    def list_group_policies(self, request: RequestContext, name: str, *, marker: str | None = None,
                            max_items: int | None = None) -> Page[str]:
        with self._store.read() as tx:
            group = existing_group(tx, request.account_id, name)
            return inline_policies.names_page(tx.groups, group.group_id, marker, max_items)



def existing_group(tx: HasGroups, account_id: str, name: str) -> GroupRecord:
    group = tx.groups.get_by_name(account_id, name)
    if group is None:
        raise NoSuchEntity(f"The group with name {name} cannot be found.")
    return group


def _already_exists(name: str) -> EntityAlreadyExists:
    return EntityAlreadyExists(f"Group with name {name} already exists.")

