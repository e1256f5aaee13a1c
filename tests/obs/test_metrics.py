"""The request metrics (``rolegate.obs.metrics``) through the real endpoint, called by real boto3 clients: each
answered request counted once by service, operation and outcome; AccessDenied by the action called;
credentials by channel; caches and store latency recorded; and no label value taken from a request."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import pytest
from prometheus_client import REGISTRY

from rolegate.core import telemetry
from rolegate.server.app import build_app
from rolegate.server.config import Settings
from rolegate.server.runtime import prepare
from rolegate.wire.endpoint import Endpoint
from tests.in_process import serve_in_process

ROOT_KEY_ID = "AKIAIOSFODNN7METRICS"
ROOT_SECRET = "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"
ACCOUNT = "123456789012"
ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})

pytestmark = pytest.mark.filterwarnings("ignore:The on_startup and on_shutdown:DeprecationWarning")


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("metrics"), root_access_key_id=ROOT_KEY_ID,
                        root_secret_access_key=ROOT_SECRET, metrics_address="127.0.0.1:0")
    prepare(settings)
    app = build_app(settings)
    try:
        yield app.state.endpoint
    finally:
        telemetry.uninstall()
        app.state.runtime.store.close()


def client(endpoint: Endpoint, service: str, key_id: str = ROOT_KEY_ID, secret: str = ROOT_SECRET) -> Any:
    c = boto3.session.Session().client(service, endpoint_url="http://rolegate.test", region_name="us-east-1",
                                       aws_access_key_id=key_id, aws_secret_access_key=secret,
                                       config=botocore.config.Config(retries={"max_attempts": 1}))

    return serve_in_process(c, endpoint)


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def label_values() -> set[str]:
    return {v for family in REGISTRY.collect() if family.name.startswith("rolegate_")
            for sample in family.samples for v in sample.labels.values()}


def test_each_answered_request_counts_once_by_service_operation_and_outcome(endpoint: Endpoint) -> None:
    iam = client(endpoint, "iam")
    ok = value("rolegate_requests_total", service="iam", operation="ListRoles", outcome="ok")
    missing = value("rolegate_requests_total", service="iam", operation="GetRole", outcome="NoSuchEntity")
    timed = value("rolegate_request_duration_seconds_count", service="iam", operation="ListRoles")
    for _ in range(3):
        iam.list_roles()
    with pytest.raises(botocore.exceptions.ClientError):
        iam.get_role(RoleName="no-such-role")
    assert value("rolegate_requests_total", service="iam", operation="ListRoles", outcome="ok") == ok + 3
    assert value("rolegate_requests_total", service="iam", operation="GetRole", outcome="NoSuchEntity") == missing + 1
    assert value("rolegate_request_duration_seconds_count", service="iam", operation="ListRoles") == timed + 3


def test_access_denied_counts_by_the_action_called(endpoint: Endpoint) -> None:
    iam = client(endpoint, "iam")
    iam.create_user(UserName="no-rights")
    key = iam.create_access_key(UserName="no-rights")["AccessKey"]
    before = value("rolegate_access_denied_total", action="iam:ListUsers")
    with pytest.raises(botocore.exceptions.ClientError) as info:
        client(endpoint, "iam", key["AccessKeyId"], key["SecretAccessKey"]).list_users()
    assert info.value.response["Error"]["Code"] == "AccessDenied"
    assert value("rolegate_access_denied_total", action="iam:ListUsers") == before + 1
    assert value("rolegate_requests_total", service="iam", operation="ListUsers", outcome="AccessDenied") >= 1


def test_credentials_issued_count_by_channel(endpoint: Endpoint) -> None:
    iam = client(endpoint, "iam")
    iam.create_user(UserName="assumer")
    iam.put_user_policy(UserName="assumer", PolicyName="all", PolicyDocument=ALLOW_ALL)
    key = iam.create_access_key(UserName="assumer")["AccessKey"]
    iam.create_role(RoleName="metrics-target", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/assumer"}}]}))
    assumed = value("rolegate_credentials_issued_total", channel="AssumeRole")
    tokens = value("rolegate_credentials_issued_total", channel="GetSessionToken")
    sts = client(endpoint, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    for i in range(2):
        sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/metrics-target", RoleSessionName=f"s{i}")
    sts.get_session_token()
    with pytest.raises(botocore.exceptions.ClientError):  # refused: nothing issued
        sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/not-there", RoleSessionName="refused")
    assert value("rolegate_credentials_issued_total", channel="AssumeRole") == assumed + 2
    assert value("rolegate_credentials_issued_total", channel="GetSessionToken") == tokens + 1
    assert value("rolegate_access_denied_total", action="sts:AssumeRole") >= 1


def test_caches_and_store_latency_are_recorded(endpoint: Endpoint) -> None:
    iam = client(endpoint, "iam")
    reads = value("rolegate_store_duration_seconds_count", phase="read")
    commits = value("rolegate_store_duration_seconds_count", phase="commit")
    keys = value("rolegate_cache_lookups_total", cache="signing_keys", result="hit")
    iam.create_role(RoleName="stored", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "ec2.amazonaws.com"}}]}))
    iam.get_role(RoleName="stored")
    assert value("rolegate_store_duration_seconds_count", phase="commit") >= commits + 1
    assert value("rolegate_store_duration_seconds_count", phase="read") >= reads + 1
    assert value("rolegate_cache_lookups_total", cache="signing_keys", result="hit") >= keys + 1
    assert {"hit", "miss"} <= {s.labels["result"] for f in REGISTRY.collect()
                               if f.name == "rolegate_cache_lookups" for s in f.samples}


def test_unknown_action_names_create_no_series(endpoint: Endpoint) -> None:
    before = value("rolegate_requests_total", service="unknown", operation="unknown", outcome="InvalidAction")
    names = [f"Bogus{uuid.uuid4().hex[:12]}" for _ in range(5)]
    for name in names:
        res = endpoint.handle("POST", "/", "", [("content-type", "application/x-www-form-urlencoded")],
                              f"Action={name}&Version=2010-05-08".encode())
        assert res.status == 400
        endpoint.handle("POST", "/", "", [("X-Amz-Target", f"{name}_20240101.{name}"),
                                           ("content-type", "application/x-amz-json-1.1")], b"{}")
    seen = label_values()
    assert not any(name in v for name in names for v in seen)
    assert value("rolegate_requests_total", service="unknown", operation="unknown", outcome="InvalidAction") \
        == before + len(names)
