"""The control plane against a model of IAM's rules: Hypothesis drives random sequences of operations through
boto3 against a live server and through a plain in-memory model written from the AWS API reference (not
from rolegate's code), and every step must agree — the same success or error code — and the server's
listings must match the model's state afterwards.

Each example works under its own random path and name prefix in the shared account and deletes what it
made in ``teardown``, so examples neither see nor disturb each other or the rest of the suite.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
DOC = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                          "Resource": "*"}]})
AWS_POLICY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
ACCOUNT = "123456789012"

# Small pools, so that operations collide often: the same name created twice, deletes of what is in use.
ROLES = st.sampled_from(["r0", "r1", "r2"])
USERS = st.sampled_from(["u0", "u1"])
GROUPS = st.sampled_from(["g0", "g1"])
POLICIES = st.sampled_from(["p0", "p1"])
PROFILES = st.sampled_from(["ip0", "ip1"])
INLINE = st.sampled_from(["i0", "i1"])
TAG_KEYS = st.sampled_from(["k0", "k1"])
VERSIONS = st.sampled_from([f"v{n}" for n in range(1, 8)])
MAX_VERSIONS = 5  # "Versions of a managed policy that can be stored" (IAM quotas)


# --- the model: IAM's documented rules over plain dicts keyed by lower-cased name (names ignore case) --------


@dataclass
class Role:
    name: str
    tags: dict[str, str] = field(default_factory=dict)
    inline: set[str] = field(default_factory=set)
    attached: set[str] = field(default_factory=set)  # policy keys: a local policy's short name, or AWS_POLICY
    boundary: str | None = None


@dataclass
class Policy:
    name: str
    versions: list[str] = field(default_factory=lambda: ["v1"])
    default: str = "v1"
    next_version: int = 2  # version ids are never reused (IAM User Guide, "Versioning IAM policies")


@dataclass
class Model:
    roles: dict[str, Role] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)
    profiles: dict[str, str | None] = field(default_factory=dict)  # profile -> the one role in it
    users: dict[str, str | None] = field(default_factory=dict)  # user -> its boundary
    groups: dict[str, set[str]] = field(default_factory=dict)  # group -> member users

    def policy_exists(self, key: str) -> bool:
        return key == AWS_POLICY or key in self.policies

    def boundary_uses(self, key: str) -> int:
        return (sum(r.boundary == key for r in self.roles.values())
                + sum(b == key for b in self.users.values()))

    def attachments(self, key: str) -> int:
        return sum(key in r.attached for r in self.roles.values())


class Refused(Exception):
    """The model's verdict on a step: AWS answers with this error code and changes nothing."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def require(condition: bool, code: str) -> None:
    if not condition:
        raise Refused(code)


# --- the machine -----------------------------------------------------------------------------------------


class ControlPlane(RuleBasedStateMachine):
    iam: Any = None  # set by the test: a root boto3 IAM client for the live server

    def __init__(self) -> None:
        super().__init__()
        self.tag = uuid.uuid4().hex[:10]
        self.path = f"/model{self.tag}/"
        self.model = Model()

    # Names and ARNs under this example's prefix ---------------------------------------------------------

    def n(self, short: str) -> str:
        return f"m{self.tag}{short}"

    def policy_arn(self, key: str) -> str:
        return key if key == AWS_POLICY else f"arn:aws:iam::{ACCOUNT}:policy{self.path}{self.n(key)}"

    def step(self, apply: Callable[[], None], call: Callable[[], Any]) -> None:
        """Run ``call`` on the server and ``apply`` on the model; both must succeed or fail alike."""
        try:
            apply()
            expected = None
        except Refused as refused:
            expected = refused.code
        try:
            call()
            got = None
        except ClientError as exc:
            got = exc.response["Error"]["Code"]
        assert got == expected, f"server answered {got}, the model expects {expected}"

    @initialize()
    def one_of_each(self) -> None:
        """Start every example with one entity of each kind, related, so conflicts come within a few steps."""
        self.create_role("r0", False)
        self.create_policy("p0")
        self.create_instance_profile("ip0")
        self.create_user("u0")
        self.create_group("g0")
        self.add_role_to_profile("ip0", "r0")
        self.add_user_to_group("g0", "u0")

    # Roles --------------------------------------------------------------------------------------------------

    @rule(role=ROLES, shout=st.booleans())
    def create_role(self, role: str, shout: bool) -> None:
        name = self.n(role).upper() if shout else self.n(role)

        def apply() -> None:
            require(role not in self.model.roles, "EntityAlreadyExists")
            self.model.roles[role] = Role(name)

        self.step(apply, lambda: self.iam.create_role(RoleName=name, Path=self.path, AssumeRolePolicyDocument=TRUST))

    @rule(role=ROLES)
    def delete_role(self, role: str) -> None:
        def apply() -> None:
            r = self.model.roles.get(role)
            require(r is not None, "NoSuchEntity")
            assert r is not None
            # DeleteRole: remove inline policies, attached managed policies and instance profiles first.
            require(not r.inline and not r.attached and role not in self.model.profiles.values(), "DeleteConflict")
            del self.model.roles[role]

        self.step(apply, lambda: self.iam.delete_role(RoleName=self.n(role)))

    @rule(role=ROLES, policy=INLINE)
    def put_role_policy(self, role: str, policy: str) -> None:
        def apply() -> None:
            require(role in self.model.roles, "NoSuchEntity")
            self.model.roles[role].inline.add(policy)

        self.step(apply, lambda: self.iam.put_role_policy(RoleName=self.n(role), PolicyName=policy,
                                                          PolicyDocument=DOC))

    @rule(role=ROLES, policy=INLINE)
    def delete_role_policy(self, role: str, policy: str) -> None:
        def apply() -> None:
            require(role in self.model.roles and policy in self.model.roles[role].inline, "NoSuchEntity")
            self.model.roles[role].inline.discard(policy)

        self.step(apply, lambda: self.iam.delete_role_policy(RoleName=self.n(role), PolicyName=policy))

    @rule(role=ROLES, key=TAG_KEYS, value=st.sampled_from(["a", "b"]))
    def tag_role(self, role: str, key: str, value: str) -> None:
        def apply() -> None:
            require(role in self.model.roles, "NoSuchEntity")
            self.model.roles[role].tags[key] = value  # tagging an existing key replaces its value

        self.step(apply, lambda: self.iam.tag_role(RoleName=self.n(role), Tags=[{"Key": key, "Value": value}]))

    @rule(role=ROLES, key=TAG_KEYS)
    def untag_role(self, role: str, key: str) -> None:
        def apply() -> None:
            require(role in self.model.roles, "NoSuchEntity")
            self.model.roles[role].tags.pop(key, None)  # removing an absent key is not an error

        self.step(apply, lambda: self.iam.untag_role(RoleName=self.n(role), TagKeys=[key]))

    @rule(role=ROLES, policy=st.one_of(POLICIES, st.just(AWS_POLICY)))
    def attach_role_policy(self, role: str, policy: str) -> None:
        def apply() -> None:
            require(role in self.model.roles and self.model.policy_exists(policy), "NoSuchEntity")
            self.model.roles[role].attached.add(policy)  # attaching again changes nothing

        self.step(apply, lambda: self.iam.attach_role_policy(RoleName=self.n(role), PolicyArn=self.policy_arn(policy)))

    @rule(role=ROLES, policy=st.one_of(POLICIES, st.just(AWS_POLICY)))
    def detach_role_policy(self, role: str, policy: str) -> None:
        def apply() -> None:
            require(role in self.model.roles and policy in self.model.roles[role].attached, "NoSuchEntity")
            self.model.roles[role].attached.discard(policy)

        self.step(apply, lambda: self.iam.detach_role_policy(RoleName=self.n(role), PolicyArn=self.policy_arn(policy)))

    @rule(role=ROLES, policy=st.one_of(POLICIES, st.just(AWS_POLICY)))
    def put_role_boundary(self, role: str, policy: str) -> None:
        def apply() -> None:
            require(role in self.model.roles and self.model.policy_exists(policy), "NoSuchEntity")
            self.model.roles[role].boundary = policy

        self.step(apply, lambda: self.iam.put_role_permissions_boundary(
            RoleName=self.n(role), PermissionsBoundary=self.policy_arn(policy)))

    @rule(role=ROLES)
    def delete_role_boundary(self, role: str) -> None:
        def apply() -> None:
            require(role in self.model.roles and self.model.roles[role].boundary is not None, "NoSuchEntity")
            self.model.roles[role].boundary = None

        self.step(apply, lambda: self.iam.delete_role_permissions_boundary(RoleName=self.n(role)))

    # Managed policies and versions ----------------------------------------------------------------------------

    @rule(policy=POLICIES)
    def create_policy(self, policy: str) -> None:
        def apply() -> None:
            require(policy not in self.model.policies, "EntityAlreadyExists")
            self.model.policies[policy] = Policy(self.n(policy))

        self.step(apply, lambda: self.iam.create_policy(PolicyName=self.n(policy), Path=self.path, PolicyDocument=DOC))

    @rule(policy=POLICIES)
    def delete_policy(self, policy: str) -> None:
        def apply() -> None:
            p = self.model.policies.get(policy)
            require(p is not None, "NoSuchEntity")
            assert p is not None
            # DeletePolicy: detach it everywhere (a boundary in use counts) and delete its other versions first.
            require(not self.model.attachments(policy) and not self.model.boundary_uses(policy)
                    and len(p.versions) == 1, "DeleteConflict")
            del self.model.policies[policy]

        self.step(apply, lambda: self.iam.delete_policy(PolicyArn=self.policy_arn(policy)))

    @rule(policy=POLICIES, make_default=st.booleans())
    def create_policy_version(self, policy: str, make_default: bool) -> None:
        def apply() -> None:
            p = self.model.policies.get(policy)
            require(p is not None, "NoSuchEntity")
            assert p is not None
            require(len(p.versions) < MAX_VERSIONS, "LimitExceeded")
            version = f"v{p.next_version}"
            p.next_version += 1
            p.versions.append(version)
            if make_default:
                p.default = version

        self.step(apply, lambda: self.iam.create_policy_version(
            PolicyArn=self.policy_arn(policy), PolicyDocument=DOC, SetAsDefault=make_default))

    @rule(policy=POLICIES, version=VERSIONS)
    def set_default_version(self, policy: str, version: str) -> None:
        def apply() -> None:
            p = self.model.policies.get(policy)
            require(p is not None and version in p.versions, "NoSuchEntity")
            assert p is not None
            p.default = version

        self.step(apply, lambda: self.iam.set_default_policy_version(PolicyArn=self.policy_arn(policy),
                                                                     VersionId=version))

    @rule(policy=POLICIES, version=VERSIONS)
    def delete_policy_version(self, policy: str, version: str) -> None:
        def apply() -> None:
            p = self.model.policies.get(policy)
            require(p is not None and version in p.versions, "NoSuchEntity")
            assert p is not None
            require(version != p.default, "DeleteConflict")  # the default version cannot be deleted
            p.versions.remove(version)

        self.step(apply, lambda: self.iam.delete_policy_version(PolicyArn=self.policy_arn(policy), VersionId=version))

    # Instance profiles ------------------------------------------------------------------------------------------

    @rule(profile=PROFILES)
    def create_instance_profile(self, profile: str) -> None:
        def apply() -> None:
            require(profile not in self.model.profiles, "EntityAlreadyExists")
            self.model.profiles[profile] = None

        self.step(apply, lambda: self.iam.create_instance_profile(InstanceProfileName=self.n(profile), Path=self.path))

    @rule(profile=PROFILES)
    def delete_instance_profile(self, profile: str) -> None:
        def apply() -> None:
            require(profile in self.model.profiles, "NoSuchEntity")
            require(self.model.profiles[profile] is None, "DeleteConflict")  # remove its role first
            del self.model.profiles[profile]

        self.step(apply, lambda: self.iam.delete_instance_profile(InstanceProfileName=self.n(profile)))

    @rule(profile=PROFILES, role=ROLES)
    def add_role_to_profile(self, profile: str, role: str) -> None:
        def apply() -> None:
            require(profile in self.model.profiles and role in self.model.roles, "NoSuchEntity")
            held = self.model.profiles[profile]
            require(held != role, "EntityAlreadyExists")
            require(held is None, "LimitExceeded")  # one role per instance profile (IAM quotas)
            self.model.profiles[profile] = role

        self.step(apply, lambda: self.iam.add_role_to_instance_profile(InstanceProfileName=self.n(profile),
                                                                       RoleName=self.n(role)))

    @rule(profile=PROFILES, role=ROLES)
    def remove_role_from_profile(self, profile: str, role: str) -> None:
        def apply() -> None:
            require(profile in self.model.profiles and role in self.model.roles
                    and self.model.profiles[profile] == role, "NoSuchEntity")
            self.model.profiles[profile] = None

        self.step(apply, lambda: self.iam.remove_role_from_instance_profile(InstanceProfileName=self.n(profile),
                                                                            RoleName=self.n(role)))

    # Users, groups, membership, user boundaries --------------------------------------------------------------

    @rule(user=USERS)
    def create_user(self, user: str) -> None:
        def apply() -> None:
            require(user not in self.model.users, "EntityAlreadyExists")
            self.model.users[user] = None

        self.step(apply, lambda: self.iam.create_user(UserName=self.n(user), Path=self.path))

    @rule(user=USERS)
    def delete_user(self, user: str) -> None:
        def apply() -> None:
            require(user in self.model.users, "NoSuchEntity")
            # DeleteUser: remove group memberships first; a permissions boundary is not on the list.
            require(not any(user in members for members in self.model.groups.values()), "DeleteConflict")
            del self.model.users[user]

        self.step(apply, lambda: self.iam.delete_user(UserName=self.n(user)))

    @rule(group=GROUPS)
    def create_group(self, group: str) -> None:
        def apply() -> None:
            require(group not in self.model.groups, "EntityAlreadyExists")
            self.model.groups[group] = set()

        self.step(apply, lambda: self.iam.create_group(GroupName=self.n(group), Path=self.path))

    @rule(group=GROUPS)
    def delete_group(self, group: str) -> None:
        def apply() -> None:
            require(group in self.model.groups, "NoSuchEntity")
            require(not self.model.groups[group], "DeleteConflict")  # "must not contain any users"
            del self.model.groups[group]

        self.step(apply, lambda: self.iam.delete_group(GroupName=self.n(group)))

    @rule(group=GROUPS, user=USERS)
    def add_user_to_group(self, group: str, user: str) -> None:
        def apply() -> None:
            require(group in self.model.groups and user in self.model.users, "NoSuchEntity")
            self.model.groups[group].add(user)

        self.step(apply, lambda: self.iam.add_user_to_group(GroupName=self.n(group), UserName=self.n(user)))

    @rule(group=GROUPS, user=USERS)
    def remove_user_from_group(self, group: str, user: str) -> None:
        def apply() -> None:
            require(group in self.model.groups and user in self.model.groups[group], "NoSuchEntity")
            self.model.groups[group].discard(user)

        self.step(apply, lambda: self.iam.remove_user_from_group(GroupName=self.n(group), UserName=self.n(user)))

    @rule(user=USERS, policy=st.one_of(POLICIES, st.just(AWS_POLICY)))
    def put_user_boundary(self, user: str, policy: str) -> None:
        def apply() -> None:
            require(user in self.model.users and self.model.policy_exists(policy), "NoSuchEntity")
            self.model.users[user] = policy

        self.step(apply, lambda: self.iam.put_user_permissions_boundary(
            UserName=self.n(user), PermissionsBoundary=self.policy_arn(policy)))

    @rule(user=USERS)
    def delete_user_boundary(self, user: str) -> None:
        def apply() -> None:
            require(user in self.model.users and self.model.users[user] is not None, "NoSuchEntity")
            self.model.users[user] = None

        self.step(apply, lambda: self.iam.delete_user_permissions_boundary(UserName=self.n(user)))

    # Checks: the server's state is the model's state ------------------------------------------------------------

    @invariant()
    def listings_match_the_model(self) -> None:
        """After every step: which entities exist, policy usage counts and default versions, profile roles."""
        iam, m = self.iam, self.model
        roles = [r["RoleName"] for r in iam.list_roles(PathPrefix=self.path)["Roles"]]
        assert sorted(roles) == sorted(r.name for r in m.roles.values())
        policies = {p["PolicyName"]: p for p in iam.list_policies(Scope="Local", PathPrefix=self.path)["Policies"]}
        assert {name: (p["AttachmentCount"], p["PermissionsBoundaryUsageCount"], p["DefaultVersionId"])
                for name, p in policies.items()} == {
            p.name: (m.attachments(k), m.boundary_uses(k), p.default) for k, p in m.policies.items()}
        profiles = iam.list_instance_profiles(PathPrefix=self.path)["InstanceProfiles"]
        assert {p["InstanceProfileName"]: [r["RoleName"] for r in p["Roles"]] for p in profiles} == {
            self.n(k): [m.roles[v].name] if v else [] for k, v in m.profiles.items()}
        assert {u["UserName"] for u in iam.list_users(PathPrefix=self.path)["Users"]} == {self.n(u) for u in m.users}
        assert {g["GroupName"] for g in iam.list_groups(PathPrefix=self.path)["Groups"]} == {
            self.n(g) for g in m.groups}

    @rule()
    def details_match_the_model(self) -> None:
        """Now and then, and at the end of every example: tags, boundaries, policies, versions, members."""
        iam, m = self.iam, self.model
        for key, role in m.roles.items():
            got = iam.get_role(RoleName=self.n(key))["Role"]
            assert {t["Key"]: t["Value"] for t in got.get("Tags", [])} == role.tags
            assert got.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn") == (
                self.policy_arn(role.boundary) if role.boundary else None)
            attached = iam.list_attached_role_policies(RoleName=self.n(key))["AttachedPolicies"]
            assert sorted(a["PolicyArn"] for a in attached) == sorted(self.policy_arn(p) for p in role.attached)
            assert sorted(iam.list_role_policies(RoleName=self.n(key))["PolicyNames"]) == sorted(role.inline)
        for key, policy in m.policies.items():
            versions = iam.list_policy_versions(PolicyArn=self.policy_arn(key))["Versions"]
            assert sorted(v["VersionId"] for v in versions) == sorted(policy.versions)
            assert [v["VersionId"] for v in versions if v["IsDefaultVersion"]] == [policy.default]
        for key, members in m.groups.items():
            got_members = {u["UserName"] for u in iam.get_group(GroupName=self.n(key))["Users"]}
            assert got_members == {self.n(u) for u in members}
        for key, boundary in m.users.items():
            got_user = iam.get_user(UserName=self.n(key))["User"]
            assert got_user.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn") == (
                self.policy_arn(boundary) if boundary else None)

    def teardown(self) -> None:
        try:
            self.details_match_the_model()
        finally:
            self._delete_everything()

    def _delete_everything(self) -> None:
        """Delete what this example made, undoing relationships first; a failed step must not leak state."""
        iam, m = self.iam, self.model
        calls: list[Callable[[], Any]] = []
        for group, members in m.groups.items():
            calls += [lambda g=group, u=u: iam.remove_user_from_group(GroupName=self.n(g), UserName=self.n(u))
                      for u in members]
        for profile, role in m.profiles.items():
            if role:
                calls.append(lambda p=profile, r=role: iam.remove_role_from_instance_profile(
                    InstanceProfileName=self.n(p), RoleName=self.n(r)))
        for key, role in m.roles.items():
            calls += [lambda k=key, p=p: iam.delete_role_policy(RoleName=self.n(k), PolicyName=p) for p in role.inline]
            calls += [lambda k=key, p=p: iam.detach_role_policy(RoleName=self.n(k), PolicyArn=self.policy_arn(p))
                      for p in role.attached]
            calls += [lambda k=key: iam.delete_role_permissions_boundary(RoleName=self.n(k)),
                      lambda k=key: iam.delete_role(RoleName=self.n(k))]
        for user in m.users:
            calls += [lambda u=user: iam.delete_user_permissions_boundary(UserName=self.n(u)),
                      lambda u=user: iam.delete_user(UserName=self.n(u))]
        calls += [lambda g=group: iam.delete_group(GroupName=self.n(g)) for group in m.groups]
        calls += [lambda p=profile: iam.delete_instance_profile(InstanceProfileName=self.n(p)) for p in m.profiles]
        for key, policy in m.policies.items():
            calls += [lambda k=key, v=v: iam.delete_policy_version(PolicyArn=self.policy_arn(k), VersionId=v)
                      for v in policy.versions if v != policy.default]
            calls.append(lambda k=key: iam.delete_policy(PolicyArn=self.policy_arn(k)))
        for call in calls:
            try:
                call()
            except ClientError:
                pass  # e.g. no boundary to delete: cleanup is best effort, the steps were the test


def test_the_control_plane_agrees_with_a_model_of_iams_rules(iam: Any) -> None:
    class Machine(ControlPlane):
        pass

    Machine.iam = iam
    # No shrinking: every shrink attempt replays a sequence of HTTP calls, which took minutes; the report
    # still prints the failing example's steps and the step where server and model parted.
    run_state_machine_as_test(Machine, settings=settings(
        max_examples=30, stateful_step_count=50, derandomize=True, database=None, deadline=None,
        phases=[Phase.explicit, Phase.generate], suppress_health_check=[HealthCheck.too_slow]))
