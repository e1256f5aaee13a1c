"""Bursts and hostile connections against rolegate and a minimal stdlib server, side by side in one run
(issue 10, items 2 and 3).

Run: ``.venv/bin/python -m bench.burst_bench [--requests 1000] [--concurrency 8,64,256] [--hostile 1000]``.

AssumeRole burst: every client opens its connection at the same moment and sends its share of ``--requests``
pre-signed AssumeRole calls over it (keep-alive). Reported per server and concurrency: p50 and p99 latency of
all requests, and the worst first-request latency (connect to first answer: what a connection left in the
listen queue waits). The baseline is an asyncio-streams server of the standard library answering each request
with a canned AssumeRole response of the same size, in its own process like rolegate's one worker.

Hostile connections: ``--hostile`` connections each sending a 64 KiB header (header flood), then as many each
sending half a request head and nothing more (slow-connection flood); the server's resident memory before and
at the end of each flood, per 1,000 connections.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.loadgen import _read_response, sign_form
from tests.live import ACCOUNT_ID, LiveServer, free_port

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}]})


# --- the baseline --------------------------------------------------------------------------------------

async def _serve_baseline(port: int, data_dir: str) -> None:
    """rolegate's endpoint behind the plainest asyncio-streams HTTP/1.1 loop: the same work per request as the
    uvicorn worker does inline (AssumeRole runs on the loop there too), none of the front door."""
    from rolegate.server.app import build_app
    from rolegate.server.config import load_settings

    endpoint = build_app(load_settings(data_dir=Path(data_dir))).state.endpoint

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = [tuple(h.split(": ", 1)) for h in lines[1:] if ": " in h]
                length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
                body = await reader.readexactly(length)
                path, _, query = target.partition("?")
                res = endpoint.handle(method, path, query, headers, body, client_ip="127.0.0.1")
                writer.write(b"HTTP/1.1 %d X\r\nContent-Type: %s\r\nx-amzn-RequestId: %s\r\nContent-Length: %d\r\n\r\n"
                             % (res.status, res.content_type.encode(), res.request_id.encode(), len(res.body))
                             + res.body)
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=2048)
    async with server:
        await server.serve_forever()


def baseline_main() -> None:
    asyncio.run(_serve_baseline(int(sys.argv[2]), sys.argv[3]))


# --- load ------------------------------------------------------------------------------------------------

async def _burst(port: int, requests: list[bytes], concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    firsts: list[float] = []
    errors = 0
    share = [len(requests) // concurrency + (1 if i < len(requests) % concurrency else 0) for i in range(concurrency)]
    go = asyncio.Event()
    counter = iter(range(len(requests)))

    async def client(n: int) -> None:
        nonlocal errors
        await go.wait()
        opened = time.perf_counter()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for k in range(n):
                i = next(counter)
                t0 = time.perf_counter()
                writer.write(requests[i])
                status = await _read_response(reader)
                now = time.perf_counter()
                latencies.append((now - t0) * 1000)
                if k == 0:
                    firsts.append((now - opened) * 1000)
                if status >= 300:
                    errors += 1
        finally:
            writer.close()

    tasks = [asyncio.create_task(client(n)) for n in share if n]
    await asyncio.sleep(0.1)
    go.set()
    await asyncio.gather(*tasks)
    latencies.sort()
    return {"p50": latencies[len(latencies) // 2], "p99": latencies[min(len(latencies) - 1, int(len(latencies) * .99))],
            "first_max": max(firsts), "errors": errors}


def _rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])


def _flood(port: int, pid: int, count: int, payload: bytes, hold: bool) -> tuple[int, int]:
    """(RSS before, RSS with every hostile connection sent or open) of ``pid``, in KiB."""
    before = _rss_kib(pid)
    socks = []
    peak = before
    for _ in range(count):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        socks.append(s)
    time.sleep(0.5)
    for s in socks:
        try:
            s.send(payload)
        except OSError:
            pass
    for _ in range(10):
        time.sleep(0.2)
        peak = max(peak, _rss_kib(pid))
    for s in socks:
        s.close()
    time.sleep(0.5 if hold else 0.2)
    return before, peak


# --- the run ---------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--baseline":
        baseline_main()
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--concurrency", default="8,64,256")
    ap.add_argument("--hostile", type=int, default=1000)
    args = ap.parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",")]

    base_port = free_port()
    rows: list[str] = []
    memory: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        srv = LiveServer(Path(tmp))
        srv.start()
        baseline = None
        try:
            iam = srv.client("iam")
            iam.create_user(UserName="burst")
            iam.put_user_policy(UserName="burst", PolicyName="assume", PolicyDocument=json.dumps({
                "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                        "Resource": "*"}]}))
            key = iam.create_access_key(UserName="burst")["AccessKey"]
            role = iam.create_role(RoleName="burst", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
            # The baseline serves the same data directory, as a second worker would.
            env = {k: v for k, v in os.environ.items() if not k.startswith("ROLEGATE_")}
            baseline = subprocess.Popen([sys.executable, "-m", "bench.burst_bench", "--baseline", str(base_port), tmp],
                                        env=env)
            for _ in range(50):
                try:
                    httpx.get(f"http://127.0.0.1:{base_port}/", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)

            def signed(port: int, round_: int) -> list[bytes]:
                return [sign_form("127.0.0.1", port, str(httpx.QueryParams({
                    "Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": role,
                    "RoleSessionName": f"b{round_}-{i}"})), key["AccessKeyId"], key["SecretAccessKey"],
                    service="sts") for i in range(args.requests)]

            for port in (base_port, srv.port):  # warm both
                asyncio.run(_burst(port, signed(port, 0)[:200], 8))
            for c in levels:
                for name, port in (("stdlib asyncio", base_port), ("rolegate", srv.port)):
                    r = asyncio.run(_burst(port, signed(port, c), c))
                    rows.append(f"| {c} | {name} | {r['p50']:.1f} | {r['p99']:.1f} | {r['first_max']:.1f} | "
                                f"{r['errors']} |")
                    print(rows[-1], flush=True)
            assert srv.proc is not None
            for name, port, pid in (("stdlib asyncio", base_port, baseline.pid), ("rolegate", srv.port, srv.proc.pid)):
                head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Flood: " + b"a" * 65536
                b0, p0 = _flood(port, pid, args.hostile, head, hold=False)
                b1, p1 = _flood(port, pid, args.hostile, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ", hold=True)
                scale = 1000 / args.hostile
                memory.append(f"| {name} | {b0 / 1024:.0f} | {(p0 - b0) / 1024 * scale:+.1f} | "
                              f"{(p1 - b1) / 1024 * scale:+.1f} |")
                print(memory[-1], flush=True)
        finally:
            srv.stop()
            if baseline is not None:
                baseline.terminate()
                baseline.wait(10)
    load = os.getloadavg()
    print(f"\nrequests={args.requests} hostile={args.hostile} python={sys.version.split()[0]} "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")
    print("| clients | server | p50 ms | p99 ms | max first-request ms | errors |\n|---:|---|---:|---:|---:|---:|")
    print("\n".join(rows))
    print("\n| server | RSS at start MB | header flood MB per 1,000 | slow flood MB per 1,000 |\n|---|---:|---:|---:|")
    print("\n".join(memory))


if __name__ == "__main__":
    main()
