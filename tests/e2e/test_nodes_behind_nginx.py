"""Three rolegate nodes on one PostgreSQL behind Debian's nginx, configured with the example the operations guide
ships (``deploy/nginx/rolegate.conf``): boto3 and the AWS CLI work through nginx unchanged (SigV4 intact: nginx
passes Host, path and query through), a role created through the balancer is assumed through it, and a node that
loses the database reports ``/readyz`` false and answers 503, which nginx passes over to another node, so
clients see no failure; when the link is back the node is ready again by itself.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import httpx
import pytest
from sqlalchemy import make_url

from tests.live import ACCOUNT_ID, ROOT_KEY_ID, ROOT_SECRET, LiveServer, free_port
from tests.postgres import database_from, server_env
from tests.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.live, pytest.mark.slow]

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "rolegate.conf"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}]})


@dataclass
class Balanced:
    url: str
    nodes: list[LiveServer]
    proxy: TcpProxy  # node 3's link to PostgreSQL
    directory: Path  # nginx's files: its access log names the node of each request

    def client(self, service: str, **kw: str) -> Any:
        return boto3.session.Session().client(
            service, endpoint_url=self.url, region_name="us-east-1",
            aws_access_key_id=kw.get("key", ROOT_KEY_ID), aws_secret_access_key=kw.get("secret", ROOT_SECRET),
            aws_session_token=kw.get("token"), config=botocore.config.Config(retries={"max_attempts": 1}))


def nginx_config(directory: Path, listen: int, upstreams: list[int]) -> Path:
    """The shipped example with this test's ports, inside a minimal nginx.conf that keeps every file here."""
    example = EXAMPLE.read_text()
    servers = "".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;\n" for p in upstreams)
    example = re.sub(r"(    server 127\.0\.0\.1:\d+ max_fails=1 fail_timeout=5s;\n)+", servers, example)
    example = re.sub(r"listen 127\.0\.0\.1:\d+;", f"listen 127.0.0.1:{listen};", example)
    (directory / "rolegate.conf").write_text(example)
    user = "user nobody nogroup;\n" if os.geteuid() == 0 else ""
    conf = directory / "nginx.conf"
    conf.write_text(f"""{user}worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 256; }}
http {{
    log_format upstream '$request_method $status $upstream_addr';
    access_log {directory}/access.log upstream;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {directory}/rolegate.conf;
}}
""")
    return conf


@pytest.fixture(scope="module")
def balanced(postgres_template: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Balanced]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.fail("nginx is not installed (apt-get install -y nginx; .ci/run does)", pytrace=False)
    base, template = postgres_template
    with database_from(base, template) as url:
        parsed = make_url(url)
        proxy = TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
        proxy.start()
        via_proxy = parsed.set(port=proxy.port).render_as_string(hide_password=False)
        nodes: list[LiveServer] = []
        directory = tmp_path_factory.mktemp("nginx")
        os.chmod(directory, 0o755)
        proc: subprocess.Popen[bytes] | None = None
        try:
            for i, database in enumerate([url, url, via_proxy]):
                node = LiveServer(tmp_path_factory.mktemp(f"lb-node{i + 1}"), env=server_env(database))
                node.start()
                nodes.append(node)
            listen = free_port()
            conf = nginx_config(directory, listen, [n.port for n in nodes])
            proc = subprocess.Popen([nginx, "-p", str(directory), "-c", str(conf), "-g", "daemon off;"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            front = f"http://127.0.0.1:{listen}"
            deadline = time.monotonic() + 15
            while True:
                try:
                    if httpx.get(front + "/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not start: {(directory / 'error.log').read_text(errors='replace')}"
                                       if (directory / "error.log").exists() else "nginx did not start")
                time.sleep(0.05)
            yield Balanced(front, nodes, proxy, directory)
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(10)
            for node in nodes:
                node.stop()
            proxy.cut()


def test_boto3_through_nginx_creates_on_one_node_and_assumes_on_another(balanced: Balanced) -> None:
    iam, sts = balanced.client("iam"), balanced.client("sts")
    role = f"lb-{uuid.uuid4().hex[:8]}"
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    user = f"lb-user-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    alice = balanced.client("sts", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    # nginx spreads requests round-robin: over 12 calls each node answers some, and every one succeeds.
    for _ in range(12):
        creds = alice.assume_role(RoleArn=arn, RoleSessionName="lb")["Credentials"]
        session = balanced.client("sts", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                                  token=creds["SessionToken"])
        assert session.get_caller_identity()["Arn"].endswith(f"assumed-role/{role}/lb")
    assert sts.get_caller_identity()["Account"] == ACCOUNT_ID
    # Every node took part: nginx's access log names the upstream of each request.
    upstreams = {line.split()[-1] for line in (balanced.directory / "access.log").read_text().splitlines()}
    assert {f"127.0.0.1:{n.port}" for n in balanced.nodes} <= upstreams


def test_the_aws_cli_through_nginx(balanced: Balanced, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"HOME": str(tmp_path), "AWS_ACCESS_KEY_ID": ROOT_KEY_ID, "AWS_SECRET_ACCESS_KEY": ROOT_SECRET,
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": balanced.url, "AWS_MAX_ATTEMPTS": "1"})
    aws = str(Path(sys.executable).with_name("aws"))
    role = f"lb-cli-{uuid.uuid4().hex[:8]}"
    created = subprocess.run([aws, "iam", "create-role", "--role-name", role, "--assume-role-policy-document",
                              TRUST, "--output", "json"], env=env, capture_output=True, text=True, timeout=120)
    assert created.returncode == 0, created.stderr
    for _ in range(3):  # three calls: round-robin puts them on three nodes
        got = subprocess.run([aws, "iam", "get-role", "--role-name", role, "--output", "json"], env=env,
                             capture_output=True, text=True, timeout=120)
        assert got.returncode == 0, got.stderr
        assert json.loads(got.stdout)["Role"]["RoleName"] == role
    who = subprocess.run([aws, "sts", "get-caller-identity", "--output", "json"], env=env, capture_output=True,
                         text=True, timeout=120)
    assert who.returncode == 0 and json.loads(who.stdout)["Account"] == ACCOUNT_ID


def test_a_node_that_loses_the_database_is_not_ready_and_nginx_passes_over_it(balanced: Balanced) -> None:
    third = balanced.nodes[2]
    iam = balanced.client("iam")
    role = f"lb-drain-{uuid.uuid4().hex[:8]}"
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    balanced.proxy.cut()
    try:
        assert httpx.get(third.url + "/readyz", timeout=10).status_code == 503
        direct = third.client("iam")
        with pytest.raises(Exception) as exc:
            direct.get_role(RoleName=role)
        assert getattr(exc.value, "response", {}).get("Error", {}).get("Code") == "ServiceUnavailable"
        # Through nginx every call succeeds: the third node's 503 is passed to the next node.
        for _ in range(9):
            assert iam.get_role(RoleName=role)["Role"]["RoleName"] == role
    finally:
        balanced.proxy.restore()
    deadline = time.monotonic() + 10
    while httpx.get(third.url + "/readyz", timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "the node did not become ready again"
        time.sleep(0.1)
    assert third.client("iam").get_role(RoleName=role)["Role"]["RoleName"] == role
