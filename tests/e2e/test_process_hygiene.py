"""Process hygiene (issue 10, item 7): workers die with their parent, so nothing holds the port after
``kill -9`` of the parent; a client that disconnects mid-body is an INFO line, not an ERROR traceback."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import LiveServer


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(p) for p in (task / "children").read_text().split()}
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: TIME_WAIT does not count
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def wait_for(condition, seconds: float = 15) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_workers_die_with_their_parent_and_free_the_port(tmp_path: Path) -> None:
    srv = LiveServer(tmp_path, extra_args=["--workers", "2"])
    srv.start()
    assert srv.proc is not None
    workers = children(srv.proc.pid)
    try:
        # uvicorn's parent also runs multiprocessing's resource tracker; the workers are the ones that serve.
        assert len(workers) >= 2
        os.kill(srv.proc.pid, signal.SIGKILL)
        srv.proc.wait(10)
        assert wait_for(lambda: not any(alive(w) for w in workers)), "orphaned workers outlived the parent"
        assert port_is_free(srv.port)
        again = LiveServer(tmp_path)
        again.start()  # a restart works: nothing left holds the data directory's lock or the old port
        again.stop()
    finally:  # when the test fails, it leaves no orphan behind either
        for w in workers:
            if alive(w):
                os.kill(w, signal.SIGKILL)
        srv.stop()


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[LiveServer]:
    srv = LiveServer(tmp_path)
    srv.start()
    yield srv
    srv.stop()


def test_a_client_that_disconnects_mid_body_is_an_info_line(own_server: LiveServer) -> None:
    with socket.create_connection(("127.0.0.1", own_server.port)) as conn:
        conn.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: 1000\r\n\r\nAction=GetCallerIdentity&Version=2011-06-15")
        time.sleep(0.2)  # the server is reading the body when the client goes
    assert wait_for(lambda: "client disconnected" in own_server.log())
    log = own_server.log()
    (line,) = [json.loads(x) for x in log.splitlines() if "client disconnected" in x]
    assert line["level"] == "info" and line["logger"] == "rolegate.server"
    assert "Traceback" not in log and '"level": "error"' not in log
