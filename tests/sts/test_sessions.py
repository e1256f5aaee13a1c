"""StsService: AssumeRole, GetSessionToken, GetFederationToken, GetAccessKeyInfo and revocation, with STS's
rules and messages (STS API reference). Trust is judged by the decision service the server wires in (the trust
policy, and across accounts the caller's identity policies too); end to end in tests/e2e/test_sts_boto3.py."""

from __future__ import annotations

import json
import random

import pytest

from rolegate.authz import Caller, root_caller, session_caller
from rolegate.core.clock import FixedClock
from rolegate.core.errors import (
    AccessDenied,
    InvalidParameterValue,
    MalformedPolicyDocument,
    NoSuchEntity,
    ValidationError,
)
from rolegate.iam.policies import ManagedPolicyService
from rolegate.iam.roles import RoleService
from rolegate.iam.users import UserService
from rolegate.sts.sessions import REVOKE_POLICY_NAME, PackedPolicyTooLarge, StsService
from rolegate.sts.tokens import SessionCodec

from .conftest import ACCOUNT, OTHER, Requests, trust, user_caller

ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


@pytest.fixture
def alice(users: UserService, req: Requests) -> Caller:
    return user_caller(users.create_user(req(ACCOUNT), "alice"))


def _role(roles: RoleService, req: Requests, name: str, *principals: str, account: str = ACCOUNT,
          max_duration: int = 3600, actions: tuple[str, ...] = ("sts:AssumeRole",),
          condition: dict | None = None) -> str:
    return roles.create_role(req(account), name, trust(*principals, actions=actions, condition=condition),
                             max_session_duration=max_duration).arn


def test_assume_role_issues_a_session_of_the_role(sts: StsService, roles: RoleService, alice: Caller,
                                                   codec: SessionCodec, req: Requests) -> None:
    arn = _role(roles, req, "r", alice.arn)
    issued = sts.assume_role(req(alice), arn, "s1")
    assert issued.access_key_id.startswith("ASIA")
    assert issued.claims.arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/r/s1"
    assert issued.claims.user_id.endswith(":s1") and issued.claims.user_id.startswith("AROA")
    assert (issued.expiration - issued.claims.issued_at).total_seconds() == 3600
    assert issued.packed_policy_size is None
    claims, secret = codec.open(issued.session_token, issued.access_key_id)
    assert claims == issued.claims and secret == issued.secret_access_key


def test_root_cannot_assume_roles(sts: StsService, roles: RoleService, req: Requests) -> None:
    arn = _role(roles, req, "r", f"arn:aws:iam::{ACCOUNT}:root")
    with pytest.raises(AccessDenied, match="Roles may not be assumed by root accounts."):
        sts.assume_role(req(root_caller(ACCOUNT, "AKIA", "us-east-1")), arn, "s")


def test_trust_policy_must_allow_even_in_the_same_account(sts: StsService, roles: RoleService, alice: Caller, req: Requests) -> None:
    arn = _role(roles, req, "r", f"arn:aws:iam::{ACCOUNT}:user/bob")
    with pytest.raises(AccessDenied, match=f"User: {alice.arn} is not authorized to perform: sts:AssumeRole"):
        sts.assume_role(req(alice), arn, "s")


def test_a_missing_role_is_refused_like_an_untrusted_one(sts: StsService, alice: Caller, req: Requests) -> None:
    with pytest.raises(AccessDenied, match="sts:AssumeRole on resource: arn:aws:iam::111122223333:role/nope"):
        sts.assume_role(req(alice), f"arn:aws:iam::{ACCOUNT}:role/nope", "s")


def test_duration_may_not_exceed_the_roles_maximum(sts: StsService, roles: RoleService, alice: Caller, req: Requests) -> None:
    arn = _role(roles, req, "r", alice.arn, max_duration=7200)
    assert (sts.assume_role(req(alice), arn, "s", duration_seconds=7200).expiration
            - sts.assume_role(req(alice), arn, "t").expiration).total_seconds() == 3600
    with pytest.raises(ValidationError, match="exceeds the MaxSessionDuration set for this role"):
        sts.assume_role(req(alice), arn, "s", duration_seconds=7201)


def test_role_chaining_is_capped_at_one_hour(sts: StsService, roles: RoleService, alice: Caller, req: Requests) -> None:
    first = _role(roles, req, "first", alice.arn, max_duration=43200)
    second = _role(roles, req, "second", f"arn:aws:iam::{ACCOUNT}:role/first", max_duration=43200)
    session = session_caller(sts.assume_role(req(alice), first, "a", duration_seconds=43200).claims, "us-east-1")
    with pytest.raises(ValidationError, match="1 hour session limit for roles assumed by role chaining"):
        sts.assume_role(req(session), second, "b", duration_seconds=3601)
    chained = sts.assume_role(req(session), second, "b", duration_seconds=3600)
    assert chained.claims.chained


def test_external_id_is_the_sts_external_id_condition(sts: StsService, roles: RoleService, alice: Caller, req: Requests) -> None:
    arn = _role(roles, req, "r", alice.arn, condition={"StringEquals": {"sts:ExternalId": "xyz"}})
    with pytest.raises(AccessDenied):
        sts.assume_role(req(alice), arn, "s")
    with pytest.raises(AccessDenied):
        sts.assume_role(req(alice), arn, "s", external_id="abc")
    sts.assume_role(req(alice), arn, "s", external_id="xyz")


def test_session_tags_need_sts_tag_session(sts: StsService, roles: RoleService, alice: Caller, req: Requests) -> None:
    bare = _role(roles, req, "bare", alice.arn)
    tagging = _role(roles, req, "tagging", alice.arn, actions=("sts:AssumeRole", "sts:TagSession"))
    with pytest.raises(AccessDenied, match="sts:TagSession"):
        sts.assume_role(req(alice), bare, "s", tags=[("team", "red")])
    issued = sts.assume_role(req(alice), tagging, "s", tags=[("team", "red")])
    assert issued.claims.tags == (("team", "red"),)
    assert issued.packed_policy_size is not None and 0 < issued.packed_policy_size <= 100


def test_transitive_tags_pass_down_the_chain_and_cannot_be_overridden(sts: StsService, roles: RoleService,
                                                                       alice: Caller, req: Requests) -> None:
    both = ("sts:AssumeRole", "sts:TagSession")
    first = _role(roles, req, "first", alice.arn, actions=both)
    second = _role(roles, req, "second", f"arn:aws:iam::{ACCOUNT}:role/first", actions=both)
    issued = sts.assume_role(req(alice), first, "a", tags=[("team", "red"), ("cost", "1")], transitive_tag_keys=["team"])
    session = session_caller(issued.claims, "us-east-1")
    chained = sts.assume_role(req(session), second, "b").claims
    assert chained.tags == (("team", "red"),) and chained.transitive_tag_keys == ("team",)
    with pytest.raises(InvalidParameterValue, match="inherited transitive tag"):
        sts.assume_role(req(session), second, "b", tags=[("Team", "blue")])


def test_transitive_keys_must_be_session_tags(sts: StsService, roles: RoleService, alice: Caller, req: Requests) -> None:
    arn = _role(roles, req, "r", alice.arn, actions=("sts:AssumeRole", "sts:TagSession"))
    with pytest.raises(InvalidParameterValue):
        sts.assume_role(req(alice), arn, "s", tags=[("a", "1")], transitive_tag_keys=["b"])
    with pytest.raises(InvalidParameterValue, match="Duplicate tag keys"):
        sts.assume_role(req(alice), arn, "s", tags=[("a", "1"), ("A", "2")])


def test_source_identity_needs_permission_and_sticks_through_chaining(sts: StsService, roles: RoleService,
                                                                      alice: Caller, req: Requests) -> None:
    plain = _role(roles, req, "plain", alice.arn)
    with pytest.raises(AccessDenied, match="sts:SetSourceIdentity"):
        sts.assume_role(req(alice), plain, "s", source_identity="alice")
    acts = ("sts:AssumeRole", "sts:SetSourceIdentity")
    first = _role(roles, req, "first", alice.arn, actions=acts)
    second = _role(roles, req, "second", f"arn:aws:iam::{ACCOUNT}:role/first", actions=acts)
    issued = sts.assume_role(req(alice), first, "s", source_identity="alice")
    session = session_caller(issued.claims, "us-east-1")
    assert sts.assume_role(req(session), second, "t").claims.source_identity == "alice"
    with pytest.raises(AccessDenied):
        sts.assume_role(req(session), second, "t", source_identity="mallory")
    with pytest.raises(ValidationError):
        sts.assume_role(req(alice), first, "s", source_identity="aws:x")


def test_session_policies_are_checked(sts: StsService, roles: RoleService, alice: Caller,
                                      policies: ManagedPolicyService, req: Requests) -> None:
    arn = _role(roles, req, "r", alice.arn)
    with pytest.raises(MalformedPolicyDocument):
        sts.assume_role(req(alice), arn, "s", policy='{"Version":"2012-10-17","Statement":[{"Effect":"Maybe"}]}')
    with pytest.raises(MalformedPolicyDocument, match="does not exist"):
        sts.assume_role(req(alice), arn, "s", policy_arns=[f"arn:aws:iam::{ACCOUNT}:policy/missing"])
    managed = policies.create_policy(req(ACCOUNT), "narrow", ALLOW_ALL).policy
    issued = sts.assume_role(req(alice), arn, "s", policy=ALLOW_ALL,
                             policy_arns=[managed.arn, "arn:aws:iam::aws:policy/ReadOnlyAccess"])
    assert issued.claims.policy == ALLOW_ALL and len(issued.claims.policy_arns) == 2
    assert issued.packed_policy_size is not None


def test_oversized_packed_policy_is_refused(sts: StsService, roles: RoleService, alice: Caller, req: Requests) -> None:
    arn = _role(roles, req, "r", alice.arn, actions=("sts:AssumeRole", "sts:TagSession"))
    import random
    rnd = random.Random(1)
    tags = [(f"k{i}{rnd.getrandbits(64):x}", f"{rnd.getrandbits(1000):x}"[:256]) for i in range(50)]
    with pytest.raises(PackedPolicyTooLarge, match=r"^Packed size of session tags consumes \d+% of allotted space.$"):
        sts.assume_role(req(alice), arn, "s", tags=tags)


def test_inline_and_managed_session_policies_share_the_2048_character_plaintext(
        sts: StsService, roles: RoleService, policies: ManagedPolicyService, alice: Caller, req: Requests) -> None:
    """Each within its own limit, together over 2,048: PackedPolicyTooLarge, from the inline document and the ARNs
    together (AssumeRole, Policy and PolicyArns: "The plaintext that you use for both inline and managed session
    policies can't exceed 2,048 characters")."""
    arn = _role(roles, req, "r", alice.arn)
    managed = policies.create_policy(req(ACCOUNT), "p" * 128, ALLOW_ALL).policy
    inline = _padded(ALLOW_ALL, 2048 - len(managed.arn))
    issued = sts.assume_role(req(alice), arn, "s", policy=inline, policy_arns=[managed.arn])  # exactly 2,048
    assert issued.packed_policy_size is not None and issued.packed_policy_size <= 100
    with pytest.raises(PackedPolicyTooLarge, match=r"^Packed policy consumes 101% of allotted space, please use "
                                                   r"smaller policy.$"):
        sts.assume_role(req(alice), arn, "s", policy=inline + " ", policy_arns=[managed.arn])


def test_inherited_transitive_tags_count_toward_the_packed_size(sts: StsService, roles: RoleService,
                                                                alice: Caller, req: Requests) -> None:
    """A chained session carries its inherited transitive tags: with them, tags that fit alone do not (the EKS
    Pod Identity case, rolegate.sts.packed_size)."""
    both = ("sts:AssumeRole", "sts:TagSession")
    first = _role(roles, req, "first", alice.arn, actions=both)
    second = _role(roles, req, "second", f"arn:aws:iam::{ACCOUNT}:role/first", actions=both)
    rnd = random.Random(5)  # values that do not compress, like the pod UIDs and cluster ARNs of the EKS case
    inherited = [(f"inherited-{i}", f"{rnd.getrandbits(128):032x}") for i in range(5)]
    own = [(f"own-{i}", f"{rnd.getrandbits(128):032x}") for i in range(5)]
    assert sts.assume_role(req(alice), second.replace("second", "first"), "x", tags=own).packed_policy_size
    issued = sts.assume_role(req(alice), first, "a", tags=inherited, transitive_tag_keys=[k for k, _ in inherited])
    with pytest.raises(PackedPolicyTooLarge, match="Packed size of session tags"):
        sts.assume_role(req(session_caller(issued.claims, "us-east-1")), second, "b", tags=own)


def _padded(policy: str, chars: int) -> str:
    """``policy`` made exactly ``chars`` characters long with whitespace (which counts: the limit is on plaintext)."""
    return policy[:-1] + " " * (chars - len(policy)) + policy[-1]


def test_a_session_policy_of_2048_characters_is_accepted(sts: StsService, roles: RoleService, alice: Caller,
                                                          req: Requests) -> None:
    arn = _role(roles, req, "r", alice.arn)
    issued = sts.assume_role(req(alice), arn, "s", policy=_padded(ALLOW_ALL, 2048))
    assert issued.packed_policy_size is not None and issued.packed_policy_size <= 100


def test_a_session_policy_over_2048_characters_is_refused_before_it_is_packed(
        sts: StsService, roles: RoleService, alice: Caller, req: Requests) -> None:
    # Issue 10: a 540,000-character policy compresses well enough to pass the packed-size check alone, and then
    # rode along in every request of the session. AWS's plaintext limit stops it (STS API reference, AssumeRole).
    arn = _role(roles, req, "r", alice.arn)
    for chars in (2049, 540_000):
        with pytest.raises(ValidationError, match=r"at 'policy' failed to satisfy constraint: "
                                                  r"Member must have length less than or equal to 2048"):
            sts.assume_role(req(alice), arn, "s", policy=_padded(ALLOW_ALL, chars))


def test_federation_token_policy_has_the_same_plaintext_limit(sts: StsService, alice: Caller, req: Requests) -> None:
    with pytest.raises(ValidationError, match="less than or equal to 2048"):
        sts.get_federation_token(req(alice), "bob", policy=_padded(ALLOW_ALL, 2049))


def test_get_session_token_durations(sts: StsService, alice: Caller, req: Requests) -> None:
    user = sts.get_session_token(req(alice))
    assert (user.expiration - user.claims.issued_at).total_seconds() == 43200
    assert user.claims.arn == alice.arn and user.claims.kind == "User"
    root = sts.get_session_token(req(root_caller(ACCOUNT, "AKIA", "us-east-1")), duration_seconds=129600)
    assert (root.expiration - root.claims.issued_at).total_seconds() == 3600  # root: one hour at most
    with pytest.raises(AccessDenied, match="session credentials"):
        sts.get_session_token(req(session_caller(user.claims, "us-east-1")))


def test_federation_token_names_a_federated_user(sts: StsService, alice: Caller, req: Requests) -> None:
    issued = sts.get_federation_token(req(alice), "bob", policy=ALLOW_ALL)
    assert issued.claims.arn == f"arn:aws:sts::{ACCOUNT}:federated-user/bob"
    assert issued.claims.user_id == f"{ACCOUNT}:bob"
    assert issued.claims.principal_arn == alice.arn
    assert issued.packed_policy_size is not None


def test_federated_users_cannot_assume_roles(sts: StsService, roles: RoleService, alice: Caller, req: Requests) -> None:
    arn = _role(roles, req, "r", "*")
    fed = session_caller(sts.get_federation_token(req(alice), "bob").claims, "us-east-1")
    with pytest.raises(AccessDenied):
        sts.assume_role(req(fed), arn, "s")


def test_access_key_info_reads_the_account_from_the_key_id(sts: StsService, alice: Caller, roles: RoleService,
                                                          users: UserService, req: Requests) -> None:
    other = roles.create_role(req(OTHER), "x", trust(alice.arn)).arn
    # Cross-account: the caller's own account must allow it too.
    users.put_user_policy(req(ACCOUNT), "alice", "assume", json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": other}]}))
    issued = sts.assume_role(req(alice), other, "s")
    assert sts.access_key_account(issued.access_key_id) == OTHER
    with pytest.raises(InvalidParameterValue):
        sts.access_key_account("NOTAKEYATALL0000")


def test_revoke_sessions_writes_the_console_policy(sts: StsService, roles: RoleService, clock: FixedClock,
                                                   req: Requests) -> None:
    roles.create_role(req(ACCOUNT), "r", trust("*"))
    sts.revoke_sessions(req(ACCOUNT), "r")
    _, document = roles.get_role_policy(req(ACCOUNT), "r", REVOKE_POLICY_NAME)
    statement = json.loads(document)["Statement"][0]
    assert statement["Effect"] == "Deny" and statement["Action"] == ["*"] and statement["Resource"] == ["*"]
    assert statement["Condition"] == {"DateLessThan": {"aws:TokenIssueTime": "2026-03-01T12:00:00Z"}}
    with pytest.raises(NoSuchEntity):
        sts.revoke_sessions(req(ACCOUNT), "missing")


def test_role_last_used_is_written_at_most_once_per_interval(sts: StsService, roles: RoleService, alice: Caller,
                                                             clock: FixedClock, req: Requests) -> None:
    arn = _role(roles, req, "r", alice.arn)
    assert roles.get_role(req(ACCOUNT), "r").last_used_at is None
    sts.assume_role(req(alice, region="eu-west-1"), arn, "s")
    first = roles.get_role(req(ACCOUNT), "r")
    assert first.last_used_at == clock.now() and first.last_used_region == "eu-west-1"
    clock.advance(60)
    sts.assume_role(req(alice, region="us-west-2"), arn, "s")
    assert roles.get_role(req(ACCOUNT), "r").last_used_at == first.last_used_at  # not on the hot path
    clock.advance(300)
    sts.assume_role(req(alice, region="us-west-2"), arn, "s")
    assert roles.get_role(req(ACCOUNT), "r").last_used_region == "us-west-2"


def test_deleted_user_leaves_its_unique_id_in_trust_and_a_new_namesake_does_not_match(
        sts: StsService, roles: RoleService, users: UserService, req: Requests) -> None:
    bob = users.create_user(req(ACCOUNT), "bob")
    arn = _role(roles, req, "r", bob.arn)
    users.delete_user(req(ACCOUNT), "bob")
    shown = json.loads(roles.get_role(req(ACCOUNT), "r").trust_policy)
    assert shown["Statement"][0]["Principal"]["AWS"] == [bob.user_id]
    new_bob = user_caller(users.create_user(req(ACCOUNT), "bob"))
    with pytest.raises(AccessDenied):
        sts.assume_role(req(new_bob), arn, "s")


def test_deleted_role_is_unbound_from_other_roles_trust(roles: RoleService, req: Requests) -> None:
    first = roles.create_role(req(ACCOUNT), "first", trust("*"))
    roles.create_role(req(OTHER), "second", trust(first.arn, f"arn:aws:iam::{ACCOUNT}:root"))
    roles.delete_role(req(ACCOUNT), "first")
    shown = json.loads(roles.get_role(req(OTHER), "second").trust_policy)
    assert shown["Statement"][0]["Principal"]["AWS"] == [first.role_id, f"arn:aws:iam::{ACCOUNT}:root"]
