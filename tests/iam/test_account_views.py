"""Account-wide views as the domain service builds them: GetAccountAuthorizationDetails (relationships,
filters, paging across its four lists) and GetAccountSummary (counts from the store, quotas from limits)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import botocore.session
import pytest

from rolegate.authz import RequestContext
from rolegate.core.clock import FixedClock
from rolegate.core.errors import ValidationError
from rolegate.core.pagination import encode_marker
from rolegate.iam.account_views import AccountViewService, AuthorizationDetails
from rolegate.iam.accounts import AccountService
from rolegate.iam.groups import GroupService
from rolegate.iam.instance_profiles import InstanceProfileService
from rolegate.iam.limits import IamLimits
from rolegate.iam.policies import ManagedPolicyService
from rolegate.iam.providers import ProviderService
from rolegate.iam.roles import RoleService
from rolegate.iam.users import UserService
from rolegate.sts.entities import MfaDeviceRecord
from rolegate.store.sql import SqlStore, SqlTransaction

from .conftest import ACCOUNT
from .test_policies import ADMIN, DOC, DOC2, TRUST
from tests.iam.conftest import Requests

OTHER = "444455556666"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


@dataclass
class Iam:
    roles: RoleService
    users: UserService
    groups: GroupService
    policies: ManagedPolicyService
    profiles: InstanceProfileService
    providers: ProviderService


@pytest.fixture
def iam(store: SqlStore, clock: FixedClock, accounts: AccountService, internal_request: RequestContext) -> Iam:
    accounts.create_account(internal_request, "other", OTHER)
    return Iam(RoleService(store), UserService(store), GroupService(store),
               ManagedPolicyService(store), InstanceProfileService(store), ProviderService(store))


@pytest.fixture
def views(store: SqlStore) -> AccountViewService:
    return AccountViewService(store)


def _arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:policy/{name}"


@pytest.fixture
def populated(iam: Iam, req: Requests) -> Iam:
    """One of each relationship GetAccountAuthorizationDetails reports, and a second account beside it."""
    iam.policies.create_policy(req(ACCOUNT), "deploy", DOC, description="deploys")
    iam.policies.create_policy_version(req(ACCOUNT), _arn("deploy"), DOC2, set_as_default=True)
    iam.policies.create_policy(req(ACCOUNT), "unused", DOC)
    iam.users.create_user(req(ACCOUNT), "alice", tags=[("team", "core")], permissions_boundary_arn=_arn("deploy"))
    iam.users.put_user_policy(req(ACCOUNT), "alice", "inline-u", DOC)
    iam.groups.create_group(req(ACCOUNT), "devs", path="/eng/")
    iam.groups.put_group_policy(req(ACCOUNT), "devs", "inline-g", DOC)
    iam.groups.add_user_to_group(req(ACCOUNT), "devs", "alice")
    iam.policies.attach(req(ACCOUNT), "Group", "devs", READ_ONLY)
    iam.policies.attach(req(ACCOUNT), "User", "alice", _arn("deploy"))
    iam.roles.create_role(req(ACCOUNT), "app", TRUST, tags=[("env", "prod")], permissions_boundary_arn=ADMIN)
    iam.roles.put_role_policy(req(ACCOUNT), "app", "inline-r", DOC)
    iam.policies.attach(req(ACCOUNT), "Role", "app", _arn("deploy"))
    iam.policies.attach(req(ACCOUNT), "Role", "app", READ_ONLY)
    iam.profiles.create_instance_profile(req(ACCOUNT), "app-profile")
    iam.profiles.add_role(req(ACCOUNT), "app-profile", "app")
    iam.roles.create_role(req(OTHER), "elsewhere", TRUST)
    iam.users.create_user(req(OTHER), "bob")
    iam.policies.attach(req(OTHER), "Role", "elsewhere", "arn:aws:iam::aws:policy/AWSLambdaExecute")
    return iam


def test_an_empty_account_has_empty_lists_and_is_not_truncated(iam: Iam, views: AccountViewService,
                                                               req: Requests) -> None:
    d = views.authorization_details(req(ACCOUNT))
    assert (d.users, d.groups, d.roles, d.policies, d.is_truncated, d.marker) == ([], [], [], [], False, None)


def test_a_user_carries_its_inline_policies_groups_attachments_boundary_and_tags(
        populated: Iam, views: AccountViewService, req: Requests) -> None:
    [user] = views.authorization_details(req(ACCOUNT)).users
    assert user.user.name == "alice" and user.user.tags == (("team", "core"),)
    assert user.user.permissions_boundary_arn == _arn("deploy")
    assert user.inline_policies == (("inline-u", DOC),)
    assert user.group_names == ("devs",)
    assert [(a.name, a.arn) for a in user.attached] == [("deploy", _arn("deploy"))]


def test_a_group_carries_its_inline_and_attached_policies(populated: Iam, views: AccountViewService,
                                                          req: Requests) -> None:
    [group] = views.authorization_details(req(ACCOUNT)).groups
    assert (group.group.name, group.group.path) == ("devs", "/eng/")
    assert group.inline_policies == (("inline-g", DOC),)
    assert [a.arn for a in group.attached] == [READ_ONLY]


def test_a_role_carries_its_policies_and_the_instance_profiles_that_hold_it(
        populated: Iam, views: AccountViewService, req: Requests) -> None:
    [role] = views.authorization_details(req(ACCOUNT)).roles
    assert role.role.name == "app" and role.role.permissions_boundary_arn == ADMIN
    assert role.inline_policies == (("inline-r", DOC),)
    assert [a.name for a in role.attached] == ["deploy", "ReadOnlyAccess"]
    [profile] = role.instance_profiles
    assert profile.profile.name == "app-profile"
    assert [r.role_id for r in profile.roles] == [role.role.role_id]


def test_policies_are_the_customer_ones_and_the_aws_ones_the_account_uses(
        populated: Iam, views: AccountViewService, req: Requests) -> None:
    policies = {p.view.policy.name: p for p in views.authorization_details(req(ACCOUNT)).policies}
    # AdministratorAccess bounds a role, ReadOnlyAccess is attached; AWSLambdaExecute is used only by OTHER.
    assert sorted(policies, key=str.lower) == ["AdministratorAccess", "deploy", "ReadOnlyAccess", "unused"]
    deploy = policies["deploy"]
    assert (deploy.view.attachment_count, deploy.view.boundary_count) == (2, 1)
    assert [(v.version.version_id, v.is_default, v.version.document) for v in deploy.versions] == [
        ("v2", True, DOC2), ("v1", False, DOC)]
    assert (policies["ReadOnlyAccess"].view.attachment_count, policies["AdministratorAccess"].view.boundary_count) \
        == (2, 1)
    [aws_version] = policies["ReadOnlyAccess"].versions
    assert aws_version.is_default and json.loads(aws_version.version.document)["Statement"]
    assert policies["unused"].view.attachment_count == 0


def test_another_accounts_entities_never_appear(populated: Iam, views: AccountViewService, req: Requests) -> None:
    d = views.authorization_details(req(OTHER))
    assert [u.user.name for u in d.users] == ["bob"] and [r.role.name for r in d.roles] == ["elsewhere"]
    assert [p.view.policy.name for p in d.policies] == ["AWSLambdaExecute"]


@pytest.mark.parametrize(("filters", "expected"), [
    (["Role"], ([], [], ["app"], [])),
    (["User", "Group"], (["alice"], ["devs"], [], [])),
    (["LocalManagedPolicy"], ([], [], [], ["deploy", "unused"])),
    (["AWSManagedPolicy"], ([], [], [], ["AdministratorAccess", "ReadOnlyAccess"])),
])
def test_the_filter_keeps_only_the_named_entity_types(populated: Iam, views: AccountViewService,
                                                      filters: list[str], expected: tuple[list[str],
                                                                                          ...], req: Requests) -> None:
    assert _names(views.authorization_details(req(ACCOUNT), filters=filters)) == expected


def test_paging_with_a_small_max_items_walks_all_four_lists_once(populated: Iam, views: AccountViewService,
                                                                 req: Requests) -> None:
    whole = _names(views.authorization_details(req(ACCOUNT)))
    for size in (1, 2, 3, 5):
        pages = list(_pages(views, req, size))
        assert all(_count(p) == size for p in pages[:-1]) and 0 < _count(pages[-1]) <= size
        assert pages[-1].is_truncated is False and all(p.is_truncated for p in pages[:-1])
        merged = tuple(sum((_names(p)[i] for p in pages), []) for i in range(4))
        assert merged == whole


def test_a_marker_stays_valid_when_items_before_it_are_deleted(populated: Iam, views: AccountViewService,
                                                               req: Requests) -> None:
    populated.users.create_user(req(ACCOUNT), "zed")
    first = views.authorization_details(req(ACCOUNT), max_items=2)  # alice, zed
    assert [u.user.name for u in first.users] == ["alice", "zed"]
    populated.users.delete_user(req(ACCOUNT), "zed")
    rest = views.authorization_details(req(ACCOUNT), marker=first.marker, max_items=1)
    assert [g.group.name for g in rest.groups] == ["devs"] and rest.users == []


def test_a_marker_we_did_not_issue_is_a_validation_error(views: AccountViewService, req: Requests) -> None:
    for marker in ("%%%", encode_marker("nonsense"), encode_marker("9:x")):
        with pytest.raises(ValidationError, match="Invalid Marker"):
            views.authorization_details(req(ACCOUNT), marker=marker)


def test_authorization_details_are_read_in_one_transaction(populated: Iam, store: SqlStore, req: Requests) -> None:
    counting = _CountingStore(store)
    AccountViewService(counting).authorization_details(req(ACCOUNT))  # type: ignore[arg-type]
    assert (counting.reads, counting.writes) == (1, 0)


def test_the_summary_counts_what_the_store_holds(populated: Iam, views: AccountViewService, req: Requests) -> None:
    populated.providers.create_oidc_provider(req(ACCOUNT), "https://idp.example.com", client_ids=["c"])
    s = views.summary(req(ACCOUNT))
    assert (s["Users"], s["Groups"], s["Roles"], s["Policies"], s["InstanceProfiles"], s["Providers"]) == (
        1, 1, 1, 2, 1, 1)
    # Attachments: devs->ReadOnly, alice->deploy, app->deploy, app->ReadOnly (boundaries are not attachments).
    assert s["PolicyVersionsInUse"] == 4
    assert s["AccountAccessKeysPresent"] == 1  # the account was created with a root key
    assert (s["MFADevices"], s["AccountMFAEnabled"], s["ServerCertificates"]) == (0, 0, 0)
    assert views.summary(req(OTHER))["Roles"] == 1


def test_the_summary_counts_mfa_devices_and_those_in_use(iam: Iam, views: AccountViewService, store: SqlStore,
                                                         clock: FixedClock, req: Requests) -> None:
    user = iam.users.create_user(req(ACCOUNT), "carol")
    with store.write() as tx:
        for name, owner in (("spare", None), ("carols", user.user_id)):
            tx.mfa_devices.create(MfaDeviceRecord(
                serial_number=f"arn:aws:iam::{ACCOUNT}:mfa/{name}", account_id=ACCOUNT, name=name, path="/",
                seed="JBSWY3DPEHPK3PXP", created_at=clock.now(), user_id=owner,
                enabled_at=clock.now() if owner else None))
    s = views.summary(req(ACCOUNT))
    assert (s["MFADevices"], s["MFADevicesInUse"], s["AccountMFAEnabled"]) == (2, 1, 0)
    assert views.summary(req(OTHER))["MFADevices"] == 0


def test_the_summary_quotas_come_from_the_limits(store: SqlStore, accounts: AccountService, req: Requests) -> None:
    limits = IamLimits(roles_per_account=7, trust_policy_chars=4096, managed_policies_per_role=20)
    s = AccountViewService(store, limits).summary(req(ACCOUNT))
    assert (s["RolesQuota"], s["AssumeRolePolicySizeQuota"], s["AttachedPoliciesPerRoleQuota"]) == (7, 4096, 20)
    default = AccountViewService(store).summary(req(ACCOUNT))
    assert (default["UsersQuota"], default["PoliciesQuota"], default["PolicySizeQuota"],
            default["VersionsPerPolicyQuota"], default["RolePolicySizeQuota"]) == (5000, 1500, 6144, 5, 10240)


def test_the_summary_has_every_key_aws_returns(views: AccountViewService, req: Requests) -> None:
    assert set(views.summary(req(ACCOUNT))) == {
        "Users", "UsersQuota", "Groups", "GroupsQuota", "ServerCertificates", "ServerCertificatesQuota",
        "UserPolicySizeQuota", "GroupPolicySizeQuota", "GroupsPerUserQuota", "SigningCertificatesPerUserQuota",
        "AccessKeysPerUserQuota", "MFADevices", "MFADevicesInUse", "AccountMFAEnabled", "AccountAccessKeysPresent",
        "AccountPasswordPresent", "AccountSigningCertificatesPresent", "AttachedPoliciesPerGroupQuota", "AttachedPoliciesPerRoleQuota",
        "AttachedPoliciesPerUserQuota", "Policies", "PoliciesQuota", "PolicySizeQuota", "PolicyVersionsInUse",
        "PolicyVersionsInUseQuota", "VersionsPerPolicyQuota", "GlobalEndpointTokenVersion",
        "AssumeRolePolicySizeQuota", "InstanceProfiles", "InstanceProfilesQuota", "Providers",
        "RolePolicySizeQuota", "Roles", "RolesQuota"}


def test_the_summary_keys_are_exactly_the_models_summary_key_type(views: AccountViewService, req: Requests) -> None:
    model = botocore.session.get_session().get_service_model("iam")
    assert sorted(views.summary(req(ACCOUNT))) == sorted(model.shape_for("summaryKeyType").enum)


def test_the_root_user_has_no_console_password_or_mfa(views: AccountViewService, req: Requests) -> None:
    s = views.summary(req(ACCOUNT))
    assert (s["AccountPasswordPresent"], s["AccountMFAEnabled"]) == (0, 0)


# --- helpers ------------------------------------------------------------------------------------------------


def _names(d: AuthorizationDetails) -> tuple[list[str], ...]:
    return ([u.user.name for u in d.users], [g.group.name for g in d.groups], [r.role.name for r in d.roles],
            [p.view.policy.name for p in d.policies])


def _count(d: AuthorizationDetails) -> int:
    return sum(len(x) for x in _names(d))


def _pages(views: AccountViewService, req: Requests, size: int) -> Iterator[AuthorizationDetails]:
    marker = None
    while True:
        page = views.authorization_details(req(ACCOUNT), marker=marker, max_items=size)
        yield page
        if not page.is_truncated:
            return
        marker = page.marker


class _CountingStore:
    def __init__(self, inner: SqlStore) -> None:
        self._inner = inner
        self.reads = self.writes = 0

    @contextmanager
    def read(self) -> Iterator[SqlTransaction]:
        self.reads += 1
        with self._inner.read() as tx:
            yield tx

    @contextmanager
    def write(self) -> Iterator[SqlTransaction]:
        self.writes += 1
        with self._inner.write() as tx:
            yield tx
