"""Bounded requests and connections (issue 10, item 2), against a real server on loopback with small limits.

Slow heads and bodies are answered 408 and closed, oversized request lines 414, oversized or too many headers
431, the connections beyond the cap 503 at once, idle keep-alive connections closed; a valid client is served
throughout. Before, uvicorn held a head that never finished for ever, buffered a header that never ended, and
let slow connections take every file descriptor. Each test is bounded: a few sockets, a few seconds.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.live import LiveServer

LIMITS = {"ROLEGATE_MAX_CONNECTIONS": "8", "ROLEGATE_HEADER_TIMEOUT_SECONDS": "1",
          "ROLEGATE_BODY_TIMEOUT_SECONDS": "1", "ROLEGATE_KEEP_ALIVE_SECONDS": "1",
          "ROLEGATE_MAX_HEADER_BYTES": "4096", "ROLEGATE_MAX_HEADERS": "20",
          "ROLEGATE_MAX_REQUEST_LINE_BYTES": "1024"}
WAIT = 5.0  # the most any test waits for one answer: the limits above are 1 s


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    srv = LiveServer(tmp_path_factory.mktemp("limits"), env=LIMITS)
    srv.start()
    yield srv
    srv.stop()


def _connect(srv: LiveServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=WAIT)
    return sock


def _answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (bounded by ``WAIT`` per read)."""
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _healthy(srv: LiveServer) -> bool:
    return httpx.get(srv.url + "/healthz", timeout=WAIT).text == "ok"


def _idle(srv: LiveServer) -> None:
    """Wait until the server has let go of the previous test's connections (they count against the cap)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            if _healthy(srv):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)


def test_a_head_that_never_finishes_is_answered_408_and_closed(server: LiveServer) -> None:
    _idle(server)
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # and nothing more
        started = time.monotonic()
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert time.monotonic() - started < WAIT  # closed by the server, not by our read timeout


def test_a_connection_that_sends_nothing_is_closed(server: LiveServer) -> None:
    _idle(server)
    with _connect(server) as sock:
        assert _answer(sock).startswith(b"HTTP/1.1 408 ")


def test_a_body_that_never_finishes_is_answered_408_and_closed(server: LiveServer) -> None:
    _idle(server)
    with _connect(server) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: 100\r\n\r\nAction=")
        assert _answer(sock).startswith(b"HTTP/1.1 408 ")


def _rss_kib(srv: LiveServer) -> int:
    assert srv.proc is not None
    status = Path(f"/proc/{srv.proc.pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])


def test_an_endless_header_is_refused_431_at_the_limit_and_not_buffered(server: LiveServer) -> None:
    _idle(server)
    before = _rss_kib(server)
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Flood: ")
        first = True
        try:
            for _ in range(16 * 1024):  # 16 MiB of one header value, far past the 4 KiB limit
                sock.sendall(b"a" * 1024)
                if first:  # let the server read the first KiB on its own, as a slow flood would arrive
                    time.sleep(0.2)
                    first = False
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed on us: what it should do
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 431 ") or answer == b""  # 431, unless the reset beat our reading it
    assert _healthy(server)
    # Before, uvicorn kept the whole value: the server grew by more than the 16 MiB it was sent.
    assert _rss_kib(server) - before < 4096


def test_a_long_request_line_is_refused_414(server: LiveServer) -> None:
    _idle(server)
    with _connect(server) as sock:
        sock.sendall(b"GET /?" + b"a" * 2000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _answer(sock).startswith(b"HTTP/1.1 414 ")


def test_too_many_headers_are_refused_431(server: LiveServer) -> None:
    _idle(server)
    with _connect(server) as sock:
        headers = b"".join(b"X-%d: v\r\n" % i for i in range(30))
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
        assert _answer(sock).startswith(b"HTTP/1.1 431 ")


def test_requests_within_the_limits_are_served_and_an_idle_keep_alive_connection_is_closed(
        server: LiveServer) -> None:
    _idle(server)
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Ok: v\r\n" * 15 + b"\r\n")
        answer = _answer(sock)  # the answer, then the close after the 1 s keep-alive
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"ok")


def test_connections_beyond_the_cap_are_refused_at_once_and_the_rest_still_served(server: LiveServer) -> None:
    _idle(server)
    held = [_connect(server) for _ in range(8)]  # the cap, held by clients that send nothing
    try:
        for sock in held:  # each is accepted and waits; none of them has been answered
            sock.setblocking(False)
            with pytest.raises(BlockingIOError):
                sock.recv(1)
            sock.settimeout(WAIT)
        with _connect(server) as extra:
            assert _answer(extra).startswith(b"HTTP/1.1 503 ")  # at once, without sending a byte
    finally:
        for sock in held:
            sock.close()
    _idle(server)
    assert _healthy(server)


def test_slow_connections_past_the_cap_do_not_lock_out_valid_clients_for_long(server: LiveServer) -> None:
    _idle(server)
    slow = []
    for _ in range(20):  # more than the cap: the excess is refused, the rest time out
        sock = _connect(server)
        try:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        except OSError:
            pass
        slow.append(sock)
    try:
        # Within the header timeout and a margin, a valid client is served again.
        deadline = time.monotonic() + WAIT
        served = False
        while time.monotonic() < deadline and not served:
            try:
                served = _healthy(server)
            except httpx.HTTPError:
                time.sleep(0.1)
        assert served
    finally:
        for sock in slow:
            sock.close()


def test_a_slowloris_past_the_soft_file_limit_does_not_lock_out_valid_clients(tmp_path: Path) -> None:
    """The issue's slowloris, scaled down: more slow connections than the process's soft open-file limit (256,
    like the 1,024 most systems start a process with) but fewer than the connection cap (1,024 by default).
    Before, the slow connections took every descriptor: accept() failed with EMFILE ("Too many open files" in
    the log) and a valid client waited in the listen queue until the slow ones timed out, while nothing else in
    the process could open a file. Now the soft limit is raised to fit the cap (the hard limit allows it), so
    the slow connections are held and a valid client is served at once, long before their header timeout."""
    srv = LiveServer(tmp_path, env={"ROLEGATE_HEADER_TIMEOUT_SECONDS": "5"}, open_files=(256, 4096))
    srv.start()
    slow = []
    try:
        opened = time.monotonic()
        for _ in range(300):
            sock = socket.create_connection(("127.0.0.1", srv.port), timeout=WAIT)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            slow.append(sock)
        assert httpx.get(srv.url + "/healthz", timeout=2).text == "ok"
        assert time.monotonic() - opened < 5, "answered only after the slow connections timed out"
        assert "Too many open files" not in srv.log()
    finally:
        for sock in slow:
            sock.close()
        srv.stop()


def test_the_cap_is_fitted_under_a_hard_open_file_limit_it_cannot_raise(tmp_path: Path) -> None:
    """Where the hard limit is below the cap, the cap is lowered to leave descriptors for the store and the log,
    with one warning; the slow connections past it are answered 503 at once instead of waiting unanswered."""
    srv = LiveServer(tmp_path, env={"ROLEGATE_HEADER_TIMEOUT_SECONDS": "3"}, open_files=(512, 512))
    srv.start()
    slow = []
    try:
        for _ in range(600):
            sock = socket.create_connection(("127.0.0.1", srv.port), timeout=WAIT)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            slow.append(sock)
        refused = 0
        deadline = time.monotonic() + 1.5  # well within the 3 s header timeout
        for sock in slow:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                refused += sock.recv(64).startswith(b"HTTP/1.1 503 ")
            except OSError:
                pass
        assert refused >= 600 - 512, f"only {refused} of the connections past the cap were refused at once"
        assert "connection cap lowered to fit the open-file limit" in srv.log()
    finally:
        for sock in slow:
            sock.close()
        srv.stop()


def test_the_cap_is_a_setting_with_a_safe_default(tmp_path: Path) -> None:
    from rolegate.server.config import load_settings
    from rolegate.server.limits import ConnectionLimits

    limits = ConnectionLimits.from_settings(load_settings(data_dir=tmp_path))
    assert limits == ConnectionLimits()
    assert limits.max_connections <= 1024 and limits.header_timeout_seconds <= 10
