"""The agent on IMDS's own address, 169.254.169.254:80, bound as docs/operations.md ("The agent") says — the
address on ``lo`` — and found there by a plain boto3 with nothing configured at all: no endpoint override, no
credentials, no profile. It runs in a network namespace of its own, so the shared host's loopback is untouched;
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
from tests.live import LiveServer

from .bridge import UnixToTcp
from .live_agent import certificate_args, clean_env

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[2]


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@pytest.fixture
def namespace() -> Iterator[str]:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs root and iproute2 to make a network namespace (as .ci/run has)")
    name = f"rg-agent-{uuid.uuid4().hex[:8]}"
    _ip("netns", "add", name)
    try:
        _ip("-n", name, "link", "set", "lo", "up")
        _ip("-n", name, "addr", "add", "169.254.169.254/32", "dev", "lo")  # the documented binding
        yield name
    finally:
        _ip("netns", "del", name)


def test_a_plain_boto3_finds_the_agent_on_169_254_169_254(namespace: str, tls: LiveServer, tmp_path: Path) -> None:
    pki = make_pki("ec", cn="link-local-host")
    s = set_up(tls, pki)
    bridge_path = str(tmp_path / "bridge.sock")
    bridge = UnixToTcp(bridge_path, ("127.0.0.1", tls.port))
    env = {**clean_env(tmp_path), "PYTHONPATH": str(ROOT)}
    inside = ["ip", "netns", "exec", namespace]
    procs = [subprocess.Popen([*inside, sys.executable, "-m", "tests.agent.bridge", f"127.0.0.1:{tls.port}",
                               bridge_path], env=env, cwd=ROOT)]
    log = tmp_path / "agent.log"
    try:
        time.sleep(0.5)
        with open(log, "wb") as out:
            procs.append(subprocess.Popen([*inside, sys.executable, "-m", "rolegate", "agent", "--state-dir",
                                           str(tmp_path / "state"), *certificate_args(tls, pki, s, tmp_path)],
                                          stdout=out, stderr=subprocess.STDOUT, env=env))
        client = ("import boto3, json, sys\n"
                  "s = boto3.session.Session(region_name='us-east-1')\n"
                  "c = s.get_credentials()\n"
                  f"sts = s.client('sts', endpoint_url='{tls.url}', verify='{tls.ca_bundle}')\n"
                  "print(json.dumps({'method': c.method, 'arn': sts.get_caller_identity()['Arn']}))\n")
        deadline, got = time.monotonic() + 30, None
        while time.monotonic() < deadline:
            got = subprocess.run([*inside, sys.executable, "-c", client], capture_output=True, text=True, env=env,
                                 timeout=60)
            if got.returncode == 0:
                break
            time.sleep(0.5)
        assert got is not None and got.returncode == 0, f"{got.stderr if got else ''}\n{log.read_text()}"
        result = json.loads(got.stdout)
        assert result["method"] == "iam-role" and f":assumed-role/{s.role_name}/" in result["arn"]
        assert "imds on http://169.254.169.254:80/" in log.read_text()
    finally:
        for p in reversed(procs):
            p.terminate()
            p.wait(10)
        bridge.close()
