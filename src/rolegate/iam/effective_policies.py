"""Effective policies of principals and facts of resources, as authorization reads them, and long-term keys
with their owners, as authentication reads them — cached per worker.

For a user: its inline policies, the default versions of its attached managed policies, and the same of every
group it belongs to, plus its permissions boundary. For a role (what its sessions carry): its inline and
attached policies and its boundary. Documents are compiled with ``compile_policy`` (itself cached by content),
so a cached entry is ready to evaluate.

Every entry is stamped with the store's policy generation (``store.sql_generation``), which every write that
changes policies, attachments, memberships, boundaries, paths or tags bumps in its own transaction. A request
reads the generation once (one indexed read of a one-row table) and uses entries whose stamp matches; when it
moved, the whole cache is dropped and entries are rebuilt as principals call. This works across workers and
nodes without TTLs: a change is seen by the next request anywhere.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TypeVar

from rolegate.policy import CompiledPolicy, compile_policy

from .access_keys import KeyOwner, key_owner
from .aws_managed import aws_managed_policy
from .entities import ManagedPolicyRecord
from .policy_lookup import find_managed_policy
from .ports import IamStore, IamTransaction

T = TypeVar("T")
_MISSING = object()


@dataclass(frozen=True, slots=True)
class PrincipalPolicies:
    """A principal's identity policies (compiled), boundary and tags."""

    arn: str
    principal_id: str
    identity: tuple[CompiledPolicy, ...]
    boundary: CompiledPolicy | None
    tags: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class EntityFacts:
    """An existing resource: its ARN (with path), tags and permissions boundary."""

    arn: str
    tags: tuple[tuple[str, str], ...] = ()
    boundary_arn: str | None = None


class EffectivePolicies:
    def __init__(self, store: IamStore, *, max_entries: int = 20_000) -> None:
        self._store = store
        self._max = max_entries
        self._generation = -1
        self._entries: dict[Hashable, object] = {}
        self._lock = threading.Lock()

    def generation(self) -> int:
        """The store's current policy generation: the one read each authorized request makes."""
        return self._store.policy_generation()

    def user(self, generation: int, user_id: str) -> PrincipalPolicies | None:
        return self._cached(generation, ("policies-of-user", user_id), lambda tx: _user_policies(tx, user_id))

    def role(self, generation: int, account_id: str, role_name: str) -> PrincipalPolicies | None:
        # Keys of principals never collide with keys of resources (``resource`` uses the bare kind).
        return self._cached(generation, ("policies-of-role", account_id, role_name.lower()),
                            lambda tx: _role_policies(tx, account_id, role_name))

    def managed_document(self, generation: int, account_id: str, arn: str) -> CompiledPolicy | None:
        """A managed policy's default version, compiled (session ``PolicyArns``)."""
        return self._cached(generation, ("managed-document", account_id, arn),
                            lambda tx: _managed(tx, account_id, arn, "session"))

    def credential(self, generation: int, access_key_id: str) -> KeyOwner | None:
        """A long-term access key (active or not) and its owner, as authentication reads it.

        Key writes other than last-use bookkeeping move the generation, so a deactivated or deleted key
        stops authenticating with the next request. Misses are not cached: unknown key ids are the caller's
        to choose, and must not evict the entries of real keys.
        """
        return self._cached(generation, ("credential", access_key_id), lambda tx: key_owner(tx, access_key_id),
                            cache_none=False)

    def resource(self, generation: int, kind: str, account_id: str, key: str) -> EntityFacts | None:
        """Facts of the ``kind`` resource named ``key`` (a name, or an ARN for providers and policies)."""
        if kind == "access-key":
            return self._cached(generation, ("access-key", key), lambda tx: _key_facts(tx, account_id, key),
                                cache_none=False)
        norm = key if kind in _BY_ARN else key.lower()
        return self._cached(generation, (kind, account_id, norm), lambda tx: _entity(tx, kind, account_id, key))

    def _cached(self, generation: int, key: Hashable, build: Callable[[IamTransaction], T | None],
                *, cache_none: bool = True) -> T | None:
        if generation == self._generation:
            hit = self._entries.get(key, _MISSING)
            if hit is not _MISSING:
                return hit  # type: ignore[return-value]
        with self._store.read() as tx:
            built_at = tx.policy_generation.current()
            value = build(tx)
        with self._lock:
            if built_at > self._generation:
                self._generation, self._entries = built_at, {}
            if built_at == self._generation and (value is not None or cache_none):
                if len(self._entries) >= self._max:
                    self._entries.clear()
                self._entries[key] = value
        return value


_BY_ARN = frozenset({"policy", "oidc-provider", "saml-provider", "mfa"})


def _user_policies(tx: IamTransaction, user_id: str) -> PrincipalPolicies | None:
    user = tx.users.get(user_id)
    if user is None:
        return None
    account = user.account_id
    docs: list[CompiledPolicy] = [compile_policy(d) for _, d in tx.users.list_inline_policies(user_id)]
    docs += _attached(tx, account, "User", user_id)
    for group in tx.users.list_groups(user_id):
        docs += [compile_policy(d) for _, d in tx.groups.list_inline_policies(group.group_id)]
        docs += _attached(tx, account, "Group", group.group_id)
    boundary = _managed(tx, account, user.permissions_boundary_arn, "boundary") \
        if user.permissions_boundary_arn else None
    return PrincipalPolicies(user.arn, user.user_id, tuple(docs), boundary, user.tags)


def _role_policies(tx: IamTransaction, account_id: str, role_name: str) -> PrincipalPolicies | None:
    role = tx.roles.get_by_name(account_id, role_name)
    if role is None:
        return None
    docs = [compile_policy(d) for _, d in tx.roles.list_inline_policies(role.role_id)]
    docs += _attached(tx, account_id, "Role", role.role_id)
    boundary = _managed(tx, account_id, role.permissions_boundary_arn, "boundary") \
        if role.permissions_boundary_arn else None
    return PrincipalPolicies(role.arn, role.role_id, tuple(docs), boundary, role.tags)


def _attached(tx: IamTransaction, account_id: str, kind: str, entity_id: str) -> list[CompiledPolicy]:
    out = []
    for arn in tx.managed_policies.attached(kind, entity_id):
        compiled = _managed(tx, account_id, arn, "identity")
        if compiled is not None:
            out.append(compiled)
    return out


def _managed(tx: IamTransaction, account_id: str, arn: str, kind: str) -> CompiledPolicy | None:
    policy = find_managed_policy(tx, account_id, arn)
    if policy is None:
        return None
    document = _default_document(tx, policy)
    return compile_policy(document, kind=kind) if document is not None else None


def _default_document(tx: IamTransaction, policy: ManagedPolicyRecord) -> str | None:
    aws = aws_managed_policy(policy.arn)
    if aws is not None:
        return aws.default_version.document
    version = tx.managed_policies.get_version(policy.policy_id, policy.default_version_id)
    return version.document if version else None


def _entity(tx: IamTransaction, kind: str, account_id: str, key: str) -> EntityFacts | None:
    if kind == "role":
        role = tx.roles.get_by_name(account_id, key)
        return EntityFacts(role.arn, role.tags, role.permissions_boundary_arn) if role else None
    if kind == "user":
        user = tx.users.get_by_name(account_id, key)
        return EntityFacts(user.arn, user.tags, user.permissions_boundary_arn) if user else None
    if kind == "group":
        group = tx.groups.get_by_name(account_id, key)
        return EntityFacts(group.arn) if group else None
    if kind == "instance-profile":
        profile = tx.instance_profiles.get_by_name(account_id, key)
        return EntityFacts(profile.arn, profile.tags) if profile else None
    if kind == "policy":
        policy = find_managed_policy(tx, account_id, key)
        return EntityFacts(policy.arn, policy.tags) if policy else None
    if kind == "oidc-provider":
        oidc = tx.oidc_providers.get(key)
        return EntityFacts(oidc.arn, oidc.tags) if oidc and oidc.account_id == account_id else None
    if kind == "saml-provider":
        saml = tx.saml_providers.get(key)
        return EntityFacts(saml.arn, saml.tags) if saml and saml.account_id == account_id else None
    return None


def _key_facts(tx: IamTransaction, account_id: str, access_key_id: str) -> EntityFacts | None:
    owned = key_owner(tx, access_key_id)
    if owned is None or owned.user is None or owned.key.account_id != account_id:
        return None
    user = owned.user
    return EntityFacts(user.arn, user.tags, user.permissions_boundary_arn)
