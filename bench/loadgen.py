"""A small HTTP/1.1 load generator: pre-signed requests replayed over keep-alive connections.

Written on asyncio streams rather than an HTTP client library so that the generator costs little CPU on
a 2-core machine where it shares the cores with the server under test. Requests are signed before the
clock starts; SigV4 signatures stay valid for 15 minutes, so replaying them measures the server only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(len(data) * p))] if data else float("nan")

    def row(self) -> str:
        return (f"| {self.name} | {self.rps:,.0f} | {self.percentile(0.50):.2f} | {self.percentile(0.99):.2f} | "
                f"{self.errors} |")


def sign_form(host: str, port: int, body: str, key: str, secret: str, token: str | None = None,
              service: str = "iam") -> bytes:
    """One raw HTTP/1.1 request, SigV4-signed as botocore signs it."""
    url = f"http://{host}:{port}/"
    req = AWSRequest("POST", url, data=body.encode(),
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(key, secret, token), service, "us-east-1").add_auth(req)
    p = req.prepare()
    headers = "".join(f"{k}: {v}\r\n" for k, v in p.headers.items() if k.lower() != "content-length")
    return (f"POST / HTTP/1.1\r\nHost: {host}:{port}\r\n{headers}Content-Length: {len(p.body)}\r\n\r\n"
            .encode() + p.body)


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def _run(host: str, port: int, requests: Sequence[bytes], concurrency: int, total: int,
               name: str) -> Result:
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for i in counter:
                t0 = time.perf_counter()
                writer.write(requests[i % len(requests)])
                status = await _read_response(reader)
                latencies.append((time.perf_counter() - t0) * 1000)
                if status >= 300:
                    errors += 1
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Result(name, len(latencies), errors, time.perf_counter() - start, latencies)


def run(host: str, port: int, requests: Sequence[bytes], *, concurrency: int, total: int, name: str) -> Result:
    return asyncio.run(_run(host, port, requests, concurrency, total, name))


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU of a server process, its reaped children and its live ones (the workers of
    ``--workers N``), from ``/proc``: what a row cost the server whatever else the machine ran meanwhile."""
    def own(p: int) -> tuple[float, int]:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(v) for v in fields[11:15]) / _TICKS, int(fields[1])  # utime..cstime; ppid

    total, _ = own(pid)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != pid:
            try:
                cpu, parent = own(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile
            if parent == pid:
                total += cpu
    return total


def measured_run(pid: int, host: str, port: int, requests: Sequence[bytes], *, concurrency: int, total: int,
                 name: str) -> tuple[Result, float]:
    """``run``, and the server's CPU milliseconds per answered request over it (``server_cpu_seconds`` of
    ``pid``, the server's process)."""
    before = server_cpu_seconds(pid)
    result = run(host, port, requests, concurrency=concurrency, total=total, name=name)
    return result, 1000 * (server_cpu_seconds(pid) - before) / max(1, result.requests)


def median(values: list[float]) -> float:
    return statistics.median(values)


def add_audit_option(ap: argparse.ArgumentParser) -> None:
    """``--audit on|off``: the server's audit trail (on by default, as the server's own default), so a ratio can be
    read with and without the record every credential issuance makes durable before it answers."""
    ap.add_argument("--audit", choices=("on", "off"), default="on")


def audit_env(mode: str) -> dict[str, str]:
    return {"ROLEGATE_AUDIT": "true" if mode == "on" else "false"}
