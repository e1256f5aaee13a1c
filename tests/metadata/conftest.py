"""Registered-instance fixtures: the STS fixtures' real SQLite store, clock and services, an instance profile
holding a role that trusts ec2.amazonaws.com, and the instance service over them."""

from __future__ import annotations

import json

import pytest

from rolegate.authz import Authorizer
from rolegate.iam.instance_profiles import InstanceProfileService
from rolegate.iam.roles import RoleService
from rolegate.metadata.instances import InstanceService
from rolegate.store.sql import SqlStore
from rolegate.sts.sessions import StsService
from tests.iam.conftest import Requests
# The STS tests' store, clock, accounts and services.
from tests.sts.conftest import (ACCOUNT, accounts, authz, clock, codec, mfa, policies, req, ring, roles,  # noqa: F401
                                store, sts, users)

EC2_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
PROFILE, ROLE = "web", "web-role"


@pytest.fixture
def profiles(store: SqlStore, roles: RoleService, req: Requests) -> InstanceProfileService:
    """The profile ``web`` holding the role ``web-role``, which trusts EC2."""
    svc = InstanceProfileService(store)
    roles.create_role(req(ACCOUNT), ROLE, EC2_TRUST)
    svc.create_instance_profile(req(ACCOUNT), PROFILE)
    svc.add_role(req(ACCOUNT), PROFILE, ROLE)
    return svc


@pytest.fixture
def instances(store: SqlStore, sts: StsService, authz: Authorizer, profiles: InstanceProfileService) -> InstanceService:
    return InstanceService(store, sts, authz)
