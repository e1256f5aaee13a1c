"""Fair service under bursts (issue 10, item 3): connections that arrive in a burst are answered while
established connections keep being served, not after them.

Measured in requests, not seconds: 16 established connections send GetCallerIdentity back to back; then 128
new connections open at once and send one each. The last new connection must be answered before the established
ones have completed a few requests each. On uvloop (uvicorn's default before) new connections waited behind the
established ones. Bounded: 144 connections, one request each for the new ones, a few hundred in all.
"""

from __future__ import annotations

import asyncio

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.live import ROOT_KEY_ID, ROOT_SECRET, LiveServer

ESTABLISHED = 16
NEW = 128


@pytest.fixture
def server(tmp_path):  # type: ignore[no-untyped-def]
    srv = LiveServer(tmp_path)
    srv.start()
    yield srv
    srv.stop()


def _signed(port: int) -> bytes:
    req = AWSRequest("POST", f"http://127.0.0.1:{port}/", data=b"Action=GetCallerIdentity&Version=2011-06-15",
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(ROOT_KEY_ID, ROOT_SECRET), "sts", "us-east-1").add_auth(req)
    p = req.prepare()
    headers = "".join(f"{k}: {v}\r\n" for k, v in p.headers.items() if k.lower() != "content-length")
    return (f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{headers}Content-Length: {len(p.body)}\r\n\r\n"
            .encode() + p.body)


async def _answer(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    await reader.readexactly(length)
    return int(head.split(b" ", 2)[1])


async def _burst(port: int) -> tuple[list[int], int]:
    request = _signed(port)
    done = 0
    stop = asyncio.Event()

    async def established() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while not stop.is_set():
            writer.write(request)
            assert await _answer(reader) == 200
            done += 1
        writer.close()

    async def newcomer(seen: list[int]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        assert await _answer(reader) == 200
        seen.append(done)  # how many established requests completed before this one was answered
        writer.close()

    old = [asyncio.create_task(established()) for _ in range(ESTABLISHED)]
    while done < 5 * ESTABLISHED:
        await asyncio.sleep(0.01)
    start = done
    seen: list[int] = []
    await asyncio.wait_for(asyncio.gather(*(newcomer(seen) for _ in range(NEW))), 30)
    stop.set()
    await asyncio.wait_for(asyncio.gather(*old), 30)
    return [s - start for s in seen], done


def test_a_burst_of_new_connections_is_served_alongside_the_established_ones(server: LiveServer) -> None:
    waited, _ = asyncio.run(_burst(server.port))
    print(f"established requests completed before the last newcomer's answer: {max(waited)}")
    # Fair: the 128 newcomers' requests interleave with the established ones'; the last newcomer waits for at
    # most a few rounds of the 16 established connections (each round is 16 requests).
    assert max(waited) <= 8 * ESTABLISHED
