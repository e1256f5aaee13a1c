"""The write path: a Create/Get/DeleteRole mix against rolegate, moto (in memory) and a minimal stdlib server.

Run: ``.venv/bin/python -m bench.write_path_bench [--cycles 300] [--concurrency 8 16] [--rounds 3]``
(moto comes with the ``bench`` extra: ``pip install -e '.[bench]'``).

Each client connection runs its own cycles — CreateRole, GetRole, DeleteRole of a name only it uses — over
keep-alive, with requests signed before the clock starts; a second mix leaves out the GetRole, so that its
"server CPU ms / request" is the cost of a write alone. rolegate runs one worker with its durable SQLite
store on disk (``synchronous=FULL``); moto keeps everything in memory and checks no signature; the stdlib
server (``http.server``, threads) answers every request with a fixed body and is the floor of what Python
on this machine serves. Servers are measured in alternation, round by round, and each row gives the median
round. "server CPU ms / request" is the server process's user+system CPU time (``/proc``) over the round
divided by its requests: what a request costs the server, whatever the load generator costs.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from bench.loadgen import server_cpu_seconds, sign_form
from tests.live import ROOT_KEY_ID, ROOT_SECRET, LiveServer, free_port

TRUST = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},'
         '"Action":"sts:AssumeRole"}]}')


@dataclass
class Round:
    seconds: float
    requests: int
    errors: int
    cpu_seconds: float
    create_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def _form(**params: str) -> str:
    return str(httpx.QueryParams({"Version": "2010-05-08", **params}))


def _cycles(port: int, client: int, cycles: int, tag: str, *, reads: bool = True) -> list[tuple[str, bytes]]:
    sign = lambda body: sign_form("127.0.0.1", port, body, ROOT_KEY_ID, ROOT_SECRET)  # noqa: E731
    out = []
    for k in range(cycles):
        name = f"{tag}-{client}-{k}"
        out.append(("create", sign(_form(Action="CreateRole", RoleName=name, AssumeRolePolicyDocument=TRUST))))
        if reads:
            out.append(("get", sign(_form(Action="GetRole", RoleName=name))))
        out.append(("delete", sign(_form(Action="DeleteRole", RoleName=name))))
    return out


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> tuple[int, bool]:
    """Send one request, read its response: (status, whether the server closes the connection)."""
    writer.write(raw)
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    status = int(head.split(b" ", 2)[1])
    length, closes = 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
        elif name.strip().lower() == b"connection" and value.strip().lower() == b"close":
            closes = True
    await reader.readexactly(length)
    return status, closes


async def _drive(port: int, plans: Sequence[list[tuple[str, bytes]]]) -> tuple[float, int, int, list[float]]:
    create_ms: list[float] = []
    errors = 0

    async def client(plan: list[tuple[str, bytes]]) -> None:
        # moto's development server closes every connection after one answer: reconnect as clients do.
        nonlocal errors
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            for kind, raw in plan:
                t0 = time.perf_counter()
                if conn is None:
                    conn = await asyncio.open_connection("127.0.0.1", port)
                status, closes = await _exchange(*conn, raw)
                if closes:
                    conn[1].close()
                    conn = None
                if kind == "create":
                    create_ms.append((time.perf_counter() - t0) * 1000)
                if status >= 300:
                    errors += 1
        finally:
            if conn is not None:
                conn[1].close()

    start = time.perf_counter()
    await asyncio.gather(*(client(p) for p in plans))
    return time.perf_counter() - start, sum(len(p) for p in plans), errors, create_ms


def measure(pid: int, port: int, concurrency: int, cycles: int, tag: str, *, reads: bool = True) -> Round:
    plans = [_cycles(port, c, cycles, tag, reads=reads) for c in range(concurrency)]
    cpu0 = server_cpu_seconds(pid)
    seconds, requests, errors, create_ms = asyncio.run(_drive(port, plans))
    return Round(seconds, requests, errors, server_cpu_seconds(pid) - cpu0, create_ms)


class _Fixed(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes: without this, delayed ACKs stall each
    BODY = b"<GetRoleResponse><GetRoleResult/></GetRoleResponse>"

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(self.BODY)))
        self.end_headers()
        self.wfile.write(self.BODY)

    def log_message(self, *args: object) -> None:
        pass


def _stdlib_server() -> tuple[subprocess.Popen[bytes], int]:
    """The floor, in a process of its own so that its CPU is measured like the others'."""
    port = free_port()
    # The default listen backlog (5) drops connections of a 16-client burst: SYN retries stall them a second.
    code = ("import sys; from http.server import ThreadingHTTPServer; from bench.write_path_bench import _Fixed; "
            "ThreadingHTTPServer.request_queue_size = 128; "
            f"ThreadingHTTPServer(('127.0.0.1', {port}), _Fixed).serve_forever()")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent)
    _wait_port(port)
    return proc, port


def _moto_server() -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_port(port)
    return proc, port


def _wait_port(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cycles", type=int, default=300, help="Create/Get/Delete cycles in all, per round")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[8, 16])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)

    results: dict[tuple[str, int], list[Round]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        rolegate = LiveServer(Path(tmp))
        rolegate.start()
        moto, moto_port = _moto_server()
        floor, floor_port = _stdlib_server()
        assert rolegate.proc is not None
        servers: dict[str, tuple[int, int]] = {"rolegate (SQLite, durable)": (rolegate.proc.pid, rolegate.port),
                                               "moto (in memory)": (moto.pid, moto_port),
                                               "stdlib http.server (fixed answer)": (floor.pid, floor_port)}
        try:
            for name, (pid, port) in servers.items():  # warm-up
                measure(pid, port, 4, 5, f"warm{abs(hash(name)) % 1000}")
            for r in range(args.rounds):
                for c in args.concurrency:
                    for name, (pid, port) in servers.items():
                        for mix, reads in (("Create/Get/Delete", True), ("Create/Delete only", False)):
                            results.setdefault((name, mix, c), []).append(
                                measure(pid, port, c, max(1, args.cycles // c), f"r{r}c{c}{mix[-4:]}", reads=reads))
        finally:
            rolegate.stop()
            for proc in (moto, floor):
                proc.terminate()
                proc.wait(10)

    print(f"\nCreate/Get/DeleteRole mix, {args.cycles} cycles per round, median of {args.rounds} alternating "
          f"rounds, python={sys.version.split()[0]}\n")
    print("| server | mix | clients | requests/s | server CPU ms / request | CreateRole p50 ms | CreateRole p99 ms "
          "| errors |\n|---|---|---:|---:|---:|---:|---:|---:|")
    for (name, mix, c), rounds in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][2])):
        mid = sorted(rounds, key=lambda x: x.rps)[len(rounds) // 2]
        creates = sorted(mid.create_ms)
        p = lambda q: creates[min(len(creates) - 1, int(len(creates) * q))]  # noqa: E731
        print(f"| {name} | {mix} | {c} | {statistics.median(x.rps for x in rounds):,.0f} | "
              f"{statistics.median(x.cpu_seconds * 1000 / x.requests for x in rounds):.2f} | {p(0.5):.1f} | "
              f"{p(0.99):.1f} | {sum(x.errors for x in rounds)} |")


if __name__ == "__main__":
    main()
