"""Effective policies of principals and facts of resources, as authorization reads them, and long-term keys
with their owners, as authentication reads them — cached per worker.

For a user: its inline policies, the default versions of its attached managed policies, and the same of every
group it belongs to, plus its permissions boundary. For a role (what its sessions carry): its inline and
attached policies and its boundary. Documents are compiled with ``compile_stored_policy`` (cached by content;
a statement it cannot evaluate fails closed, never the request), so a cached entry is ready to evaluate.

Every entry is stamped with the invalidation generations of the account whose rows it was built from
(``store.invalidation``), read once per request by the request's ``Snapshot`` *before* the entry's data, and
is used only by a request holding the same stamp. Every write moves the generation of each account it
touched, in its own transaction (``store.sql_generation``), so a change is seen by the next request anywhere
— every worker, every node — without TTLs, and a write in one account leaves other accounts' entries valid.
This is the ``PolicySource`` authorization reads through (``rolegate.authz.facts``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from rolegate.authz.facts import EntityFacts, PrincipalPolicies
from rolegate.core import ids
from rolegate.core.arns import partition_of_arn
from rolegate.core import telemetry
from rolegate.core.stamped_cache import StampedCache
from rolegate.policy import CompiledPolicy, compile_stored_policy
from rolegate.store.invalidation import Snapshot, Stamp

from .access_keys import KeyOwner, key_owner
from .aws_managed import aws_managed_policy
from .entities import ManagedPolicyRecord
from .policy_lookup import find_managed_policy
from .ports import IamStore, IamTransaction

T = TypeVar("T")
_UNDECODED = "undecoded"  # not an account id (those are 12 digits)

# PrincipalPolicies and EntityFacts are authorization's types (``rolegate.authz.facts``); this module builds them.
__all__ = ["EffectivePolicies", "EntityFacts", "PrincipalPolicies"]


class EffectivePolicies:
    def __init__(self, store: IamStore, *, max_entries: int = 20_000) -> None:
        self._store = store
        self._entries: StampedCache[Hashable, Stamp, object] = StampedCache(
            max_entries, name=telemetry.EFFECTIVE_POLICIES)
        self._key_accounts: dict[str, str | None] = {}  # key id -> the account it encodes (never changes)

    def user(self, snapshot: Snapshot, account_id: str, user_id: str) -> PrincipalPolicies | None:
        return self._cached(snapshot, account_id, ("policies-of-user", user_id),
                            lambda tx: _user_policies(tx, user_id))

    def role(self, snapshot: Snapshot, account_id: str, role_name: str) -> PrincipalPolicies | None:
        # Keys of principals never collide with keys of resources (``resource`` uses the bare kind).
        return self._cached(snapshot, account_id, ("policies-of-role", account_id, role_name.lower()),
                            lambda tx: _role_policies(tx, account_id, role_name))

    def managed_document(self, snapshot: Snapshot, account_id: str, arn: str) -> CompiledPolicy | None:
        """A managed policy's default version, compiled (session ``PolicyArns``)."""
        return self._cached(snapshot, account_id, ("managed-document", account_id, arn),
                            lambda tx: _managed(tx, account_id, arn, "session"))

    def credential(self, snapshot: Snapshot, access_key_id: str) -> KeyOwner | None:
        """A long-term access key (active or not) and its owner, as authentication reads it.

        Key writes other than last-use bookkeeping move the key's account's generation, so a deactivated or
        deleted key stops authenticating with the next request. The account is read from the key id itself
        (``core.ids``); a key id that encodes none is read afresh each time, as are misses: unknown key ids
        are the caller's to choose, and must not evict the entries of real keys.
        """
        account = self._key_accounts.get(access_key_id, _UNDECODED)
        if account is _UNDECODED:
            account = ids.account_of_access_key_id(access_key_id)
            if len(self._key_accounts) >= 10_000:
                self._key_accounts.clear()
            self._key_accounts[access_key_id] = account
        if account is None:
            with self._store.read() as tx:
                return key_owner(tx, access_key_id)
        return self._cached(snapshot, account, ("credential", access_key_id),
                            lambda tx: key_owner(tx, access_key_id), cache_none=False)

    def resource(self, snapshot: Snapshot, kind: str, account_id: str, key: str) -> EntityFacts | None:
        """Facts of the ``kind`` resource named ``key`` (a name, or an ARN for providers and policies)."""
        if kind == "access-key":
            return self._cached(snapshot, account_id, ("access-key", account_id, key),
                                lambda tx: _key_facts(tx, account_id, key), cache_none=False)
        if kind == "service-specific-credential":
            # Its table moves no generation (it decides nothing else), but a credential's service never changes.
            return self._cached(snapshot, account_id, (kind, account_id, key),
                                lambda tx: _credential_facts(tx, account_id, key), cache_none=False)
        norm = key if kind in _BY_ARN else key.lower()
        return self._cached(snapshot, account_id, (kind, account_id, norm),
                            lambda tx: _entity(tx, kind, account_id, key))

    def _cached(self, snapshot: Snapshot, account_id: str, key: Hashable,
                build: Callable[[IamTransaction], T | None], *, cache_none: bool = True) -> T | None:
        stamp = snapshot.stamp(account_id)  # read before the data: an entry is never newer than its stamp

        def read() -> T | None:
            with self._store.read() as tx:
                return build(tx)

        found = self._entries.get_or_build(key, stamp, read, keep=None if cache_none else _is_not_none)
        return found  # type: ignore[return-value]


def _is_not_none(value: object) -> bool:
    return value is not None


_BY_ARN = frozenset({"policy", "oidc-provider", "saml-provider", "mfa"})


def _user_policies(tx: IamTransaction, user_id: str) -> PrincipalPolicies | None:
    user = tx.users.get(user_id)
    if user is None:
        return None
    account = user.account_id
    docs: list[CompiledPolicy] = [compile_stored_policy(d) for _, d in tx.users.list_inline_policies(user_id)]
    docs += _attached(tx, account, "User", user_id)
    for group in tx.users.list_groups(user_id):
        docs += [compile_stored_policy(d) for _, d in tx.groups.list_inline_policies(group.group_id)]
        docs += _attached(tx, account, "Group", group.group_id)
    boundary = _managed(tx, account, user.permissions_boundary_arn, "boundary") \
        if user.permissions_boundary_arn else None
    return PrincipalPolicies(user.arn, user.user_id, tuple(docs), boundary, user.tags)


def _role_policies(tx: IamTransaction, account_id: str, role_name: str) -> PrincipalPolicies | None:
    role = tx.roles.get_by_name(account_id, role_name)
    if role is None:
        return None
    docs = [compile_stored_policy(d) for _, d in tx.roles.list_inline_policies(role.role_id)]
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
    # The ARN is a stored attachment or a session's, checked against the account's partition when it was
    # attached or the session issued: read it in the partition it names.
    policy = find_managed_policy(tx, account_id, arn, partition_of_arn(arn))
    if policy is None:
        return None
    document = _default_document(tx, policy)
    return compile_stored_policy(document, kind=kind) if document is not None else None


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
        policy = find_managed_policy(tx, account_id, key, partition_of_arn(key))
        return EntityFacts(policy.arn, policy.tags) if policy else None
    if kind == "oidc-provider":
        oidc = tx.oidc_providers.get(key)
        return EntityFacts(oidc.arn, oidc.tags) if oidc and oidc.account_id == account_id else None
    if kind == "saml-provider":
        saml = tx.saml_providers.get(key)
        return EntityFacts(saml.arn, saml.tags) if saml and saml.account_id == account_id else None
    if kind == "server-certificate":
        cert = tx.server_certificates.get_by_name(account_id, key)
        return EntityFacts(cert.arn, cert.tags) if cert else None
    return None


def _credential_facts(tx: IamTransaction, account_id: str, credential_id: str) -> EntityFacts | None:
    credential = tx.service_credentials.get(credential_id)
    owner = tx.users.get(credential.user_id) if credential and credential.account_id == account_id else None
    if credential is None or owner is None:
        return None
    return EntityFacts(owner.arn, attributes=(("iam:ServiceSpecificCredentialServiceName", credential.service_name),))


def _key_facts(tx: IamTransaction, account_id: str, access_key_id: str) -> EntityFacts | None:
    owned = key_owner(tx, access_key_id)
    if owned is None or owned.user is None or owned.key.account_id != account_id:
        return None
    user = owned.user
    return EntityFacts(user.arn, user.tags, user.permissions_boundary_arn)
