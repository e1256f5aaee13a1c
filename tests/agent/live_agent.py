"""A real ``rolegate agent`` subprocess on loopback ports, and the environment that points unmodified SDKs at it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.anywhere.pki import pem, private_pem
from tests.e2e.test_rolesanywhere_sessions import Pki, Setup
from tests.live import LiveServer, free_port, stop_process, wait_until_ready


def clean_env(home: Path) -> dict[str, str]:
    """The environment with no AWS configuration at all: no credentials, no config files, no proxy."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "ROLEGATE_")) and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env.update({"HOME": str(home), "AWS_CONFIG_FILE": str(home / "no-config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"), "NO_PROXY": "127.0.0.1,localhost"})
    return env


def certificate_args(server: LiveServer, pki: Pki, s: Setup, directory: Path, *extra: str) -> list[str]:
    """The certificate-mode flags for ``pki``'s leaf, its files written into ``directory``."""
    (directory / "leaf.pem").write_text(pem(pki.leaf))
    (directory / "leaf.key").write_bytes(private_pem(pki.leaf_key))
    (directory / "chain.pem").write_text(pem(pki.intermediate))
    return ["--certificate", str(directory / "leaf.pem"), "--private-key", str(directory / "leaf.key"),
            "--intermediates", str(directory / "chain.pem"), "--trust-anchor-arn", s.anchor_arn,
            "--profile-arn", s.profile_arn, "--role-arn", s.role_arn, "--endpoint-url", server.url,
            "--ca-bundle", str(server.ca_bundle), *extra]


@dataclass
class LiveAgent:
    """``rolegate agent`` with IMDS, container and status listeners on free loopback ports."""

    state_dir: Path
    args: list[str]
    container_token: str | None = "container-token-0123456789"
    env: dict[str, str] = field(default_factory=dict)
    imds_port: int = 0
    container_port: int = 0
    status_port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def imds_url(self) -> str:
        return f"http://127.0.0.1:{self.imds_port}/"

    @property
    def container_url(self) -> str:
        return f"http://127.0.0.1:{self.container_port}/v1/credentials"

    @property
    def status_url(self) -> str:
        return f"http://127.0.0.1:{self.status_port}"

    @property
    def token_file(self) -> Path:
        return self.state_dir.parent / f"{self.state_dir.name}-container-token"

    def command(self) -> list[str]:
        self.imds_port = self.imds_port or free_port()
        self.status_port = self.status_port or free_port()
        cmd = [sys.executable, "-m", "rolegate", "agent", "--state-dir", str(self.state_dir),
               "--imds-address", f"127.0.0.1:{self.imds_port}", "--status-address", f"127.0.0.1:{self.status_port}",
               *self.args]
        if self.container_token is not None:
            self.container_port = self.container_port or free_port()
            self.token_file.write_text(self.container_token)  # no newline: botocore sends the file verbatim
            cmd += ["--container-address", f"127.0.0.1:{self.container_port}",
                    "--container-token-file", str(self.token_file)]
        return cmd

    def start(self, wait: bool = True) -> None:
        self.log_path = self.state_dir.parent / f"{self.state_dir.name}-agent.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ROLEGATE_"))}
        env.update(self.env)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, env=env)
        if not wait:
            return
        wait_until_ready(self.proc, lambda: httpx.get(self.status_url + "/healthz", timeout=1, trust_env=False),
                         self.log, "the agent")

    def wait(self, timeout: float = 30) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        code = stop_process(self.proc, sig)
        self.proc = None
        return code

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def health(self) -> str:
        return httpx.get(self.status_url + "/healthz", timeout=5, trust_env=False).text

    def metrics(self) -> str:
        return httpx.get(self.status_url + "/metrics", timeout=5, trust_env=False).text

    def token(self, ttl: str = "21600") -> str:
        res = httpx.put(self.imds_url + "latest/api/token", headers={"x-aws-ec2-metadata-token-ttl-seconds": ttl},
                        timeout=5, trust_env=False)
        assert res.status_code == 200, res.text
        return res.text

    def get(self, path: str, token: str | None = None) -> httpx.Response:
        headers = {"x-aws-ec2-metadata-token": token} if token is not None else {}
        return httpx.get(self.imds_url + path.lstrip("/"), headers=headers, timeout=5, trust_env=False)


def metric(exposition: str, line_prefix: str) -> float:
    """The value of the sample whose line starts with ``line_prefix`` (0 when absent)."""
    for line in exposition.splitlines():
        if line.startswith(line_prefix + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0
