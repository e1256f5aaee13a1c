"""Account-wide views: GetAccountAuthorizationDetails (every user, group, role and managed policy with their
relationships) and GetAccountSummary (entity counts and quotas), each read in one store transaction.

GetAccountAuthorizationDetails pages over the concatenation of its four lists — users, groups, roles,
policies, in that order, each ordered by lower-cased name — with one MaxItems budget shared by all four. The
marker names the section and sort key of the last item returned, so a page stays stable while items
before it are deleted (as the List* markers do). Details are loaded for the page's entities only, one
set-based query per kind of detail.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rolegate.authz import RequestContext
from rolegate.core.bookkeeping import Bookkeeping
from rolegate.core.errors import ValidationError
from rolegate.core.pagination import decode_marker, encode_marker

from .aws_managed import aws_managed_policy, is_aws_managed_arn, policy_sort_key
from .entities import GroupRecord, ManagedPolicyRecord, RoleRecord, UserRecord
from .instance_profiles import InstanceProfile
from .limits import DEFAULT_LIMITS, IamLimits
from .paging import page_limit
from .policies import AttachedPolicy, PolicyView, VersionView
from .ports import IamReadStore, IamTransaction

# GetAccountAuthorizationDetails' Filter values (IAM API reference, EntityType).
ENTITY_FILTERS = ("User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")
_SECTIONS = ("User", "Group", "Role", "Policy")  # the order of the response's lists

# SetSecurityTokenServicePreferences is not implemented: the global endpoint issues version 1 tokens,
# AWS's default (IAM API reference, SetSecurityTokenServicePreferences).
GLOBAL_ENDPOINT_TOKEN_VERSION = 1

InlinePolicies = tuple[tuple[str, str], ...]  # (name, document) pairs, ordered by name


@dataclass(frozen=True, slots=True)
class UserDetail:
    user: UserRecord
    inline_policies: InlinePolicies
    group_names: tuple[str, ...]
    attached: tuple[AttachedPolicy, ...]


@dataclass(frozen=True, slots=True)
class GroupDetail:
    group: GroupRecord
    inline_policies: InlinePolicies
    attached: tuple[AttachedPolicy, ...]


@dataclass(frozen=True, slots=True)
class RoleDetail:
    role: RoleRecord
    inline_policies: InlinePolicies
    attached: tuple[AttachedPolicy, ...]
    instance_profiles: tuple[InstanceProfile, ...]


@dataclass(frozen=True, slots=True)
class PolicyDetail:
    view: PolicyView
    versions: tuple[VersionView, ...]  # every stored version, newest first


@dataclass(frozen=True, slots=True)
class AuthorizationDetails:
    users: list[UserDetail]
    groups: list[GroupDetail]
    roles: list[RoleDetail]
    policies: list[PolicyDetail]
    is_truncated: bool
    marker: str | None


@dataclass(frozen=True, slots=True)
class _Item:
    section: int
    key: str
    record: Any


class AccountViewService:
    def __init__(self, store: IamReadStore, limits: IamLimits = DEFAULT_LIMITS, *,
                 bookkeeping: Bookkeeping[Any] | None = None) -> None:
        self._store = store
        self._limits = limits
        # Settled before a read that shows last use (``rolegate.core.bookkeeping``); None: nothing is deferred.
        self._bookkeeping = bookkeeping

    def authorization_details(self, request: RequestContext, *, filters: Sequence[str] = (), marker: str | None = None,
                              max_items: int | None = None) -> AuthorizationDetails:
        # No Filter means everything (IAM API reference, GetAccountAuthorizationDetails, Filter).
        wanted = set(filters) or set(ENTITY_FILTERS)
        start_section, after = _decode(marker)
        limit = page_limit(max_items)
        if self._bookkeeping is not None:
            self._bookkeeping.catch_up()
        with self._store.read() as tx:
            items: list[_Item] = []
            for section in range(start_section, len(_SECTIONS)):
                budget = limit + 1 - len(items)  # one more than the page holds tells whether it is truncated
                if budget <= 0:
                    break
                rows = _section_rows(tx, request.account_id, _SECTIONS[section], wanted,
                                     after if section == start_section else None, budget)
                items += [_Item(section, key, record) for key, record in rows]
            truncated = len(items) > limit
            page = items[:limit]
            by_section: list[list[Any]] = [[i.record for i in page if i.section == s] for s in range(len(_SECTIONS))]
            details = AuthorizationDetails(
                users=_user_details(tx, by_section[0]), groups=_group_details(tx, by_section[1]),
                roles=_role_details(tx, by_section[2]), policies=_policy_details(tx, by_section[3]),
                is_truncated=truncated,
                marker=encode_marker(f"{page[-1].section}:{page[-1].key}") if truncated else None)
        return details

    def summary(self, request: RequestContext) -> dict[str, int]:
        """GetAccountSummary's SummaryMap: every key of ``summaryKeyType`` — counts read from the store in one
        transaction (``SUMMARY_COUNTS``), quotas from ``IamLimits`` (``summary_quotas``).

        Keys and meanings: IAM API reference, GetAccountSummary.
        """
        with self._store.read() as tx:
            counts = {key: count(tx, request.account_id) for key, count in SUMMARY_COUNTS.items()}
        return {**counts, **summary_quotas(self._limits)}


SummaryCount = Callable[[IamTransaction, str], int]


def _providers(tx: IamTransaction, account_id: str) -> int:
    return tx.oidc_providers.count(account_id) + tx.saml_providers.count(account_id)


def _policy_attachments(tx: IamTransaction, account_id: str) -> int:
    # "The number of managed policies that are attached to IAM users, groups, or roles": we count attachments,
    # so one policy attached to two roles counts twice (its quota is per attachment).
    return sum(tx.managed_policies.attachment_counts(account_id).values())


def _root_keys_present(tx: IamTransaction, account_id: str) -> int:
    return int(bool(tx.access_keys.list_for_user(account_id, None)))


def _mfa_devices(tx: IamTransaction, account_id: str) -> int:
    return len(tx.mfa_devices.list_for_account(account_id))  # assigned or not


def _mfa_devices_in_use(tx: IamTransaction, account_id: str) -> int:
    return sum(d.user_id is not None for d in tx.mfa_devices.list_for_account(account_id))


def _none(tx: IamTransaction, account_id: str) -> int:
    return 0


#: SummaryMap's counted keys and how each is counted. A feature that adds an entity adds its line here (another
#: part of the IAM API stores server and signing certificates; until it does, they count 0).
SUMMARY_COUNTS: dict[str, SummaryCount] = {
    "Users": lambda tx, a: tx.users.count(a),
    "Groups": lambda tx, a: tx.groups.count(a),
    "Roles": lambda tx, a: tx.roles.count(a),
    "Policies": lambda tx, a: tx.managed_policies.count(a),  # customer managed only
    "InstanceProfiles": lambda tx, a: tx.instance_profiles.count(a),
    "Providers": _providers,
    "PolicyVersionsInUse": _policy_attachments,
    "MFADevices": _mfa_devices,
    "MFADevicesInUse": _mfa_devices_in_use,
    "AccountAccessKeysPresent": _root_keys_present,
    "ServerCertificates": _none,
    "AccountSigningCertificatesPresent": _none,
    # The root user's MFA and console password are not managed by rolegate (devices are enabled for IAM users
    # only; login profiles are IAM users' only), so the root user never has either.
    "AccountMFAEnabled": _none,
    "AccountPasswordPresent": _none,
}


def summary_quotas(lim: IamLimits) -> dict[str, int]:
    return {
        "UsersQuota": lim.users_per_account,
        "GroupsQuota": lim.groups_per_account,
        "RolesQuota": lim.roles_per_account,
        "PoliciesQuota": lim.customer_managed_policies_per_account,
        "InstanceProfilesQuota": lim.instance_profiles_per_account,
        "ServerCertificatesQuota": lim.server_certificates_per_account,
        "SigningCertificatesPerUserQuota": lim.signing_certificates_per_user,
        "AccessKeysPerUserQuota": lim.access_keys_per_user,
        "GroupsPerUserQuota": lim.groups_per_user,
        "AttachedPoliciesPerRoleQuota": lim.managed_policies_per_role,
        "AttachedPoliciesPerUserQuota": lim.managed_policies_per_user,
        "AttachedPoliciesPerGroupQuota": lim.managed_policies_per_group,
        "PolicySizeQuota": lim.managed_policy_chars,
        "PolicyVersionsInUseQuota": lim.policy_attachments_per_account,
        "VersionsPerPolicyQuota": lim.versions_per_managed_policy,
        "AssumeRolePolicySizeQuota": lim.trust_policy_chars,
        "UserPolicySizeQuota": lim.user_inline_policy_chars,
        "GroupPolicySizeQuota": lim.group_inline_policy_chars,
        "RolePolicySizeQuota": lim.role_inline_policy_chars,
        "GlobalEndpointTokenVersion": GLOBAL_ENDPOINT_TOKEN_VERSION,
    }


# --- paging over the four sections ------------------------------------------------------------------------


def _decode(marker: str | None) -> tuple[int, str | None]:
    """(section index, sort key of the last item returned) from a marker; (0, None) without one."""
    decoded = decode_marker(marker)
    if decoded is None:
        return 0, None
    section, sep, key = decoded.partition(":")
    if not sep or not section.isdigit() or int(section) >= len(_SECTIONS):
        raise ValidationError("Invalid Marker.")
    return int(section), key


def _section_rows(tx: IamTransaction, account_id: str, section: str, wanted: set[str], after: str | None,
                  budget: int) -> list[tuple[str, Any]]:
    """Up to ``budget`` (sort key, record) pairs of one section, after the sort key ``after``."""
    named: dict[str, Callable[..., Sequence[Any]]] = {
        "User": tx.users.list_for_account, "Group": tx.groups.list_for_account,
        "Role": tx.roles.list_for_account}
    if section in named:
        if section not in wanted:
            return []
        return [(r.name.lower(), r) for r in named[section](account_id, "/", after, budget)]
    views = _policy_views(tx, account_id, local="LocalManagedPolicy" in wanted, aws="AWSManagedPolicy" in wanted)
    keyed = sorted((policy_sort_key(v.policy), v) for v in views)
    return [(k, v) for k, v in keyed if after is None or k > after][:budget]


def _policy_views(tx: IamTransaction, account_id: str, *, local: bool, aws: bool) -> list[PolicyView]:
    """The account's customer managed policies, and the AWS managed policies in use in the account.

    AWS lists an AWS managed policy here only when the account uses it; we count a permissions boundary as
    a use as well as an attachment, so a dump holds every document the account's permissions depend on.
    """
    if not (local or aws):
        return []
    attached = tx.managed_policies.attachment_counts(account_id)
    bounds = tx.managed_policies.boundary_counts(account_id)
    policies: list[ManagedPolicyRecord] = list(tx.managed_policies.list_for_account(account_id)) if local else []
    if aws:
        for arn in sorted(set(attached) | set(bounds)):
            found = aws_managed_policy(arn) if is_aws_managed_arn(arn) else None
            if found is not None:
                policies.append(found.policy)
    return [PolicyView(p, attached.get(p.arn, 0), bounds.get(p.arn, 0)) for p in policies]


# --- details of the page's entities, one query per kind of detail -------------------------------------------


def _attached(tx: IamTransaction, kind: str, ids: list[str]) -> dict[str, tuple[AttachedPolicy, ...]]:
    found = tx.account_views.attached_policies(kind, ids)
    return {entity: tuple(sorted((AttachedPolicy(arn.rsplit("/", 1)[-1], arn) for arn in arns),
                                 key=lambda a: (a.name.lower(), a.arn)))
            for entity, arns in found.items()}


def _inline(tx: IamTransaction, kind: str, ids: list[str]) -> dict[str, InlinePolicies]:
    return {owner: tuple(pairs) for owner, pairs in tx.account_views.inline_policies(kind, ids).items()}


def _user_details(tx: IamTransaction, users: list[UserRecord]) -> list[UserDetail]:
    ids = [u.user_id for u in users]
    inline, attached = _inline(tx, "User", ids), _attached(tx, "User", ids)
    groups = tx.account_views.group_names(ids)
    return [UserDetail(u, inline.get(u.user_id, ()), tuple(groups.get(u.user_id, ())), attached.get(u.user_id, ()))
            for u in users]


def _group_details(tx: IamTransaction, groups: list[GroupRecord]) -> list[GroupDetail]:
    ids = [g.group_id for g in groups]
    inline, attached = _inline(tx, "Group", ids), _attached(tx, "Group", ids)
    return [GroupDetail(g, inline.get(g.group_id, ()), attached.get(g.group_id, ())) for g in groups]


def _role_details(tx: IamTransaction, roles: list[RoleRecord]) -> list[RoleDetail]:
    ids = [r.role_id for r in roles]
    inline, attached = _inline(tx, "Role", ids), _attached(tx, "Role", ids)
    by_name = {r.name: r for r in roles}
    profiles: dict[str, list[InstanceProfile]] = {}
    for p in tx.account_views.instance_profiles_holding(ids):
        assert p.role_name is not None
        role = by_name[p.role_name]
        # IAM allows one role per profile, so the profile's Roles list is exactly this role.
        profiles.setdefault(role.role_id, []).append(InstanceProfile(p, (role,)))
    return [RoleDetail(r, inline.get(r.role_id, ()), attached.get(r.role_id, ()),
                       tuple(profiles.get(r.role_id, ()))) for r in roles]


def _policy_details(tx: IamTransaction, views: list[PolicyView]) -> list[PolicyDetail]:
    local_ids = [v.policy.policy_id for v in views if not is_aws_managed_arn(v.policy.arn)]
    stored = tx.account_views.policy_versions(local_ids)
    out: list[PolicyDetail] = []
    for v in views:
        p = v.policy
        if is_aws_managed_arn(p.arn):
            shipped = aws_managed_policy(p.arn)
            versions = [shipped.default_version] if shipped else []
        else:
            versions = stored.get(p.policy_id, [])
        out.append(PolicyDetail(v, tuple(VersionView(ver, ver.version_id == p.default_version_id)
                                         for ver in versions)))
    return out
