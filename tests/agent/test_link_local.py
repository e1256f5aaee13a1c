"""The agent on IMDS's own address, 169.254.169.254:80, bound as docs/operations.md ("The agent") says — the
address on ``lo`` — and found there by a plain boto3 with nothing configured at all: no endpoint override, no
credentials, no profile — for a certificate (Roles Anywhere) and for a registered instance, whose role the AWS
CLI acts as too. It runs in a network namespace of its own, so the shared host's loopback is untouched;
the namespace reaches the TLS server through a Unix-socket bridge (``tests.agent.bridge``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_rolesanywhere_sessions import make_pki, set_up
from tests.live import ACCOUNT_ID, LiveServer

from .bridge import UnixToTcp
from .test_instance_agent import profile_trusting_ec2, register_instance
from .live_agent import certificate_args, clean_env

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[2]


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@pytest.fixture
def namespace() -> Iterator[str]:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        reason = "needs root and iproute2 to make a network namespace (as .ci/run has)"
        if os.environ.get("CI"):  # CI installs and runs as root: there the test must run, never skip
            pytest.fail(reason)
        pytest.skip(reason)
    name = f"rg-agent-{uuid.uuid4().hex[:8]}"
    _ip("netns", "add", name)
    try:
        _ip("-n", name, "link", "set", "lo", "up")
        _ip("-n", name, "addr", "add", "169.254.169.254/32", "dev", "lo")  # the documented binding
        yield name
    finally:
        _ip("netns", "del", name)


def _plain_boto3_inside(namespace: str, server: LiveServer, agent_args: list[str], tmp_path: Path,
                        ) -> tuple[dict[str, str], str]:
    """Starts the agent with ``agent_args`` inside ``namespace`` (its listener on 169.254.169.254:80), then runs a
    plain boto3 there with nothing configured: (what it found — the credentials' method, the caller's ARN, and the
    AWS CLI's role list — and the agent's log)."""
    bridge_path = str(tmp_path / "bridge.sock")
    bridge = UnixToTcp(bridge_path, ("127.0.0.1", server.port))
    env = {**clean_env(tmp_path), "PYTHONPATH": str(ROOT)}
    inside = ["ip", "netns", "exec", namespace]
    procs = [subprocess.Popen([*inside, sys.executable, "-m", "tests.agent.bridge", f"127.0.0.1:{server.port}",
                               bridge_path], env=env, cwd=ROOT)]
    log = tmp_path / "agent.log"
    verify = f"'{server.ca_bundle}'" if server.ca_bundle else "None"
    try:
        time.sleep(0.5)
        with open(log, "wb") as out:
            procs.append(subprocess.Popen([*inside, sys.executable, "-m", "rolegate", "agent", "--state-dir",
                                           str(tmp_path / "state"), *agent_args],
                                          stdout=out, stderr=subprocess.STDOUT, env=env))
        client = ("import boto3, json, sys\n"
                  "s = boto3.session.Session(region_name='us-east-1')\n"
                  "c = s.get_credentials()\n"
                  f"sts = s.client('sts', endpoint_url='{server.url}', verify={verify})\n"
                  "print(json.dumps({'method': c.method, 'arn': sts.get_caller_identity()['Arn']}))\n")
        deadline, got = time.monotonic() + 30, None
        while time.monotonic() < deadline:
            got = subprocess.run([*inside, sys.executable, "-c", client], capture_output=True, text=True, env=env,
                                 timeout=60)
            if got.returncode == 0:
                break
            time.sleep(0.5)
        assert got is not None and got.returncode == 0, f"{got.stderr if got else ''}\n{log.read_text()}"
        found: dict[str, str] = json.loads(got.stdout)
        cli = [*inside, str(Path(sys.executable).with_name("aws")), "iam", "list-roles", "--endpoint-url",
               server.url, "--region", "us-east-1", "--query", "Roles[].RoleName", "--output", "text"]
        if server.ca_bundle:
            cli += ["--ca-bundle", str(server.ca_bundle)]
        listed = subprocess.run(cli, capture_output=True, text=True, env=env, timeout=60)
        found["cli"] = listed.stdout if listed.returncode == 0 else f"failed: {listed.stderr}"
        return found, log.read_text()
    finally:
        for p in reversed(procs):
            p.terminate()
            p.wait(10)
        bridge.close()


def test_a_plain_boto3_finds_the_agent_on_169_254_169_254(namespace: str, tls: LiveServer, tmp_path: Path) -> None:
    pki = make_pki("ec", cn="link-local-host")
    s = set_up(tls, pki)
    found, log = _plain_boto3_inside(namespace, tls, certificate_args(tls, pki, s, tmp_path), tmp_path)
    assert found["method"] == "iam-role" and f":assumed-role/{s.role_name}/" in found["arn"]
    assert "imds on http://169.254.169.254:80/" in log


def test_a_registered_instance_s_role_is_found_there_by_boto3_and_the_aws_cli(namespace: str, server: LiveServer,
                                                                              tmp_path: Path) -> None:
    """The issue's journey: a role trusting EC2 in an instance profile, ``rolegate instance register``, the agent
    started with the join token — then boto3 and the AWS CLI, with no credentials anywhere, act as the instance."""
    profile, role = profile_trusting_ec2(server, "iam:ListRoles")
    registered = register_instance(server, tmp_path, profile)
    (tmp_path / "join-token").write_text(registered["JoinToken"])
    found, log = _plain_boto3_inside(namespace, server, ["--endpoint-url", server.url, "--region", "us-east-1",
                                                         "--join-token-file", str(tmp_path / "join-token")],
                                     tmp_path)
    assert found["method"] == "iam-role"
    assert found["arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role}/{registered['InstanceId']}"
    assert role in found["cli"].split(), found["cli"]
    assert registered["JoinToken"] not in log
