"""Every accepted connection has Nagle's algorithm off, however its listening socket was made.

With ``--workers`` uvicorn makes the listening socket itself, with protocol 0, and asyncio only sets
``TCP_NODELAY`` on sockets whose protocol is TCP: each small response then waited ~40 ms for the client's
delayed ACK (183 requests/s at 8 clients, against 3,310 once fixed: ``python -m bench.sts_bench --workers 2``).
"""

from __future__ import annotations

import asyncio
import socket

from rolegate.server.limits import _no_delay


def test_a_connection_accepted_on_a_protocol_zero_socket_gets_tcp_nodelay() -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # as uvicorn's multiprocess mode binds it
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    assert listener.proto == 0

    async def main() -> int:
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                _no_delay(transport)  # type: ignore[arg-type]
                seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        _, writer = await asyncio.open_connection(*listener.getsockname())
        result = await asyncio.wait_for(seen, 5)
        writer.close()
        server.close()
        return result

    assert asyncio.run(main()) == 1
