"""A byte pipe between network namespaces over a Unix socket (a path in the file system, which every namespace
sees): ``python -m tests.agent.bridge HOST:PORT SOCKET`` listens on TCP inside a namespace and forwards each
connection to SOCKET; ``UnixToTcp`` forwards SOCKET's connections to a TCP address outside."""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Callable

from tests.tcp_proxy import pipe


def serve(listener: socket.socket, connect: Callable[[], socket.socket]) -> None:
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        try:
            upstream = connect()
        except OSError:
            client.close()
            continue
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=pipe, args=(a, b), daemon=True).start()


class UnixToTcp:
    def __init__(self, path: str, target: tuple[str, int]) -> None:
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(64)
        threading.Thread(target=serve, args=(self.listener, lambda: socket.create_connection(target)),
                         daemon=True).start()

    def close(self) -> None:
        self.listener.close()


def _unix(path: str) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


if __name__ == "__main__":
    host, port = sys.argv[1].rsplit(":", 1)
    serve(socket.create_server((host, int(port))), lambda: _unix(sys.argv[2]))
