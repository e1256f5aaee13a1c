"""Fair service under bursts (issue 10, item 3): connections that arrive in a burst are answered promptly while
established connections keep being served, not after them.

Measured in requests, not seconds, so the load on the machine does not decide the verdict: 32 established
connections send AssumeRole back to back; then 224 new connections (256 in all, the issue's burst) open at
once and send one AssumeRole each. We count how many rounds of the established connections complete before
the last newcomer is answered. A fair server accepts the burst and answers it within a couple of rounds; on
uvloop (uvicorn's default before) the established connections went round after round while newcomers sat in
the listen queue.

How this was checked to fail before the change (uvicorn with ``loop="uvloop"``, ``http="httptools"``, i.e. no
front-door limits; the same run against the current set-up), 3 bursts each:
- old: 24.6, 20.6, 18.6 rounds before the last newcomer; worst first answer 295-375 ms; up to 62 connections
  seen in the listen queue;
- uvloop with the front-door limits: 21.0, 15.5, 2.0 rounds (uvloop is unfair in most bursts, not all: hence 3);
- now (stdlib asyncio loop): 2.4, 2.0, 2.0 rounds; worst first answer 108-132 ms.
Bounded: 256 connections, 3 bursts, a few thousand requests in all, a few seconds on loopback.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.live import ACCOUNT_ID, LiveServer

ESTABLISHED = 32
NEW = 224
BURSTS = 3
FAIR_ROUNDS = 6  # fair: ~2; uvloop: 15-25 (module docstring)


@pytest.fixture
def server(tmp_path):  # type: ignore[no-untyped-def]
    srv = LiveServer(tmp_path)
    srv.start()
    yield srv
    srv.stop()


def _signed(port: int, body: str, key: str, secret: str) -> bytes:
    req = AWSRequest("POST", f"http://127.0.0.1:{port}/", data=body.encode(),
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(key, secret), "sts", "us-east-1").add_auth(req)
    p = req.prepare()
    headers = "".join(f"{k}: {v}\r\n" for k, v in p.headers.items() if k.lower() != "content-length")
    return (f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{headers}Content-Length: {len(p.body)}\r\n\r\n"
            .encode() + p.body)


def _assume_role_requests(server: LiveServer) -> Iterator[bytes]:
    """Pre-signed AssumeRole calls of a user allowed to assume one role (root may not assume roles)."""
    iam = server.client("iam")
    iam.create_user(UserName="burst")
    iam.put_user_policy(UserName="burst", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="burst")["AccessKey"]
    role = iam.create_role(RoleName="burst", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    # A few distinct signed requests, reused: the server does not refuse a replayed SigV4 signature within its
    # 5-minute window (AWS does not either), and signing thousands would cost more than the test.
    pool = [_signed(server.port, str(httpx.QueryParams({
        "Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": role, "RoleSessionName": f"burst-{i}"})),
        key["AccessKeyId"], key["SecretAccessKey"]) for i in range(64)]
    return itertools.cycle(pool)


async def _answer(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    await reader.readexactly(length)
    return int(head.split(b" ", 2)[1])


async def _burst(port: int, requests: Iterator[bytes]) -> tuple[float, float]:
    """(rounds of the established connections completed before the last newcomer's answer, worst newcomer's
    connect-to-first-answer seconds)."""
    stop = asyncio.Event()
    counting = False
    during = 0
    rounds: list[float] = []
    firsts: list[float] = []

    async def established() -> None:
        nonlocal during
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while not stop.is_set():
            writer.write(next(requests))
            assert await _answer(reader) == 200
            if counting:
                during += 1
        writer.close()

    async def newcomer() -> None:
        opened = time.perf_counter()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(next(requests))
        assert await _answer(reader) == 200
        firsts.append(time.perf_counter() - opened)
        rounds.append(during / ESTABLISHED)
        writer.close()

    old = [asyncio.create_task(established()) for _ in range(ESTABLISHED)]
    await asyncio.sleep(0.5)  # every established connection is open and busy
    counting = True
    await asyncio.wait_for(asyncio.gather(*(newcomer() for _ in range(NEW))), 30)
    stop.set()
    await asyncio.wait_for(asyncio.gather(*old), 30)
    return max(rounds), max(firsts)


def test_a_burst_of_new_connections_is_served_alongside_the_established_ones(server: LiveServer) -> None:
    requests = _assume_role_requests(server)
    results = [asyncio.run(_burst(server.port, requests)) for _ in range(BURSTS)]
    print("rounds of the established connections before the last newcomer's answer, worst first answer (s):",
          results)
    # Fair: each burst is answered within a few rounds of the established connections.
    assert max(r for r, _ in results) <= FAIR_ROUNDS
    # The listen-queue target: no connection waits past a second for its first answer.
    assert max(f for _, f in results) < 1.0
