"""`scrapers.fetch.probe.ConditionalProbe` on the wire: what it sends, and what it makes of answers
that are not a plain 304 (a server on 127.0.0.1 that answers each request with the next of
its scripted replies)."""

import asyncio
import socket
import time

import pytest

from scrapers.fetch.probe import ConditionalProbe, ProbeError
from tests.socket_server import SocketServer

SITE = "https://www.beispiel-stadt.de"
NOT_MODIFIED = b'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n'


class ScriptedServer(SocketServer):
    """Answers the n-th request with `replies[n]` (bytes; None: no answer, the connection
    stays open), then closes the connection if the reply says so. Records what it got."""

    def __init__(self, replies: list[bytes | None], close_after: set[int] = frozenset()):
        self.replies, self.close_after = list(replies), close_after
        self.requests: list[bytes] = []
        super().__init__()

    def serve(self, conn: socket.socket) -> None:
        for head in self.request_heads(conn):
            n = len(self.requests)
            self.requests.append(head)
            reply = self.replies[n] if n < len(self.replies) else NOT_MODIFIED
            if reply is None:
                time.sleep(3)
                return
            conn.sendall(reply)
            if n in self.close_after:
                return


@pytest.fixture
def scripted():
    servers = []

    def make(replies, close_after=frozenset()) -> ScriptedServer:
        servers.append(ScriptedServer(replies, close_after))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


def _ask(base: str, paths: list[str], headers: dict[str, str] | None = None,
         timeout: float = 5) -> list[int | Exception]:
    """Each path asked in turn on one probe: its status, or the exception it raised."""
    async def run():
        probe = ConditionalProbe(user_agent="atlas-test/1", timeout=timeout, ssl_context=None,
                                 rewrite={SITE: base})
        out = []
        try:
            for path in paths:
                try:
                    out.append(await probe.status(f"{SITE}{path}",
                                                  headers or {"If-None-Match": '"x"'}))
                except (OSError, TimeoutError, ProbeError) as exc:
                    out.append(exc)
        finally:
            await probe.aclose()
        return out

    return asyncio.run(run())


def test_a_304_is_one_small_request_on_a_kept_alive_connection(scripted):
    server = scripted([NOT_MODIFIED, NOT_MODIFIED])
    assert _ask(server.base, ["/gruppen/a.html", "/gruppen/b.html?seite=2"]) == [304, 304]
    assert server.connections == 1
    first = server.requests[0].decode()
    assert first.startswith("GET /gruppen/a.html HTTP/1.1\r\n")
    assert "\r\nHost: 127.0.0.1:" in first and "\r\nUser-Agent: atlas-test/1\r\n" in first
    assert '\r\nIf-None-Match: "x"\r\n' in first and first.endswith("\r\n\r\n")
    assert server.requests[1].startswith(b"GET /gruppen/b.html?seite=2 HTTP/1.1\r\n")


def test_another_status_ends_the_answer_and_the_connection(scripted):
    body = b"neue Seite " * 20_000  # more than a head may be: only the head counts
    changed = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    server = scripted([changed, NOT_MODIFIED])
    assert _ask(server.base, ["/a.html", "/b.html"]) == [200, 304]
    assert server.connections == 2  # the body was never read: that connection was closed


def test_an_informational_answer_before_the_304_is_passed_over(scripted):
    server = scripted([b"HTTP/1.1 100 Continue\r\n\r\n" + NOT_MODIFIED])
    assert _ask(server.base, ["/a.html"]) == [304]


def test_connection_close_is_honoured(scripted):
    closing = b'HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n'
    server = scripted([closing, NOT_MODIFIED], close_after={0})
    assert _ask(server.base, ["/a.html", "/b.html"]) == [304, 304]
    assert server.connections == 2


@pytest.mark.parametrize("reply, message", [
    (b"HTPT/1.1 304 Not Modified\r\n\r\n", "malformed answer"),
    (b"HTTP/1.1 304 Not Modified\r\nETag: " + b"x" * 70_000 + b"\r\n\r\n", "too long"),
    (b"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n", "closed before the answer ended"),
])
def test_a_broken_answer_is_a_probe_error(scripted, reply, message):
    """A connection closed mid-answer is asked once more (RFC 9112 9.3.1), so the server
    breaks every answer."""
    server = scripted([reply, reply], close_after={0, 1})
    [answer] = _ask(server.base, ["/a.html"])
    assert isinstance(answer, ProbeError) and message in str(answer)
    assert len(server.requests) <= 2


def test_no_answer_within_the_timeout_is_a_timeout(scripted):
    server = scripted([None])
    start = time.monotonic()
    [answer] = _ask(server.base, ["/a.html"], timeout=0.3)
    assert isinstance(answer, TimeoutError)
    assert 0.25 < time.monotonic() - start < 2


@pytest.mark.parametrize("path, headers", [
    ("/a.html\r\nX-Injected: 1", None),
    ("/seite mit leerzeichen.html", None),
    ("/grüße.html", None),
    ("/a.html", {"If-None-Match": '"x"\r\nX-Injected: 1'}),
    ("/a.html", {"If-Modified-Since": "Mo, 1 Jän 2026"}),
])
def test_what_cannot_be_sent_as_is_is_refused_unsent(scripted, path, headers):
    """The polite client (httpx) then asks, encoding or refusing it its own way."""
    server = scripted([NOT_MODIFIED])
    [answer] = _ask(server.base, [path], headers)
    assert isinstance(answer, ProbeError)
    assert server.requests == [] and server.connections == 0
