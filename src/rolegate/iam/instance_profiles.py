"""The instance-profile lifecycle: create, read, list, delete profiles, their tags, and the one role each
may hold (IAM API reference, CreateInstanceProfile … RemoveRoleFromInstanceProfile).

A profile is the container a compute instance is launched with; the role in it is what code on the
instance gets credentials for. IAM allows one role per profile ("InstanceProfileRolesQuota").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rolegate.authz import RequestContext
from rolegate.core import ids
from rolegate.core.arns import iam_arn
from rolegate.core.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity
from rolegate.core.pagination import Page, decode_marker
from rolegate.store.ports import DuplicateKeyError

from .entities import InstanceProfileRecord, RoleRecord
from .limits import DEFAULT_LIMITS, IamLimits
from .paging import page_after, page_limit, page_of_rows
from .ports import HasInstanceProfiles, InstanceProfileStore, InstanceProfileTransaction
from .roles import SERVICE_ROLE_PATH_PREFIX, existing_role, raise_unmodifiable
from .tags import check_new_tags, merge_tags, remove_tags


@dataclass(frozen=True, slots=True)
class InstanceProfile:
    """A profile with its roles resolved to full role records, as GetInstanceProfile returns them."""

    profile: InstanceProfileRecord
    roles: tuple[RoleRecord, ...]


class InstanceProfileService:
    def __init__(self, store: InstanceProfileStore, limits: IamLimits = DEFAULT_LIMITS) -> None:
        self._store = store
        self._limits = limits

    def create_instance_profile(self, request: RequestContext, name: str, *, path: str = "/",
                                tags: Sequence[tuple[str, str]] = ()) -> InstanceProfile:
        check_new_tags(tags)
        if len(tags) > self._limits.tags_per_resource:
            raise LimitExceeded(f"Cannot exceed quota for TagsPerInstanceProfile: {self._limits.tags_per_resource}.")
        profile = InstanceProfileRecord(
            account_id=request.account_id, instance_profile_id=ids.new_unique_id(ids.INSTANCE_PROFILE), name=name,
            path=path, arn=iam_arn(request.account_id, "instance-profile", path, name, request.partition),
            created_at=request.timestamp,
            tags=tuple(tags))
        with self._store.write() as tx:
            if tx.instance_profiles.get_by_name(request.account_id, name) is not None:
                raise _already_exists(name)
            quota = self._limits.instance_profiles_per_account
            if tx.instance_profiles.count(request.account_id) >= quota:
                raise LimitExceeded(f"Cannot exceed quota for InstanceProfilesPerAccount: {quota}.")
            try:
                tx.instance_profiles.create(profile)
            except DuplicateKeyError:
                raise _already_exists(name) from None
        return InstanceProfile(profile, ())

    def get_instance_profile(self, request: RequestContext, name: str) -> InstanceProfile:
        with self._store.read() as tx:
            return _resolved(tx, _profile(tx, request.account_id, name))

    def list_instance_profiles(self, request: RequestContext, *, path_prefix: str = "/", marker: str | None = None,
                               max_items: int | None = None) -> Page[InstanceProfile]:
        limit = page_limit(max_items)
        with self._store.read() as tx:
            rows = tx.instance_profiles.list_for_account(request.account_id, path_prefix, decode_marker(marker),
                                                         limit + 1)
            page = page_of_rows(rows, limit, _sort_key)
            return Page([_resolved(tx, p) for p in page.items], page.is_truncated, page.marker)

    def list_instance_profiles_for_role(self, request: RequestContext, role_name: str, *, marker: str | None = None,
                                        max_items: int | None = None) -> Page[InstanceProfile]:
        with self._store.read() as tx:
            role = existing_role(tx, request.account_id, role_name)
            page = page_after(tx.instance_profiles.list_for_role(role.role_id), _sort_key, marker, max_items)
        return Page([InstanceProfile(p, (role,)) for p in page.items], page.is_truncated, page.marker)

    def delete_instance_profile(self, request: RequestContext, name: str) -> None:
        with self._store.write() as tx:
            profile = _profile(tx, request.account_id, name)
            # DeleteInstanceProfile: the profile must hold no role (IAM API reference, DeleteInstanceProfile).
            if profile.role_name is not None:
                raise DeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
            tx.instance_profiles.delete(profile.instance_profile_id)

    def add_role(self, request: RequestContext, profile_name: str, role_name: str) -> None:
        with self._store.write() as tx:
            profile = _profile(tx, request.account_id, profile_name)
            role = existing_role(tx, request.account_id, role_name)
            if role.path.startswith(SERVICE_ROLE_PATH_PREFIX):
                raise_unmodifiable(role)
            if profile.role_name is not None:
                if profile.role_name.lower() == role.name.lower():
                    raise EntityAlreadyExists(f"Role {role.name} already exists in instance profile "
                                              f"{profile.name}.")
                quota = self._limits.roles_per_instance_profile
                raise LimitExceeded(f"Cannot exceed quota for InstanceProfileRolesQuota: {quota}")
            tx.instance_profiles.set_role(profile.instance_profile_id, role.role_id)

    def remove_role(self, request: RequestContext, profile_name: str, role_name: str) -> None:
        with self._store.write() as tx:
            profile = _profile(tx, request.account_id, profile_name)
            role = existing_role(tx, request.account_id, role_name)
            if role.path.startswith(SERVICE_ROLE_PATH_PREFIX):
                raise_unmodifiable(role)
            if profile.role_name is None or profile.role_name.lower() != role.name.lower():
                raise NoSuchEntity(f"The role with name {role.name} is not in instance profile {profile.name}.")
            tx.instance_profiles.set_role(profile.instance_profile_id, None)

    def tag_instance_profile(self, request: RequestContext, name: str, tags: Sequence[tuple[str, str]]) -> None:
        with self._store.write() as tx:
            profile = _profile(tx, request.account_id, name)
            merged = merge_tags(profile.tags, tags, self._limits.tags_per_resource, "InstanceProfile")
            tx.instance_profiles.update_tags(profile.instance_profile_id, merged)

    def untag_instance_profile(self, request: RequestContext, name: str, keys: Sequence[str]) -> None:
        with self._store.write() as tx:
            profile = _profile(tx, request.account_id, name)
            tx.instance_profiles.update_tags(profile.instance_profile_id, remove_tags(profile.tags, keys))



def _profile(tx: HasInstanceProfiles, account_id: str, name: str) -> InstanceProfileRecord:
    profile = tx.instance_profiles.get_by_name(account_id, name)
    if profile is None:
        raise NoSuchEntity(f"Instance Profile {name} cannot be found.")
    return profile


def _resolved(tx: InstanceProfileTransaction, profile: InstanceProfileRecord) -> InstanceProfile:
    if profile.role_name is None:
        return InstanceProfile(profile, ())
    return InstanceProfile(profile, (existing_role(tx, profile.account_id, profile.role_name),))


def _sort_key(profile: InstanceProfileRecord) -> str:
    return profile.name.lower()


def _already_exists(name: str) -> EntityAlreadyExists:
    return EntityAlreadyExists(f"Instance Profile {name} already exists.")
