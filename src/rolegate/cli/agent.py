"""``rolegate agent``: one process per host serving role credentials to unmodified SDKs (issue 13, item 2; issue
14, item 5): IMDSv2 on ``--imds-address``, container credentials on ``--container-address``, health and metrics
on ``--status-address``. Credentials come from a registered instance (``--join-token-file``, or the instance
credential already in ``--state-dir``) or from an X.509 certificate through IAM Roles Anywhere (the certificate
flags of ``rolegate credential-process``). docs/operations.md, "The agent"; docs/adr/0040-rolegate-agent.md.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

__all__ = ["agent"]

def agent(
    state_dir: Annotated[Path, typer.Option("--state-dir", help="Where the agent keeps its instance credential and "
                                                                "identity key (made 0700).")],
    endpoint_url: Annotated[Optional[str], typer.Option(
        "--endpoint-url", help="The rolegate server (instance mode), or its IAM Roles Anywhere endpoint "
                               "(certificate mode; default https://rolesanywhere.REGION.amazonaws.com).")] = None,
    join_token_file: Annotated[Optional[Path], typer.Option(
        "--join-token-file", help="The join token of `rolegate instance register`; read only when no instance "
                                  "credential is stored yet.")] = None,
    imds_address: Annotated[str, typer.Option("--imds-address", help="IMDS listener HOST:PORT.")] = "169.254.169.254:80",
    container_address: Annotated[Optional[str], typer.Option(
        "--container-address", help="Container credentials listener HOST:PORT (GET /v1/credentials).")] = None,
    container_token_file: Annotated[Optional[Path], typer.Option(
        "--container-token-file", help="The token clients send in Authorization (no trailing newline).")] = None,
    status_address: Annotated[Optional[str], typer.Option(
        "--status-address", help="HOST:PORT for /healthz and /metrics (off unless given).")] = None,
    imdsv1: Annotated[str, typer.Option("--imdsv1", help="on: also answer GETs without an IMDSv2 token.")] = "off",
    region: Annotated[Optional[str], typer.Option("--region", help="Region to sign with and to serve as the "
                                                                   "placement (default: the server's answer, or "
                                                                   "the trust anchor ARN's).")] = None,
    ca_bundle: Annotated[Optional[Path], typer.Option("--ca-bundle", help="CA bundle for the endpoint's TLS "
                                                                          "certificate.")] = None,
    poll_interval: Annotated[float, typer.Option("--poll-interval", min=1, max=30,
                                                 help="Seconds between polls of the server (1-30).")] = 30.0,
    log_level: Annotated[str, typer.Option("--log-level", help="debug, info, warning or error.")] = "info",
    certificate: Annotated[Optional[Path], typer.Option(
        "--certificate", help="Certificate mode: the end-entity certificate (PEM or DER).")] = None,
    private_key: Annotated[Optional[Path], typer.Option("--private-key", help="Its private key.")] = None,
    intermediates: Annotated[Optional[Path], typer.Option("--intermediates", help="Intermediate certificates.")] = None,
    trust_anchor_arn: Annotated[Optional[str], typer.Option("--trust-anchor-arn")] = None,
    profile_arn: Annotated[Optional[str], typer.Option("--profile-arn")] = None,
    role_arn: Annotated[Optional[str], typer.Option("--role-arn")] = None,
    session_duration: Annotated[int, typer.Option("--session-duration", help="900 to 43200 seconds.")] = 3600,
    role_session_name: Annotated[Optional[str], typer.Option("--role-session-name")] = None,
) -> None:
    """Serve role credentials on this host over IMDSv2 and the container credentials endpoint."""
    from rolegate.agent.asgi import App
    from rolegate.agent.container_app import ContainerApp
    from rolegate.agent.imds_app import ImdsApp
    from rolegate.agent.metrics import AgentMetrics
    from rolegate.agent.roles_anywhere import CertificateIdentity
    from rolegate.agent.runner import IMDS_HOP_LIMIT, Listener, bind, serve
    from rolegate.agent.sources import AgentStartError, CertificateSource, CredentialSource, InstanceSource, Refresher
    from rolegate.agent.state import IdentitySigner, StateDir
    from rolegate.core.clock import SystemClock
    from rolegate.obs.logging import configure_logging

    configure_logging(log_level)
    import logging

    # One line per refresh is the agent's own; the HTTP client's per-request line and uvicorn's start/stop lines
    # (one per listener) say nothing the agent does not, so only their warnings pass.
    for noisy in ("httpx", "uvicorn.error"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    if imdsv1 not in ("on", "off"):
        _fail("--imdsv1 must be on or off")
    if (container_address is None) != (container_token_file is None):
        _fail("--container-address and --container-token-file go together")
    certificate_mode = certificate is not None
    if certificate_mode and join_token_file is not None:
        _fail("give either --join-token-file (a registered instance) or the certificate options, not both")
    clock = SystemClock()
    metrics = AgentMetrics()
    socks: dict[str, socket.socket] = {}
    try:
        state = StateDir(state_dir)
        source: CredentialSource
        if certificate_mode:
            missing = [flag for flag, value in (("--private-key", private_key), ("--trust-anchor-arn", trust_anchor_arn),
                                                ("--profile-arn", profile_arn), ("--role-arn", role_arn))
                       if value is None]
            if missing:
                _fail(f"certificate mode needs {', '.join(missing)}")
            assert certificate and private_key and trust_anchor_arn and profile_arn and role_arn
            try:
                identity = CertificateIdentity.from_files(
                    certificate, private_key, intermediates, trust_anchor_arn=trust_anchor_arn,
                    profile_arn=profile_arn, role_arn=role_arn, region=region, endpoint=endpoint_url,
                    session_duration=session_duration, role_session_name=role_session_name, ca_bundle=ca_bundle)
            except (OSError, ValueError) as exc:
                _fail(f"cannot read the certificate or key: {exc}")
            source = CertificateSource(identity, metrics, clock)
        else:
            if endpoint_url is None:
                _fail("--endpoint-url (the rolegate server) is required with a registered instance")
            assert endpoint_url is not None
            source = InstanceSource(endpoint_url, state, metrics, clock, join_token_file=join_token_file,
                                    region=region, ca_bundle=ca_bundle)
        # Bound before the source starts: an address in use fails fast, before a join token is spent.
        listeners_at: list[tuple[str, str, int | None]] = [("imds", imds_address, IMDS_HOP_LIMIT)]
        if container_address is not None:
            listeners_at.append(("container", container_address, None))
        if status_address is not None:
            listeners_at.append(("status", status_address, None))
        for name, address, hop in listeners_at:
            socks[name] = bind(name, address, hop)
        source.start()
        view = source.view()
        signer = (IdentitySigner(state, view.instance_id, clock.now()) if view.instance_id is not None else None)
        watched = source

        def seconds_left() -> float:
            now = clock.now()
            creds = watched.view().credentials_at(now)
            return max(0.0, (creds.expiration - now).total_seconds()) if creds else 0.0

        metrics.watch_expiry(seconds_left)
        apps: dict[str, App] = {"imds": ImdsApp(source, clock, metrics, imdsv1=imdsv1 == "on", signer=signer)}
        if container_token_file is not None:
            apps["container"] = ContainerApp(source, clock, metrics, container_token_file)
        if status_address is not None:
            from rolegate.agent.status_app import StatusApp

            apps["status"] = StatusApp(source, clock, metrics)
    except AgentStartError as exc:
        for sock in socks.values():
            sock.close()
        _fail(str(exc))
    listeners = [Listener(name, socks[name], apps[name]) for name, _, _ in listeners_at]
    for listener in listeners:
        sys.stderr.write(f"rolegate agent: {listener.name} on {listener.url}\n")
    sys.stderr.write(f"rolegate agent: export AWS_EC2_METADATA_SERVICE_ENDPOINT={listeners[0].url}\n")
    sys.stderr.flush()
    serve(source, Refresher(source, poll_interval), listeners)


def _fail(message: str) -> None:
    sys.stderr.write(f"rolegate agent: {message}\n")
    raise typer.Exit(1)
