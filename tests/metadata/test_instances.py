"""Registered instances: registering, joining, the instance credential's generations, role credentials and the
EC2 association rules (rolegate.metadata.instances; docs/adr/0038-registered-instances.md)."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest

from rolegate.authz import Authorizer, Caller, RequestContext, session_caller
from rolegate.authz.claims import INSTANCE
from rolegate.core.clock import FixedClock
from rolegate.core.errors import AccessDenied, ClientError, InvalidClientTokenId, InvalidParameterValue
from rolegate.iam.instance_profiles import InstanceProfileService
from rolegate.iam.roles import RoleService
from rolegate.iam.users import UserService
from rolegate.metadata.instances import ASSOCIATED, DISASSOCIATED, InstanceService
from rolegate.metadata.join_tokens import InvalidJoinToken, hash_join_token, is_instance_id
from rolegate.store.invalidation import Snapshot
from rolegate.store.sql import SqlStore
from rolegate.sts.tokens import SessionCodec
from tests.iam.conftest import Requests
from tests.metadata.conftest import EC2_TRUST, PROFILE, ROLE
from tests.sts.conftest import ACCOUNT, user_caller

PROFILE_ARN = f"arn:aws:iam::{ACCOUNT}:instance-profile/{PROFILE}"


def _instance_request(authz: Authorizer, codec: SessionCodec, session_token: str, access_key_id: str) -> RequestContext:
    """A request signed with an instance credential, as authentication hands it on."""
    claims, _ = codec.open(session_token, access_key_id)
    assert claims.kind == INSTANCE
    return authz.request(session_caller(claims, "us-east-1"), "test-request")


def _joined(instances: InstanceService, req: Requests) -> tuple[str, str, str]:
    """(instance id, access key id, session token) of a registered, joined instance."""
    registered = instances.register(req(ACCOUNT), PROFILE)
    joined = instances.join(req(ACCOUNT), registered.join_token)
    return registered.instance.instance_id, joined.credential.access_key_id, joined.credential.session_token


def _user(users: UserService, req: Requests, name: str, *statements: dict) -> Caller:
    user = users.create_user(req(ACCOUNT), name)
    if statements:
        users.put_user_policy(req(ACCOUNT), name, "p", json.dumps({"Version": "2012-10-17",
                                                                   "Statement": list(statements)}))
    return user_caller(user)


def _allow(action: str, resource: str = "*") -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


# --- registering ---------------------------------------------------------------------------------------------


def test_a_registered_instance_is_associated_with_its_profile_and_keeps_only_the_token_hash(
        instances: InstanceService, store: SqlStore, req: Requests) -> None:
    registered = instances.register(req(ACCOUNT), PROFILE, tags=[("team", "web")])
    instance = registered.instance
    assert is_instance_id(instance.instance_id) and registered.join_token.startswith("rgjt-")
    assert registered.association.profile_arn == PROFILE_ARN and registered.association.state == ASSOCIATED
    with store.read() as tx:
        stored = tx.instances.get(ACCOUNT, instance.instance_id)
    assert stored is not None and stored.tags == (("team", "web"),) and not stored.joined
    assert stored.join_token.token_hash == hash_join_token(registered.join_token)
    assert registered.join_token not in repr(stored)


def test_registering_with_an_unknown_profile_is_ec2s_invalid_parameter_and_creates_nothing(
        instances: InstanceService, req: Requests) -> None:
    with pytest.raises(InvalidParameterValue, match=r"Value \(nope\) for parameter iamInstanceProfile.name is "
                                                    r"invalid. Invalid IAM Instance Profile name"):
        instances.register(req(ACCOUNT), "nope")
    assert instances.list_instances(req(ACCOUNT)) == ([], None)


def test_registering_needs_pass_role_on_the_profiles_role_for_ec2(
        instances: InstanceService, users: UserService, req: Requests) -> None:
    caller = _user(users, req, "operator", _allow("rolegate-instances:RegisterInstance"))
    with pytest.raises(AccessDenied, match=f"iam:PassRole on resource: arn:aws:iam::{ACCOUNT}:role/{ROLE}"):
        instances.register(req(caller), PROFILE)
    assert instances.list_instances(req(ACCOUNT)) == ([], None)
    allowed = _user(users, req, "passer", {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
                                           "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}})
    assert instances.register(req(allowed), PROFILE).instance.account_id == ACCOUNT


def test_the_join_token_ttl_is_bounded(instances: InstanceService, req: Requests) -> None:
    with pytest.raises(ClientError, match="between 60 seconds and 7 days"):
        instances.register(req(ACCOUNT), PROFILE, join_token_ttl=dt.timedelta(seconds=59))


def test_instances_list_in_pages_with_their_profile(instances: InstanceService, req: Requests) -> None:
    ids = sorted(instances.register(req(ACCOUNT), PROFILE).instance.instance_id for _ in range(3))
    first, token = instances.list_instances(req(ACCOUNT), max_results=2)
    rest, end = instances.list_instances(req(ACCOUNT), next_token=token, max_results=2)
    assert [s.instance.instance_id for s in first + rest] == ids and end is None
    assert all(s.association is not None and s.association.profile_arn == PROFILE_ARN for s in first)


def test_deregistering_a_missing_or_malformed_instance_is_ec2s_error(instances: InstanceService,
                                                                       req: Requests) -> None:
    with pytest.raises(ClientError, match="The instance ID 'i-0000000000000000a' does not exist") as missing:
        instances.deregister(req(ACCOUNT), "i-0000000000000000a")
    assert missing.value.code == "InvalidInstanceID.NotFound"
    with pytest.raises(ClientError) as malformed:
        instances.deregister(req(ACCOUNT), "i-xyz")
    assert malformed.value.code == "InvalidInstanceID.Malformed"


# --- joining and the instance credential ---------------------------------------------------------------------


def test_a_join_token_buys_one_instance_credential(instances: InstanceService, codec: SessionCodec,
                                                   req: Requests) -> None:
    registered = instances.register(req(ACCOUNT), PROFILE)
    joined = instances.join(req(ACCOUNT), registered.join_token + "\n")  # a token file's newline is forgiven
    claims, _ = codec.open(joined.credential.session_token, joined.credential.access_key_id)
    assert (claims.kind, claims.principal_id, claims.generation) == (INSTANCE, registered.instance.instance_id, 1)
    assert claims.principal_arn == f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/{registered.instance.instance_id}"
    assert claims.expires_at - claims.issued_at == dt.timedelta(hours=24)
    with pytest.raises(InvalidJoinToken, match="unknown, already used or expired"):
        instances.join(req(ACCOUNT), registered.join_token)


def test_an_expired_or_unknown_join_token_is_refused_alike(instances: InstanceService, clock: FixedClock,
                                                          req: Requests) -> None:
    registered = instances.register(req(ACCOUNT), PROFILE, join_token_ttl=dt.timedelta(seconds=60))
    clock.advance(60)
    with pytest.raises(InvalidJoinToken) as expired:
        instances.join(req(ACCOUNT), registered.join_token)
    with pytest.raises(InvalidJoinToken) as unknown:
        instances.join(req(ACCOUNT), "rgjt-nothing")
    assert expired.value.message == unknown.value.message and expired.value.status == 403


def test_two_agents_racing_one_join_token_cannot_both_win(instances: InstanceService, req: Requests) -> None:
    registered = instances.register(req(ACCOUNT), PROFILE)
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def join() -> None:
        barrier.wait()
        try:
            instances.join(req(ACCOUNT), registered.join_token)
            outcomes.append("joined")
        except InvalidJoinToken:
            outcomes.append("refused")

    threads = [threading.Thread(target=join) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(outcomes) == ["joined", "refused", "refused", "refused"]


def test_a_deregistered_instances_credential_is_no_longer_current(
        instances: InstanceService, codec: SessionCodec, store: SqlStore, req: Requests) -> None:
    instance_id, key, token = _joined(instances, req)
    claims, _ = codec.open(token, key)
    assert instances.credential_is_current(Snapshot(store.invalidation), claims)
    instances.deregister(req(ACCOUNT), instance_id)
    assert not instances.credential_is_current(Snapshot(store.invalidation), claims)


def test_rotating_keeps_the_presented_credential_and_revokes_older_ones(
        instances: InstanceService, codec: SessionCodec, authz: Authorizer, store: SqlStore, req: Requests) -> None:
    _, key1, token1 = _joined(instances, req)
    second = instances.rotate_credential(_instance_request(authz, codec, token1, key1))
    third = instances.rotate_credential(_instance_request(authz, codec, second.session_token, second.access_key_id))
    current = {n: instances.credential_is_current(Snapshot(store.invalidation), codec.open(t, k)[0])
               for n, (t, k) in {1: (token1, key1), 2: (second.session_token, second.access_key_id),
                                 3: (third.session_token, third.access_key_id)}.items()}
    assert current == {1: False, 2: True, 3: True}
    assert codec.open(third.session_token, third.access_key_id)[0].generation == 3


def test_only_an_instance_credential_rotates_and_a_deregistered_instance_cannot(
        instances: InstanceService, codec: SessionCodec, authz: Authorizer, req: Requests) -> None:
    with pytest.raises(AccessDenied):
        instances.rotate_credential(req(ACCOUNT))
    instance_id, key, token = _joined(instances, req)
    request = _instance_request(authz, codec, token, key)
    instances.deregister(req(ACCOUNT), instance_id)
    with pytest.raises(InvalidClientTokenId):
        instances.rotate_credential(request)


# --- role credentials ----------------------------------------------------------------------------------------


def test_role_credentials_are_a_session_of_the_profiles_role_named_after_the_instance(
        instances: InstanceService, codec: SessionCodec, authz: Authorizer, req: Requests) -> None:
    instance_id, key, token = _joined(instances, req)
    found = instances.role_credentials(_instance_request(authz, codec, token, key))
    assert found.role is not None and found.role.name == ROLE and found.profile_arn == PROFILE_ARN
    assert found.session is not None
    claims = found.session.claims
    assert claims.arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/{instance_id}"
    assert claims.expires_at - claims.issued_at == dt.timedelta(hours=6)
    assert claims.source_instance_arn == f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/{instance_id}"


def test_a_role_that_does_not_trust_ec2_gives_no_credentials(
        instances: InstanceService, roles: RoleService, codec: SessionCodec, authz: Authorizer,
        req: Requests) -> None:
    roles.update_trust_policy(req(ACCOUNT), ROLE, EC2_TRUST.replace("ec2.amazonaws.com", "lambda.amazonaws.com"))
    _, key, token = _joined(instances, req)
    with pytest.raises(AccessDenied, match="Not authorized to perform sts:AssumeRole"):
        instances.role_credentials(_instance_request(authz, codec, token, key))


def test_the_trust_policy_sees_the_source_instance_and_account(
        instances: InstanceService, roles: RoleService, codec: SessionCodec, authz: Authorizer,
        req: Requests) -> None:
    _, key, token = _joined(instances, req)
    other = "i-0123456789abcdef0"
    policy = json.loads(EC2_TRUST)
    policy["Statement"][0]["Condition"] = {"StringEquals": {"aws:SourceAccount": ACCOUNT},
                                           "ArnLike": {"ec2:SourceInstanceARN": f"arn:aws:ec2:*:*:instance/{other}"}}
    roles.update_trust_policy(req(ACCOUNT), ROLE, json.dumps(policy))
    with pytest.raises(AccessDenied):
        instances.role_credentials(_instance_request(authz, codec, token, key))


def test_without_an_association_there_is_no_role(instances: InstanceService, codec: SessionCodec,
                                                 authz: Authorizer, req: Requests) -> None:
    instance_id, key, token = _joined(instances, req)
    (association,), _ = instances.describe_associations(req(ACCOUNT), instance_ids=[instance_id])
    assert instances.disassociate(req(ACCOUNT), association.association_id).state == DISASSOCIATED
    found = instances.role_credentials(_instance_request(authz, codec, token, key))
    assert (found.instance_id, found.profile_arn, found.role, found.session) == (instance_id, None, None, None)


def test_a_profile_emptied_of_its_role_gives_no_credentials(
        instances: InstanceService, profiles: InstanceProfileService, codec: SessionCodec, authz: Authorizer,
        req: Requests) -> None:
    _, key, token = _joined(instances, req)
    profiles.remove_role(req(ACCOUNT), PROFILE, ROLE)
    found = instances.role_credentials(_instance_request(authz, codec, token, key))
    assert found.profile_arn == PROFILE_ARN and found.session is None and found.role is None


# --- EC2 associations ----------------------------------------------------------------------------------------


def _unassociated(instances: InstanceService, req: Requests) -> str:
    instance_id = instances.register(req(ACCOUNT), PROFILE).instance.instance_id
    (association,), _ = instances.describe_associations(req(ACCOUNT), instance_ids=[instance_id])
    instances.disassociate(req(ACCOUNT), association.association_id)
    return instance_id


def test_associating_twice_is_incorrect_state(instances: InstanceService, req: Requests) -> None:
    instance_id = _unassociated(instances, req)
    made = instances.associate(req(ACCOUNT), instance_id, profile_name=None, profile_arn=PROFILE_ARN)
    assert made.association_id.startswith("iip-assoc-") and len(made.association_id) == 27
    with pytest.raises(ClientError, match=f"There is an existing association for instance {instance_id}") as err:
        instances.associate(req(ACCOUNT), instance_id, profile_name=PROFILE, profile_arn=None)
    assert err.value.code == "IncorrectState"


def test_associating_checks_the_instance_then_the_profile(instances: InstanceService, req: Requests) -> None:
    with pytest.raises(ClientError) as malformed:
        instances.associate(req(ACCOUNT), "i-1", profile_name=PROFILE, profile_arn=None)
    with pytest.raises(ClientError) as missing:
        instances.associate(req(ACCOUNT), "i-0000000000000000a", profile_name=PROFILE, profile_arn=None)
    instance_id = _unassociated(instances, req)
    with pytest.raises(InvalidParameterValue, match=r"Value \(ghost\) for parameter iamInstanceProfile.name"):
        instances.associate(req(ACCOUNT), instance_id, profile_name="ghost", profile_arn=None)
    assert (malformed.value.code, missing.value.code) == ("InvalidInstanceID.Malformed", "InvalidInstanceID.NotFound")


def test_describe_filters_pages_and_refuses_unknown_ids(instances: InstanceService, req: Requests) -> None:
    for _ in range(6):
        instances.register(req(ACCOUNT), PROFILE)
    page, token = instances.describe_associations(req(ACCOUNT), max_results=5)
    rest, end = instances.describe_associations(req(ACCOUNT), max_results=5, next_token=token)
    assert len(page) == 5 and len(rest) == 1 and end is None
    assert instances.describe_associations(req(ACCOUNT), states=["disassociated"]) == ([], None)
    with pytest.raises(InvalidParameterValue):
        instances.describe_associations(req(ACCOUNT), max_results=4)
    with pytest.raises(ClientError) as unknown:
        instances.describe_associations(req(ACCOUNT), association_ids=["iip-assoc-0000000000000000a"])
    assert unknown.value.code == "InvalidAssociationID.NotFound"
    with pytest.raises(ClientError) as token_error:
        instances.describe_associations(req(ACCOUNT), next_token="%%%")
    assert token_error.value.code == "InvalidPaginationToken"


def test_replacing_makes_a_new_association_and_disassociating_removes_it(
        instances: InstanceService, profiles: InstanceProfileService, req: Requests) -> None:
    profiles.create_instance_profile(req(ACCOUNT), "other")
    registered = instances.register(req(ACCOUNT), PROFILE)
    replaced = instances.replace_association(req(ACCOUNT), registered.association.association_id,
                                             profile_name="other", profile_arn=None)
    assert replaced.association_id != registered.association.association_id
    assert replaced.profile_arn == f"arn:aws:iam::{ACCOUNT}:instance-profile/other"
    with pytest.raises(ClientError) as gone:
        instances.disassociate(req(ACCOUNT), registered.association.association_id)
    assert gone.value.code == "InvalidAssociationID.NotFound"
    assert instances.disassociate(req(ACCOUNT), replaced.association_id).state == DISASSOCIATED
    assert instances.describe_associations(req(ACCOUNT), instance_ids=[registered.instance.instance_id]) == ([], None)


def test_ec2_operations_need_their_action_on_the_instance_and_pass_role(
        instances: InstanceService, users: UserService, req: Requests) -> None:
    instance_id = _unassociated(instances, req)
    arn = f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/{instance_id}"
    nobody = _user(users, req, "nobody")
    with pytest.raises(AccessDenied, match=f"ec2:AssociateIamInstanceProfile on resource: {arn}"):
        instances.associate(req(nobody), instance_id, profile_name=PROFILE, profile_arn=None)
    with pytest.raises(AccessDenied, match="ec2:DescribeIamInstanceProfileAssociations on resource: \\*"):
        instances.describe_associations(req(nobody))
    no_pass = _user(users, req, "no-pass", _allow("ec2:AssociateIamInstanceProfile", arn))
    with pytest.raises(AccessDenied, match="iam:PassRole") as denied:
        instances.associate(req(no_pass), instance_id, profile_name=PROFILE, profile_arn=None)
    assert denied.value.status == 403
    assert instances.describe_associations(req(ACCOUNT), instance_ids=[instance_id]) == ([], None)
    both = _user(users, req, "both", _allow("ec2:AssociateIamInstanceProfile", arn), _allow("iam:PassRole"))
    assert instances.associate(req(both), instance_id, profile_name=PROFILE, profile_arn=None).state == ASSOCIATED


def test_a_replaced_association_gives_the_new_role_at_once(
        instances: InstanceService, profiles: InstanceProfileService, roles: RoleService, codec: SessionCodec,
        authz: Authorizer, req: Requests) -> None:
    instance_id, key, token = _joined(instances, req)
    before = instances.role_credentials(_instance_request(authz, codec, token, key))
    assert before.role is not None and before.role.name == ROLE
    roles.create_role(req(ACCOUNT), "db-role", EC2_TRUST)
    profiles.create_instance_profile(req(ACCOUNT), "db")
    profiles.add_role(req(ACCOUNT), "db", "db-role")
    (association,), _ = instances.describe_associations(req(ACCOUNT), instance_ids=[instance_id])
    instances.replace_association(req(ACCOUNT), association.association_id, profile_name="db", profile_arn=None)
    found = instances.role_credentials(_instance_request(authz, codec, token, key))
    assert found.role is not None and found.role.name == "db-role"
    assert found.session is not None and found.session.claims.arn.endswith(f":assumed-role/db-role/{instance_id}")


def test_pass_role_sees_the_instance_the_role_is_passed_to(instances: InstanceService, users: UserService,
                                                           req: Requests) -> None:
    instance_id = _unassociated(instances, req)
    arn = f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/{instance_id}"

    def passer(name: str, only_to: str) -> Caller:
        return _user(users, req, name, _allow("ec2:AssociateIamInstanceProfile"), {
            "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
            "Condition": {"ArnLike": {"iam:AssociatedResourceArn": only_to}}})

    with pytest.raises(AccessDenied, match="iam:PassRole"):
        instances.associate(req(passer("elsewhere", "arn:aws:ec2:*:*:instance/i-0000000000000000f")), instance_id,
                            profile_name=PROFILE, profile_arn=None)
    assert instances.associate(req(passer("here", arn)), instance_id, profile_name=PROFILE,
                               profile_arn=None).state == ASSOCIATED
