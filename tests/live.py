"""A real rolegate server in a subprocess, on a random port, and boto3 clients pointed at it."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import botocore.config
import botocore.session
import httpx

from rolegate.wire.models import MODEL_DIR
from tests.anywhere.pki import pem, private_pem, root_ca, server_certificate

ROOT_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
ROOT_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ACCOUNT_ID = "123456789012"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_ready(proc: subprocess.Popen[bytes], probe: Callable[[], httpx.Response], log: Callable[[], str],
                     what: str, seconds: float = 30) -> None:
    """Return once ``probe`` answers 200; RuntimeError with ``log()`` if ``proc`` exits or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited early ({proc.returncode}):\n{log()}")
        try:
            if probe().status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not become ready:\n{log()}")


def stop_process(proc: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM) -> int | None:
    """Send ``sig`` to ``proc`` if it still runs and wait for it (killed if not gone after 10 s); its exit status."""
    if proc and proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    return proc.returncode if proc else None


@dataclass
class LiveServer:
    """A real ``rolegate serve`` subprocess; ``restart``/``kill`` act on it as an operator would."""

    data_dir: Path
    extra_args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    log_dir: Path | None = None  # default: the data directory (elsewhere when that disk is to be filled)
    open_files: tuple[int, int] | None = None  # the server's RLIMIT_NOFILE (soft, hard), as ulimit -Sn/-Hn set it
    ca_bundle: Path | None = None  # set when the server speaks HTTPS: the CA its certificate chains to

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL of this server's store: its PostgreSQL database, else the SQLite file."""
        return self.env.get("ROLEGATE_DATABASE_URL") or f"sqlite:///{self.data_dir / 'rolegate.db'}"

    @property
    def url(self) -> str:
        return f"{'https' if self.ca_bundle else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.port = free_port()
        self.log_path = (self.log_dir or self.data_dir) / f"server-{self.port}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ROLEGATE_") and not k.startswith("AWS_")}
        env.update({"ROLEGATE_ROOT_ACCESS_KEY_ID": ROOT_KEY_ID, "ROLEGATE_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET,
                    **self.env})
        cmd = [sys.executable, "-m", "rolegate", "serve", "--port", str(self.port),
               "--data-dir", str(self.data_dir), *self.extra_args]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                         preexec_fn=self._limit_open_files if self.open_files else None)
        verify = ssl.create_default_context(cafile=str(self.ca_bundle)) if self.ca_bundle else True
        wait_until_ready(self.proc, lambda: httpx.get(self.url + "/readyz", timeout=1, verify=verify), self.log,
                         "rolegate")

    def _limit_open_files(self) -> None:
        import resource

        assert self.open_files is not None
        resource.setrlimit(resource.RLIMIT_NOFILE, self.open_files)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def stop(self, sig: int = signal.SIGTERM) -> None:
        stop_process(self.proc, sig)
        self.proc = None

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def client(self, service: str = "iam", *, key_id: str = ROOT_KEY_ID, secret: str = ROOT_SECRET,
               token: str | None = None, region: str = "us-east-1"):  # type: ignore[no-untyped-def]
        core = botocore.session.Session()
        # rolegate's own models (rolegate-instances …) are found as clients find them: on the loader's path.
        core.get_component("data_loader").search_paths.append(str(MODEL_DIR))
        return boto3.session.Session(botocore_session=core).client(
            service, endpoint_url=self.url, region_name=region, aws_access_key_id=key_id,
            aws_secret_access_key=secret, aws_session_token=token,
            verify=str(self.ca_bundle) if self.ca_bundle else None,
            config=botocore.config.Config(retries={"max_attempts": 1}))


def tls_server(d: Path, env: dict[str, str] | None = None) -> LiveServer:
    """A started server in ``d`` speaking HTTPS with a certificate for 127.0.0.1 from a CA of its own
    (``ca_bundle``), as IAM Roles Anywhere's clients require."""
    ca, ca_key = root_ca("rolegate TLS CA")
    cert, k = server_certificate(ca, ca_key)
    (d / "ca.pem").write_text(pem(ca))
    (d / "server.pem").write_text(pem(cert))
    (d / "server.key").write_bytes(private_pem(k))
    (d / "data").mkdir()
    srv = LiveServer(d / "data", extra_args=["--tls-cert-file", str(d / "server.pem"),
                                             "--tls-key-file", str(d / "server.key")],
                     env=env or {}, ca_bundle=d / "ca.pem")
    srv.start()
    return srv


def aws_cli(server: LiveServer, home: Path, *, key: str = ROOT_KEY_ID, secret: str = ROOT_SECRET,
            token: str | None = None, region: str = "us-east-1", max_attempts: int | None = None):  # type: ignore[no-untyped-def]
    """``run(*args, ok=True)``: the AWS CLI (``awscli`` from PyPI) against ``server`` with these credentials, in a
    throwaway HOME; the parsed JSON output, or with ``ok=False`` the error text of a call that must fail."""
    aws_bin = Path(sys.executable).with_name("aws")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"HOME": str(home), "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret,
                "AWS_DEFAULT_REGION": region, "AWS_ENDPOINT_URL": server.url, "AWS_PAGER": "",
                "AWS_CONFIG_FILE": str(home / "config"), "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials")})
    if token:
        env["AWS_SESSION_TOKEN"] = token
    if max_attempts is not None:
        env["AWS_MAX_ATTEMPTS"] = str(max_attempts)

    def run(*args: str, ok: bool = True):  # type: ignore[no-untyped-def]
        proc = subprocess.run([str(aws_bin), *args, "--output", "json"], env=env, capture_output=True, text=True,
                              timeout=60)
        if ok:
            assert proc.returncode == 0, proc.stderr
            return json.loads(proc.stdout) if proc.stdout.strip() else None
        assert proc.returncode != 0
        return proc.stderr

    return run


def create_account(server: LiveServer, account_id: str) -> tuple[str, str]:
    """A second account in ``server``'s store, made with ``rolegate account create``: its root key id and secret."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLEGATE_")}
    proc = subprocess.run([sys.executable, "-m", "rolegate", "account", "create", f"b-{account_id}", "--id",
                           account_id, "--data-dir", str(server.data_dir)], capture_output=True, text=True, env=env,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    values = dict(line.split(" = ", 1) for line in proc.stdout.splitlines() if " = " in line)
    return values["aws_access_key_id"].strip(), values["aws_secret_access_key"].strip()
