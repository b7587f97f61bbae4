"""A fixture web server on 127.0.0.1 that misbehaves on demand, for the fault-injection suite.

It serves a fixture site exactly like `tools.site_server` until a test switches on one `Fault`
for some paths: then those paths answer with an error status, stall, drip bytes, reset the
connection, send too much, redirect, or send a damaged page. Every request is logged with its
time, and every robots.txt served with its body, so tests can check politeness afterwards.
"""

from __future__ import annotations

import contextlib
import functools
import re
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from protego import Protego

from scrapers.fetch.http import USER_AGENT
from tools.site_server import FixtureHandler, serve_directory

#: What a fault does with one request: (handler, path, n-th request of that path) -> True if
#: it answered, False to serve the file as usual.
Answer = Callable[["FaultHandler", str, int], bool]


@dataclass(frozen=True)
class Fault:
    """One misbehaviour, applied to request paths that `paths` matches (a regex, searched)."""

    name: str
    answer: Answer
    paths: str = r"^/(?!robots\.txt$)"  # every path but robots.txt

    def applies(self, path: str) -> bool:
        return re.search(self.paths, path) is not None


@dataclass
class Hit:
    at: float  # time.monotonic()
    path: str


@dataclass
class FaultState:
    """What one server is doing now and has seen; shared by its handler threads."""

    fault: Fault | None = None
    log: list[Hit] = field(default_factory=list)
    robots_served: list[bytes] = field(default_factory=list)
    #: Set at teardown: stalled and dripping answers stop at once.
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self, fault: Fault | None = None) -> None:
        with self.lock:
            self.fault, self.log, self.robots_served = fault, [], []

    def snapshot(self) -> FaultState:
        """What was seen so far, kept apart from later requests."""
        with self.lock:
            return FaultState(fault=self.fault, log=list(self.log),
                              robots_served=list(self.robots_served))

    def paths(self) -> list[str]:
        return [h.path for h in self.log]

    def hits(self, path: str) -> list[float]:
        return [h.at for h in self.log if h.path == path]

    def forbidden_requests(self, origin: str) -> list[str]:
        """Paths requested that the robots.txt served (the last one) does not allow. With no
        robots.txt served, everything but robots.txt itself is forbidden: RFC 9309 says a
        crawler that cannot read it must not crawl."""
        return forbidden(self.paths(), self.robots_served, origin)


def forbidden(paths: list[str], robots_bodies: list[bytes], origin: str) -> list[str]:
    rules = (Protego.parse(robots_bodies[-1].decode("utf-8", "replace"))
             if robots_bodies else None)
    return [p for p in paths if p != "/robots.txt"
            and (rules is None or not rules.can_fetch(origin + p, USER_AGENT))]


class FaultHandler(FixtureHandler):
    state: FaultState

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        with self.state.lock:
            self.state.log.append(Hit(time.monotonic(), self.path))
            n = sum(1 for h in self.state.log if urlsplit(h.path).path == path)
            fault = self.state.fault
        try:
            if fault is not None and fault.applies(path) and fault.answer(self, path, n):
                return
            if path == "/robots.txt" and (file := self.file_for(path)) is not None:
                self.state.robots_served.append(file.read_bytes())
            super().do_GET()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should

    # -- building blocks for faults -------------------------------------------------------

    def file_for(self, path: str) -> Path | None:
        file = (self.root / unquote(path).lstrip("/")).resolve()
        if path.endswith("/"):
            file = file / "index.html"
        return file if file.is_relative_to(self.root.resolve()) and file.is_file() else None

    def send_head(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def send_body(self, body: bytes, content_type: str = "text/html") -> None:
        self.send_head(200, {"Content-Type": content_type, "Content-Length": str(len(body))})
        self.wfile.write(body)
        if self.path == "/robots.txt":
            self.state.robots_served.append(body)


# ---------------------------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------------------------


def status(code: int, *, retry_after: str | None = None, times: int | None = None) -> Answer:
    """Answer `code` (the first `times` requests of a path, or always)."""

    def answer(h: FaultHandler, _path: str, n: int) -> bool:
        if times is not None and n > times:
            return False
        h.send_head(code, {"Content-Length": "0"} | (
            {"Retry-After": retry_after} if retry_after is not None else {}))
        return True

    return answer


def redirect(origin: str = "", code: int = 302) -> Answer:
    """Send the request to the same path on `origin`; with no origin, to itself (a loop)."""

    def answer(h: FaultHandler, path: str, _n: int) -> bool:
        h.send_head(code, {"Location": origin + path, "Content-Length": "0"})
        return True

    return answer


def page(body: bytes) -> Answer:
    """The same page for every path (a parked domain)."""

    def answer(h: FaultHandler, _path: str, _n: int) -> bool:
        h.send_body(body)
        return True

    return answer


def stall(seconds: float) -> Answer:
    """Say nothing at all for `seconds` (a hung backend), then answer normally."""

    def answer(h: FaultHandler, _path: str, _n: int) -> bool:
        h.state.stop.wait(seconds)
        return False

    return answer


def drip(interval: float) -> Answer:
    """Headers at once, then the page one byte per `interval`: no read ever times out."""

    def answer(h: FaultHandler, path: str, _n: int) -> bool:
        body = _page(h, path)
        h.send_head(200, {"Content-Type": "text/html", "Content-Length": str(len(body))})
        for i in range(len(body)):
            if h.state.stop.wait(interval):
                break
            h.wfile.write(body[i:i + 1])
            h.wfile.flush()
        return True

    return answer


def reset() -> Answer:
    """Read the request, then abort the connection with a TCP RST instead of an answer."""

    def answer(h: FaultHandler, _path: str, _n: int) -> bool:
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.close_connection = True
        h.connection.close()
        return True

    return answer


def oversize(size: int, *, declared: bool) -> Answer:
    """A page of `size` bytes, with or without a Content-Length saying so."""

    def answer(h: FaultHandler, _path: str, _n: int) -> bool:
        head = {"Content-Type": "text/html"} | ({"Content-Length": str(size)} if declared else {})
        h.send_head(200, head)
        chunk = b"<p>" + b"x" * 65_530 + b"</p>\n"
        for _ in range(size // len(chunk) + 1):
            h.wfile.write(chunk)
        return True

    return answer


def gzip_bomb(inflated: int) -> Answer:
    """A few kilobytes of gzip that inflate to `inflated` bytes."""

    def answer(h: FaultHandler, _path: str, _n: int) -> bool:
        body = _bomb(inflated)
        h.send_head(200, {"Content-Type": "text/html", "Content-Encoding": "gzip",
                          "Content-Length": str(len(body))})
        h.wfile.write(body)
        return True

    return answer


def cut_off(share: float) -> Answer:
    """Promise the whole page in Content-Length, send `share` of it, hang up."""

    def answer(h: FaultHandler, path: str, _n: int) -> bool:
        body = _page(h, path)
        h.send_head(200, {"Content-Type": "text/html", "Content-Length": str(len(body))})
        h.wfile.write(body[:int(len(body) * share)])
        return True

    return answer


def rewrite(edit: Callable[[bytes], bytes], content_type: Callable[[bytes], str] | None = None
            ) -> Answer:
    """Serve the page changed by `edit`, well framed, with `content_type(original body)`."""

    def answer(h: FaultHandler, path: str, _n: int) -> bool:
        if h.file_for(path) is None:
            return False
        original = _page(h, path)
        h.send_body(edit(original),
                    content_type(original) if content_type else "text/html")
        return True

    return answer


def _page(h: FaultHandler, path: str) -> bytes:
    file = h.file_for(path)
    if file is None:
        raise FileNotFoundError(path)
    return file.read_bytes()


@functools.cache
def _bomb(inflated: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    zeros = bytes(1 << 20)
    parts = [packer.compress(zeros) for _ in range(inflated >> 20)]
    return b"".join(parts) + packer.flush()


# ---------------------------------------------------------------------------------------------
# Serving
# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def serve_faulty(root: Path) -> Iterator[tuple[str, FaultState]]:
    """Serve `root` on a free loopback port; yields (base URL, the state to switch faults on)."""
    state = FaultState()
    handler = type("BoundFaultHandler", (FaultHandler,), {"state": state})
    with serve_directory(root, handler) as (base, _seen):
        try:
            yield base, state
        finally:
            state.stop.set()
