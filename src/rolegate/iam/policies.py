"""Managed policies: customer managed policies and their versions, tags, attachments to roles, users and
groups, and the read-only AWS managed policies, with IAM's rules and messages (IAM API reference for
CreatePolicy … ListEntitiesForPolicy, AttachRolePolicy … ListAttachedGroupPolicies).

Attachment and boundary counts are never stored: they are counted from the attachment rows and the
entities' boundary columns, so they are exact after every attach, detach and boundary change.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Sequence
from dataclasses import dataclass

from rolegate.authz import RequestContext
from rolegate.core import ids
from rolegate.core.arns import account_root_arn, iam_arn, partition_of_arn
from rolegate.core.errors import (
    AccessDenied,
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
)
from rolegate.core.pagination import Page, decode_marker
from rolegate.store.ports import DuplicateKeyError

from . import documents
from .aws_managed import (
    AWS_ACCOUNT,
    aws_managed_policies_after,
    aws_managed_policy,
    is_aws_managed_arn,
    policy_sort_key,
)
from .entities import ManagedPolicyRecord, PolicyEntityRecord, PolicyVersionRecord
from .limits import DEFAULT_LIMITS, IamLimits
from .paging import page_after, page_by_position, page_limit, page_of_rows
from .policy_lookup import require_attachable_policy
from .ports import IamStore, IamTransaction
from .roles import SERVICE_ROLE_PATH_PREFIX, raise_unmodifiable
from .tags import check_new_tags, merge_tags, remove_tags

ENTITY_KINDS = ("Role", "User", "Group")


@dataclass(frozen=True, slots=True)
class PolicyView:
    """A managed policy with the usage counts GetPolicy and ListPolicies report."""

    policy: ManagedPolicyRecord
    attachment_count: int
    boundary_count: int


@dataclass(frozen=True, slots=True)
class VersionView:
    version: PolicyVersionRecord
    is_default: bool


@dataclass(frozen=True, slots=True)
class AttachedPolicy:
    name: str
    arn: str


class ManagedPolicyService:
    def __init__(self, store: IamStore, limits: IamLimits = DEFAULT_LIMITS) -> None:
        self._store = store
        self._limits = limits

    # --- policies ----------------------------------------------------------------------------------

    def create_policy(self, request: RequestContext, name: str, document: str, *, path: str = "/",
                      description: str | None = None, tags: Sequence[tuple[str, str]] = ()) -> PolicyView:
        self._check_document(document)
        check_new_tags(tags)
        if len(tags) > self._limits.tags_per_resource:
            raise LimitExceeded(f"Cannot exceed quota for TagsPerPolicy: {self._limits.tags_per_resource}.")
        now = request.timestamp
        policy = ManagedPolicyRecord(
            account_id=request.account_id, policy_id=ids.new_unique_id(ids.MANAGED_POLICY), name=name, path=path,
            arn=iam_arn(request.account_id, "policy", path, name, request.partition), default_version_id="v1",
            next_version=2,
            created_at=now, updated_at=now, description=description, tags=tuple(tags))
        with self._store.write() as tx:
            if any(p.name.lower() == name.lower() for p in tx.managed_policies.list_for_account(request.account_id)):
                raise _already_exists(name)
            limit = self._limits.customer_managed_policies_per_account
            if tx.managed_policies.count(request.account_id) >= limit:
                raise LimitExceeded(f"Cannot exceed quota for PoliciesPerAccount: {limit}.")
            try:
                tx.managed_policies.create(policy, PolicyVersionRecord(policy.policy_id, "v1", document, now))
            except DuplicateKeyError:
                raise _already_exists(name) from None
        return PolicyView(policy, 0, 0)

    def get_policy(self, request: RequestContext, arn: str) -> PolicyView:
        with self._store.read() as tx:
            return _view(tx, request.account_id, _policy(tx, request.account_id, arn, request.partition))

    def delete_policy(self, request: RequestContext, arn: str, *, caller_arn: str | None = None) -> None:
        _refuse_aws_managed("DeletePolicy", request.account_id, arn, caller_arn)
        with self._store.write() as tx:
            policy = _policy(tx, request.account_id, arn, request.partition)
            view = _view(tx, request.account_id, policy)
            # DeletePolicy: detach it from every user, group and role and delete its non-default versions
            # first (IAM API reference, DeletePolicy); a boundary in use blocks deletion the same way.
            if view.attachment_count or view.boundary_count:
                raise DeleteConflict("Cannot delete a policy attached to entities.")
            if len(tx.managed_policies.list_versions(policy.policy_id)) > 1:
                raise DeleteConflict("This policy has more than one version. Before you delete a policy, you must "
                                     "delete the policy's versions. The default version is deleted with the policy.")
            tx.managed_policies.delete(policy.policy_id)

    def list_policies(self, request: RequestContext, *, scope: str = "All", only_attached: bool = False,
                      path_prefix: str = "/", usage_filter: str | None = None, marker: str | None = None,
                      max_items: int | None = None) -> Page[PolicyView]:
        after = decode_marker(marker)
        with self._store.read() as tx:
            attached = tx.managed_policies.attachment_counts(request.account_id)
            bounds = tx.managed_policies.boundary_counts(request.account_id)
            local = sorted(tx.managed_policies.list_for_account(request.account_id), key=policy_sort_key) \
                if scope in ("All", "Local") else []
        # Both lists are in sort-key order: merge them from the marker on and stop once the page is full,
        # so a page of the ~1,600 AWS managed policies costs its own length, not the catalogue's.
        aws = aws_managed_policies_after(after, request.partition) if scope in ("All", "AWS") else iter(())
        mine = (p for p in local if after is None or policy_sort_key(p) > after)
        limit = page_limit(max_items)
        rows: list[PolicyView] = []
        for p in heapq.merge(aws, mine, key=policy_sort_key):
            if not p.path.startswith(path_prefix):
                continue
            view = PolicyView(p, attached.get(p.arn, 0), bounds.get(p.arn, 0))
            # OnlyAttached with PolicyUsageFilter keeps the policies in use that way; without a filter, in
            # use either way (IAM API reference, ListPolicies).
            if only_attached and not ((usage_filter != "PermissionsBoundary" and view.attachment_count)
                                      or (usage_filter != "PermissionsPolicy" and view.boundary_count)):
                continue
            rows.append(view)
            if len(rows) > limit:
                break
        return page_of_rows(rows, limit, _policy_sort_key)

    # --- versions ----------------------------------------------------------------------------------

    def create_policy_version(self, request: RequestContext, arn: str, document: str, *, set_as_default: bool = False,
                              caller_arn: str | None = None) -> VersionView:
        _refuse_aws_managed("CreatePolicyVersion", request.account_id, arn, caller_arn)
        self._check_document(document)
        with self._store.write() as tx:
            policy = _policy(tx, request.account_id, arn, request.partition)
            if len(tx.managed_policies.list_versions(policy.policy_id)) >= self._limits.versions_per_managed_policy:
                raise LimitExceeded(f"A managed policy can have up to {self._limits.versions_per_managed_policy} "
                                    "versions. Before you create a new version, you must delete an existing version.")
            now = request.timestamp
            # Version ids count up and are never reused, even after a version is deleted.
            version = PolicyVersionRecord(policy.policy_id, f"v{policy.next_version}", document, now)
            tx.managed_policies.add_version(version)
            changed = dataclasses.replace(policy, next_version=policy.next_version + 1)
            if set_as_default:
                changed = dataclasses.replace(changed, default_version_id=version.version_id, updated_at=now)
            tx.managed_policies.update(changed)
        return VersionView(version, set_as_default)

    def get_policy_version(self, request: RequestContext, arn: str, version_id: str) -> VersionView:
        with self._store.read() as tx:
            policy = _policy(tx, request.account_id, arn, request.partition)
            return VersionView(_version(tx, policy, version_id), version_id == policy.default_version_id)

    def list_policy_versions(self, request: RequestContext, arn: str, *, marker: str | None = None,
                             max_items: int | None = None) -> Page[VersionView]:
        with self._store.read() as tx:
            policy = _policy(tx, request.account_id, arn, request.partition)
            versions = _versions(tx, policy)
        views = [VersionView(v, v.version_id == policy.default_version_id) for v in versions]
        return page_by_position(views, marker, max_items)

    def delete_policy_version(self, request: RequestContext, arn: str, version_id: str, *,
                              caller_arn: str | None = None) -> None:
        _refuse_aws_managed("DeletePolicyVersion", request.account_id, arn, caller_arn)
        with self._store.write() as tx:
            policy = _policy(tx, request.account_id, arn, request.partition)
            _version(tx, policy, version_id)
            if version_id == policy.default_version_id:
                raise DeleteConflict("Cannot delete the default version of a policy.")
            tx.managed_policies.delete_version(policy.policy_id, version_id)

    def set_default_policy_version(self, request: RequestContext, arn: str, version_id: str, *,
                                   caller_arn: str | None = None) -> None:
        _refuse_aws_managed("SetDefaultPolicyVersion", request.account_id, arn, caller_arn)
        with self._store.write() as tx:
            policy = _policy(tx, request.account_id, arn, request.partition)
            _version(tx, policy, version_id)
            tx.managed_policies.update(dataclasses.replace(policy, default_version_id=version_id,
                                                           updated_at=request.timestamp))

    # --- tags --------------------------------------------------------------------------------------

    def tag_policy(self, request: RequestContext, arn: str, tags: Sequence[tuple[str, str]], *,
                   caller_arn: str | None = None) -> None:
        _refuse_aws_managed("TagPolicy", request.account_id, arn, caller_arn)
        with self._store.write() as tx:
            policy = _policy(tx, request.account_id, arn, request.partition)
            merged = merge_tags(policy.tags, tags, self._limits.tags_per_resource, "Policy")
            tx.managed_policies.update(dataclasses.replace(policy, tags=merged))

    def untag_policy(self, request: RequestContext, arn: str, keys: Sequence[str], *,
                     caller_arn: str | None = None) -> None:
        _refuse_aws_managed("UntagPolicy", request.account_id, arn, caller_arn)
        with self._store.write() as tx:
            policy = _policy(tx, request.account_id, arn, request.partition)
            tx.managed_policies.update(dataclasses.replace(policy, tags=remove_tags(policy.tags, keys)))

    def list_policy_tags(self, request: RequestContext, arn: str, *, marker: str | None = None,
                         max_items: int | None = None) -> Page[tuple[str, str]]:
        with self._store.read() as tx:
            policy = _policy(tx, request.account_id, arn, request.partition)
        return page_by_position(list(policy.tags), marker, max_items)

    # --- attachments -------------------------------------------------------------------------------

    def attach(self, request: RequestContext, kind: str, entity_name: str, arn: str) -> None:
        """AttachRolePolicy / AttachUserPolicy / AttachGroupPolicy (``kind`` "Role", "User", "Group")."""
        with self._store.write() as tx:
            entity_id = _entity_id(tx, kind, request.account_id, entity_name, modifying=True)
            require_attachable_policy(tx, request.account_id, arn, request.partition)
            current = tx.managed_policies.attached(kind, entity_id)
            if arn in current:
                return  # attaching again is a no-op, as in IAM
            limit = self._attach_limit(kind)
            if len(current) >= limit:
                raise LimitExceeded(f"Cannot exceed quota for PoliciesPer{kind}: {limit}")
            tx.managed_policies.attach(kind, entity_id, arn)

    def detach(self, request: RequestContext, kind: str, entity_name: str, arn: str) -> None:
        with self._store.write() as tx:
            entity_id = _entity_id(tx, kind, request.account_id, entity_name, modifying=True)
            if not tx.managed_policies.detach(kind, entity_id, arn):
                raise NoSuchEntity(f"Policy {arn} was not found.")

    def list_attached(self, request: RequestContext, kind: str, entity_name: str, *, path_prefix: str = "/",
                      marker: str | None = None, max_items: int | None = None) -> Page[AttachedPolicy]:
        with self._store.read() as tx:
            entity_id = _entity_id(tx, kind, request.account_id, entity_name, modifying=False)
            arns = tx.managed_policies.attached(kind, entity_id)
        items = sorted((AttachedPolicy(_policy_name(a), a) for a in arns if _policy_path(a).startswith(path_prefix)),
                       key=_attached_sort_key)
        return page_after(items, _attached_sort_key, marker, max_items)

    def list_entities_for_policy(self, request: RequestContext, arn: str, *, entity_filter: str | None = None,
                                 path_prefix: str = "/", usage_filter: str | None = None,
                                 marker: str | None = None,
                                 max_items: int | None = None) -> Page[PolicyEntityRecord]:
        with self._store.read() as tx:
            _policy(tx, request.account_id, arn, request.partition)
            found = tx.managed_policies.entities(request.account_id, arn,
                                                 attached=usage_filter != "PermissionsBoundary",
                                                 boundary=usage_filter != "PermissionsPolicy")
        # EntityFilter LocalManagedPolicy / AWSManagedPolicy name kinds a policy is never attached to.
        kinds = ENTITY_KINDS if entity_filter is None else (entity_filter,)
        items = sorted((e for e in found if e.kind in kinds and e.path.startswith(path_prefix)),
                       key=_entity_sort_key)
        return page_after(items, _entity_sort_key, marker, max_items)

    # --- helpers -----------------------------------------------------------------------------------

    def _attach_limit(self, kind: str) -> int:
        return {"Role": self._limits.managed_policies_per_role, "User": self._limits.managed_policies_per_user,
                "Group": self._limits.managed_policies_per_group}[kind]

    def _check_document(self, document: str) -> None:
        documents.check_document(document, "managed")
        if documents.non_whitespace_length(document) > self._limits.managed_policy_chars:
            raise LimitExceeded(f"Cannot exceed quota for PolicySize: {self._limits.managed_policy_chars}")



def _policy(tx: IamTransaction, account_id: str, arn: str, partition: str) -> ManagedPolicyRecord:
    """The managed policy ``arn`` names, as ``account_id`` in ``partition`` sees it (its own or AWS's)."""
    in_reach = partition_of_arn(arn) == partition  # another partition's policies are not, as nothing there is
    if in_reach and is_aws_managed_arn(arn):
        found = aws_managed_policy(arn)
        if found is not None:
            return found.policy
    elif in_reach and arn.split(":")[4:5] == [account_id]:
        policy = tx.managed_policies.get_by_arn(arn)
        if policy is not None:
            return policy
    raise NoSuchEntity(f"Policy {arn} was not found.")


def _versions(tx: IamTransaction, policy: ManagedPolicyRecord) -> list[PolicyVersionRecord]:
    if policy.account_id == AWS_ACCOUNT:
        found = aws_managed_policy(policy.arn)
        return found.versions() if found else []
    return tx.managed_policies.list_versions(policy.policy_id)


def _version(tx: IamTransaction, policy: ManagedPolicyRecord, version_id: str) -> PolicyVersionRecord:
    if policy.account_id == AWS_ACCOUNT:
        found = aws_managed_policy(policy.arn)
        version = found.version(version_id) if found else None
    else:
        version = tx.managed_policies.get_version(policy.policy_id, version_id)
    if version is None:
        raise NoSuchEntity(f"Policy {policy.arn} version {version_id} does not exist or is not attachable.")
    return version


def _view(tx: IamTransaction, account_id: str, policy: ManagedPolicyRecord) -> PolicyView:
    attached = tx.managed_policies.attachment_counts(account_id).get(policy.arn, 0)
    bounds = tx.managed_policies.boundary_counts(account_id).get(policy.arn, 0)
    return PolicyView(policy, attached, bounds)


def _refuse_aws_managed(action: str, account_id: str, arn: str, caller_arn: str | None) -> None:
    # AWS managed policies belong to AWS's account: a caller's write is an authorization failure there,
    # whatever its own policies say (IAM User Guide, "AWS managed policies": "You cannot change the
    # permissions defined in AWS managed policies").
    if is_aws_managed_arn(arn):
        who = caller_arn or account_root_arn(account_id, partition_of_arn(arn))
        raise AccessDenied(f"User: {who} is not authorized to perform: iam:{action} on resource: policy {arn}")


def _entity_id(tx: IamTransaction, kind: str, account_id: str, name: str, *, modifying: bool) -> str:
    if kind == "Role":
        role = tx.roles.get_by_name(account_id, name)
        if role is None:
            raise NoSuchEntity(f"The role with name {name} cannot be found.")
        if modifying and role.path.startswith(SERVICE_ROLE_PATH_PREFIX):
            raise_unmodifiable(role)
        return role.role_id
    if kind == "User":
        user = tx.users.get_by_name(account_id, name)
        if user is None:
            raise NoSuchEntity(f"The user with name {name} cannot be found.")
        return user.user_id
    group = tx.groups.get_by_name(account_id, name)
    if group is None:
        raise NoSuchEntity(f"The group with name {name} cannot be found.")
    return group.group_id


def _policy_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _policy_path(arn: str) -> str:
    resource = arn.split(":", 5)[5]  # policy/PATH…NAME
    return resource[len("policy"):resource.rfind("/") + 1]


def _policy_sort_key(view: PolicyView) -> str:
    return policy_sort_key(view.policy)


def _attached_sort_key(item: AttachedPolicy) -> str:
    return f"{item.name.lower()} {item.arn}"


def _entity_sort_key(entity: PolicyEntityRecord) -> str:
    return f"{ENTITY_KINDS.index(entity.kind)} {entity.name.lower()}"


def _already_exists(name: str) -> EntityAlreadyExists:
    return EntityAlreadyExists(f"A policy called {name} already exists. Duplicate names are not allowed.")
