"""The agent's IMDS under load: credential fetches/s served from its cache, and its load on the server.

Run: ``.venv/bin/python -m bench.agent_bench [--mode certificate|instance] [--requests 20000] [--concurrency 8]
[--rounds 3]``. A TLS server and a certificate-mode ``rolegate agent`` (IAM Roles Anywhere) are started on
loopback — or, with ``--mode instance``, a server, a registered instance and its agent polling every
``--poll-interval`` seconds. Measured:
- raw ``GET …/security-credentials/ROLE`` with a token, replayed over keep-alive connections (``bench.loadgen``):
  what the agent costs per credential document;
- botocore's own retrieval, as an SDK does it on every (re)fetch: token PUT, role-name GET, document GET
  (``InstanceMetadataFetcher.retrieve_iam_role_credentials``), sequentially;
- the server calls the agent made meanwhile (``rolegate_agent_refreshes_total``): the target is one per
  refresh period (certificate mode: per renewal; instance mode: per poll), whatever the number of local clients.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path


from bench.loadgen import Result, run
from tests.agent.live_agent import LiveAgent, certificate_args, metric
from tests.agent.test_instance_agent import profile_trusting_ec2, register_instance
from tests.live import tls_server
from tests.e2e.test_rolesanywhere_sessions import make_pki, set_up
from tests.live import LiveServer

_CALL = {"certificate": "CreateSession", "instance": "GetInstanceRoleCredentials"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sdk-fetches", type=int, default=300)
    parser.add_argument("--mode", choices=sorted(_CALL), default="certificate")
    parser.add_argument("--poll-interval", type=float, default=5, help="instance mode: the agent's poll period")
    args = parser.parse_args()
    calls_metric = f'rolegate_agent_refreshes_total{{operation="{_CALL[args.mode]}"}}'
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "srv").mkdir()
        agent = None
        server = tls_server(d / "srv") if args.mode == "certificate" else LiveServer(d / "srv")
        try:
            if args.mode == "certificate":
                pki = make_pki("ec", cn="bench-host")
                s = set_up(server, pki)
                role, agent_args = s.role_name, certificate_args(server, pki, s, d)
            else:
                server.start()
                profile, role = profile_trusting_ec2(server, "sts:GetCallerIdentity")
                (d / "join-token").write_text(register_instance(server, d, profile)["JoinToken"])
                agent_args = ["--endpoint-url", server.url, "--region", "us-east-1", "--join-token-file",
                              str(d / "join-token"), "--poll-interval", str(args.poll_interval)]
            agent = LiveAgent(d / "state", agent_args, container_token=None)
            agent.start()
            token = agent.token()
            calls_before = metric(agent.metrics(), calls_metric)
            started = time.monotonic()
            path = f"/latest/meta-data/iam/security-credentials/{role}"
            raw = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{agent.imds_port}\r\n"
                   f"x-aws-ec2-metadata-token: {token}\r\n\r\n").encode()
            results: list[Result] = [run("127.0.0.1", agent.imds_port, [raw], concurrency=args.concurrency,
                                         total=args.requests, name="IMDS credential document (cached)")
                                     for _ in range(args.rounds)]
            sdk = _sdk_fetches(agent.imds_url, args.sdk_fetches)
            total_calls = metric(agent.metrics(), calls_metric)
            calls = total_calls - calls_before
            elapsed = time.monotonic() - started
        finally:
            if agent is not None:
                agent.stop()
            server.stop()
    best = max(results, key=lambda r: r.rps)
    print("| measurement | requests/s | p50 ms | p99 ms | errors |\n|---|---|---|---|---|")
    print(best.row())
    print(f"| botocore retrievals (PUT token + 2 GETs, sequential) | {sdk:,.0f} | | | |")
    print(f"\nrounds (requests/s): {', '.join(f'{r.rps:,.0f}' for r in results)}; "
          f"median {statistics.median(r.rps for r in results):,.0f}")
    served = args.requests * args.rounds + args.sdk_fetches
    if args.mode == "certificate":
        print(f"server calls while serving {served:,} credential documents: {calls:.0f} CreateSession "
              f"({total_calls:.0f} since the agent started: the session it holds served them all)")
        over = calls > 1
    else:
        polls = elapsed / args.poll_interval
        print(f"server calls while serving {served:,} credential documents in {elapsed:.1f} s: {calls:.0f} "
              f"GetInstanceRoleCredentials, against {polls:.1f} poll periods of {args.poll_interval:g} s")
        over = calls > polls + 1
    if any(r.errors for r in results) or over:
        sys.exit(1)


def _sdk_fetches(endpoint: str, n: int) -> float:
    from botocore.utils import InstanceMetadataFetcher

    fetcher = InstanceMetadataFetcher(timeout=2, num_attempts=1, env={},
                                      config={"ec2_metadata_service_endpoint": endpoint})
    started = time.perf_counter()
    for _ in range(n):
        if not fetcher.retrieve_iam_role_credentials():
            raise RuntimeError("botocore got no credentials from the agent")
    return n / (time.perf_counter() - started)


if __name__ == "__main__":
    main()
