"""Three rolegate nodes on one PostgreSQL database agree: what is written through one node is enforced by the
others at their very next request — a role created on node 1 is assumed through node 2 and its session used on
node 3; an access key deactivated, a policy detached or a role's sessions revoked on node 1 stop working on
nodes 2 and 3 at once; a session key rotated by the CLI is honoured everywhere; two nodes racing to create one
role name let exactly one win.

Why "at once" holds: every cache a node keeps (effective policies, resource facts, long-term keys, roles,
remembered decisions) is stamped with its account's generation, and every request reads the current stamp
from the database (docs/adr/0017-scoped-invalidation.md, docs/operations.md "Many nodes on PostgreSQL"), so a
committed write is seen by the next request on any node. No test here sleeps to let nodes catch up.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.live import ACCOUNT_ID, LiveServer
from sqlalchemy import create_engine, text

from tests.postgres import database_from, empty_database, postgres_url, server_env

pytestmark = [pytest.mark.live, pytest.mark.slow]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ALLOW_ALL = doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
TRUST_ACCOUNT = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
                     "Action": "sts:AssumeRole"})


def code_of(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


@dataclass
class Nodes:
    all: list[LiveServer]
    database_url: str

    def __getitem__(self, i: int) -> LiveServer:
        return self.all[i]


@pytest.fixture(scope="module")
def nodes(postgres_template: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nodes]:
    base, template = postgres_template
    with database_from(base, template) as url:
        started: list[LiveServer] = []
        try:
            for i in range(3):
                node = LiveServer(tmp_path_factory.mktemp(f"node{i + 1}"), env=server_env(url))
                node.start()
                started.append(node)
            yield Nodes(started, url)
        finally:
            for node in started:
                node.stop()


def cli(node: LiveServer, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLEGATE_")}
    env.update(node.env)
    proc = subprocess.run([sys.executable, "-m", "rolegate", *args, "--data-dir", str(node.data_dir)],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def user_with_key(node: LiveServer, policy: str | None = ALLOW_ALL) -> tuple[str, str, str]:
    """A new IAM user (with ``policy`` inline, if any) and an access key, made through ``node``."""
    iam = node.client("iam")
    name = unique("node-user")
    iam.create_user(UserName=name)
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="all", PolicyDocument=policy)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return name, key["AccessKeyId"], key["SecretAccessKey"]


def session_client(node: LiveServer, service: str, creds: dict[str, Any]) -> Any:
    return node.client(service, key_id=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                       token=creds["SessionToken"])


def test_a_role_created_on_one_node_is_assumed_on_another_and_its_session_works_on_a_third(nodes: Nodes) -> None:
    role = unique("node-role")
    arn = nodes[0].client("iam").create_role(RoleName=role, AssumeRolePolicyDocument=TRUST_ACCOUNT)["Role"]["Arn"]
    nodes[0].client("iam").put_role_policy(RoleName=role, PolicyName="read",
                                           PolicyDocument=doc({"Effect": "Allow", "Action": "iam:GetRole",
                                                               "Resource": "*"}))
    _, key, secret = user_with_key(nodes[0])
    creds = nodes[1].client("sts", key_id=key, secret=secret).assume_role(
        RoleArn=arn, RoleSessionName="across")["Credentials"]
    assert session_client(nodes[2], "iam", creds).get_role(RoleName=role)["Role"]["Arn"] == arn
    assert session_client(nodes[0], "sts", creds)\
        .get_caller_identity()["Arn"].endswith(f"assumed-role/{role}/across")


def test_an_access_key_deactivated_on_node_1_is_refused_by_nodes_2_and_3(nodes: Nodes) -> None:
    name, key, secret = user_with_key(nodes[0])
    for node in nodes.all:  # each node has the key (and its owner) in its caches now
        assert node.client("iam", key_id=key, secret=secret).get_user()["User"]["UserName"] == name
    nodes[0].client("iam").update_access_key(UserName=name, AccessKeyId=key, Status="Inactive")
    for node in nodes.all[1:]:
        with pytest.raises(ClientError) as exc:
            node.client("iam", key_id=key, secret=secret).get_user()
        assert code_of(exc) == "InvalidClientTokenId"


def test_a_policy_detached_on_node_1_no_longer_allows_on_nodes_2_and_3(nodes: Nodes) -> None:
    iam = nodes[0].client("iam")
    name, key, secret = user_with_key(nodes[0], policy=None)
    policy_arn = iam.create_policy(PolicyName=unique("node-policy"), PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}))["Policy"]["Arn"]
    iam.attach_user_policy(UserName=name, PolicyArn=policy_arn)
    for node in nodes.all:  # each node has decided (and remembered) this user's effective policies
        node.client("iam", key_id=key, secret=secret).list_roles(MaxItems=1)
    iam.detach_user_policy(UserName=name, PolicyArn=policy_arn)
    for node in nodes.all[1:]:
        with pytest.raises(ClientError) as exc:
            node.client("iam", key_id=key, secret=secret).list_roles(MaxItems=1)
        assert code_of(exc) == "AccessDenied"


def test_sessions_revoked_on_node_1_are_refused_by_nodes_2_and_3(nodes: Nodes) -> None:
    role = unique("node-revoke")
    iam = nodes[0].client("iam")
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST_ACCOUNT)["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="list", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}))
    _, key, secret = user_with_key(nodes[0])
    creds = nodes[1].client("sts", key_id=key, secret=secret).assume_role(
        RoleArn=arn, RoleSessionName="old")["Credentials"]
    for node in nodes.all:
        session_client(node, "iam", creds).list_roles(MaxItems=1)
    # What the console's "Revoke active sessions" writes (IAM User Guide, "Revoking IAM role temporary security
    # credentials"): deny everything to sessions issued before now. aws:TokenIssueTime has one-second resolution.
    cutoff = (dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    iam.put_role_policy(RoleName=role, PolicyName="AWSRevokeOlderSessions", PolicyDocument=doc(
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"DateLessThan": {"aws:TokenIssueTime": cutoff}}}))
    for node in nodes.all[1:]:
        with pytest.raises(ClientError) as exc:
            session_client(node, "iam", creds).list_roles(MaxItems=1)
        assert code_of(exc) == "AccessDenied"


def test_a_session_key_rotated_by_the_cli_is_honoured_by_every_node(nodes: Nodes) -> None:
    role = unique("node-rotate")
    arn = nodes[0].client("iam").create_role(RoleName=role, AssumeRolePolicyDocument=TRUST_ACCOUNT)["Role"]["Arn"]
    _, key, secret = user_with_key(nodes[0])
    before = nodes[0].client("sts", key_id=key, secret=secret).assume_role(
        RoleArn=arn, RoleSessionName="before")["Credentials"]
    cli(nodes[0], "keys", "rotate")
    # Whichever node seals with the new key first, every other node meets an unknown key id and reloads the ring.
    for issuer in nodes.all:
        after = issuer.client("sts", key_id=key, secret=secret).assume_role(
            RoleArn=arn, RoleSessionName="after")["Credentials"]
        for node in nodes.all:
            assert session_client(node, "sts", after).get_caller_identity()["Account"] == ACCOUNT_ID
            assert session_client(node, "sts", before).get_caller_identity()["Account"] == ACCOUNT_ID


def test_two_nodes_racing_to_create_one_role_name_let_exactly_one_win(nodes: Nodes) -> None:
    for _ in range(5):
        name = unique("node-race")
        clients = [nodes[i % 2].client("iam") for i in range(6)]
        barrier = threading.Barrier(len(clients))
        outcomes: list[str] = []

        def create(client: Any) -> None:
            barrier.wait(timeout=30)
            try:
                client.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_ACCOUNT)
                outcomes.append("created")
            except ClientError as exc:
                outcomes.append(str(exc.response["Error"]["Code"]))

        threads = [threading.Thread(target=create, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["EntityAlreadyExists"] * 5 + ["created"]
        assert nodes[2].client("iam").get_role(RoleName=name)["Role"]["RoleName"] == name


def test_every_node_reads_the_one_database(nodes: Nodes) -> None:
    # Not a SQLite file per node: the data directories hold no database.
    for node in nodes.all:
        assert not Path(node.data_dir, "rolegate.db").exists()


def test_nodes_starting_together_on_an_empty_database_migrate_it_and_bootstrap_it_once(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # Migrations and the first account under advisory locks: three nodes started at once all come up, on one
    # schema at head, with one default account.
    with empty_database(postgres_url()) as url:
        fresh = [LiveServer(tmp_path_factory.mktemp(f"fresh{i}"), env=server_env(url)) for i in range(3)]
        errors: list[BaseException] = []

        def start(node: LiveServer) -> None:
            try:
                node.start()
            except BaseException as exc:  # reported below, with the node's log
                errors.append(exc)

        threads = [threading.Thread(target=start, args=(n,)) for n in fresh]
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            assert not errors, errors
            role = unique("fresh")
            fresh[0].client("iam").create_role(RoleName=role, AssumeRolePolicyDocument=TRUST_ACCOUNT)
            assert [n.client("iam").get_role(RoleName=role)["Role"]["RoleName"] for n in fresh] == [role] * 3
            engine = create_engine(url)
            try:
                with engine.connect() as db:
                    assert db.execute(text("SELECT count(*) FROM accounts")).scalar_one() == 1
                    assert db.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
            finally:
                engine.dispose()
        finally:
            for n in fresh:
                n.stop()
