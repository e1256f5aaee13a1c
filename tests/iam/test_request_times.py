"""What a request creates is stamped with the request's time (``RequestContext.now``, to the second), read
once when the request began — not a second reading of the clock during the write."""

from __future__ import annotations

import datetime as dt
import json

from rolegate.core.clock import FixedClock
from rolegate.iam.access_keys import AccessKeyService
from rolegate.iam.accounts import AccountService
from rolegate.iam.groups import GroupService
from rolegate.iam.instance_profiles import InstanceProfileService
from rolegate.iam.policies import ManagedPolicyService
from rolegate.iam.providers import ProviderService
from rolegate.iam.roles import RoleService
from rolegate.iam.service_linked_roles import ServiceLinkedRoleService
from rolegate.iam.users import UserService
from rolegate.store.sql import SqlStore
from rolegate.sts.mfa import MfaService

from .conftest import ACCOUNT, Requests

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
BEGAN = dt.datetime(2026, 5, 4, 3, 2, 1, 500_000, tzinfo=dt.timezone.utc)


def test_what_a_request_creates_carries_the_requests_time_to_the_second(
        store: SqlStore, clock: FixedClock, accounts: AccountService, req: Requests) -> None:
    clock.set(BEGAN)
    request = req(ACCOUNT)
    clock.advance(90)  # the clock moves on while the request is served: its writes keep the request's time
    roles, users = RoleService(store), UserService(store)
    created = [
        roles.create_role(request, "app", TRUST).created_at,
        users.create_user(request, "alice").created_at,
        AccessKeyService(store, clock).create_access_key(request, "alice").key.created_at,
        GroupService(store).create_group(request, "devs").created_at,
        ManagedPolicyService(store).create_policy(request, "p", POLICY).policy.created_at,
        InstanceProfileService(store).create_instance_profile(request, "ip").profile.created_at,
        ProviderService(store).create_oidc_provider(request, "https://idp.example.com",
                                                    thumbprints=["a" * 40]).created_at,
        ServiceLinkedRoleService(store).create_service_linked_role(request, "ecs.amazonaws.com").created_at,
        MfaService(store).create_virtual_mfa_device(request, "phone").created_at,
    ]
    assert created == [BEGAN.replace(microsecond=0)] * len(created)


def test_a_later_request_gets_the_clocks_time_when_it_began(
        store: SqlStore, clock: FixedClock, roles: RoleService, req: Requests) -> None:
    clock.set(BEGAN)
    first = roles.create_role(req(ACCOUNT), "first", TRUST)
    clock.advance(60)
    second = roles.create_role(req(ACCOUNT), "second", TRUST)
    assert (second.created_at - first.created_at).total_seconds() == 60
