"""A bare TCP server on 127.0.0.1 for tests that need to see the wire: how many connections
a client opened and what exactly it sent. Subclasses answer one connection in `serve`."""

import contextlib
import socket
import threading
from collections.abc import Iterator


class SocketServer:
    def __init__(self) -> None:
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.base = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _addr = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):  # a client may hang up on what it need not read
            self.serve(conn)

    def serve(self, conn: socket.socket) -> None:
        raise NotImplementedError

    @staticmethod
    def request_heads(conn: socket.socket) -> Iterator[bytes]:
        """Each request's head (up to its blank line) as it comes, until the client closes."""
        buffer = b""
        while True:
            while b"\r\n\r\n" not in buffer:
                data = conn.recv(65536)
                if not data:
                    return
                buffer += data
            head, buffer = buffer.split(b"\r\n\r\n", 1)
            yield head + b"\r\n\r\n"

    def close(self) -> None:
        self.listener.close()
