"""Conditional GETs as cheap as HTTP allows, for confirming that pages have not changed.

An unchanged night asks every page of every site once more, expecting 304s: at Germany scale
100,000 requests whose answers carry nothing. Through httpx each costs 0.6–1 ms of CPU, more
than the 10 % of a full night the whole check may take.

So the probe does only that: one GET with the cache's validators, keep-alive connections per
origin, and the status of the answer. Anything but a 304 ends the answer there (the
connection is closed, no body read) and the caller falls back to the polite client, which
asks again and handles redirects, retries, bodies and archiving as always. Robots.txt and the
per-host rate are the polite client's, checked before each probe. A target or header that
cannot be sent as it is (not ASCII, control characters) is left to the polite client too.

A connection is an asyncio protocol whose answers llhttp (httptools, the parser uvicorn uses)
parses as they arrive, waking the waiting probe once: a 304 costs about 70 µs of CPU, half of
h11 over asyncio streams and a fifth of httpx.

Every probe of a process runs on one event loop in a thread of its own (`probe_pages`).
Sources are collected in threads that each run their own loop, and a 304 asked from 32 such
loops costs 2–3 times the CPU of the same 304 asked from one: each wake-up of a thread pays
for the interpreter lock and an epoll round of its own.

Not used behind a proxy (HTTP(S)_PROXY set): the polite client knows proxies, the probe not.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import re
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlsplit

import httptools

_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                    "all_proxy")


def usable() -> bool:
    """False when requests must go through a proxy the probe does not speak."""
    return not any(os.environ.get(v) for v in _PROXY_VARIABLES)


class ProbeError(Exception):
    """The answer was not well-formed HTTP/1.1 (or too long for a 304)."""


class _Stale(Exception):
    """A kept-alive connection closed before any answer: ask again on a new one."""


#: What may not appear in a request line or header value we send (CR, LF, NUL, controls).
_UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class _Connection(asyncio.Protocol):
    """One kept-alive connection: a request written, its answer parsed by llhttp (httptools)
    as it arrives, and the waiting probe woken once, from the callback, with (status,
    reusable). No stream reader and no per-event objects: a 304 is a few hundred bytes."""

    def __init__(self, max_header_bytes: int):
        self.max_header_bytes = max_header_bytes
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future | None = None
        self.seen = 0  # bytes of the current answer
        self.lost = False

    # -- asyncio.Protocol
    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        waiter = self.waiter
        if waiter is None or waiter.done():  # nothing was asked: the connection is unusable
            self.close()
            return
        allowed = self.max_header_bytes - self.seen  # a 304 is all head, and heads are short
        self.seen += len(data)
        try:
            self.parser.feed_data(data[:allowed] if len(data) > allowed else data)
        except httptools.HttpParserError as exc:
            self._answer(ProbeError(f"malformed answer: {exc}"))
            return
        if len(data) > allowed and not waiter.done():
            self._answer(ProbeError("answer too long for a 304"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.seen == 0:
            self._answer(_Stale())
        else:
            self._answer(ProbeError("connection closed before the answer ended"))

    # -- httptools callbacks
    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if status != 304 and status >= 200:
            self._answer((status, False))  # not read further: the connection goes

    def on_message_complete(self) -> None:
        if self.parser.get_status_code() == 304:
            self._answer((304, self.parser.should_keep_alive()))

    # --
    def _answer(self, result) -> None:
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        if isinstance(result, BaseException):
            waiter.set_exception(result)
        else:
            waiter.set_result(result)

    async def exchange(self, request: bytes) -> tuple[int, bool]:
        self.waiter = waiter = asyncio.get_running_loop().create_future()
        self.seen = 0
        self.transport.write(request)
        return await waiter

    def close(self) -> None:
        self.lost = True
        if self.transport is not None:
            self.transport.close()


class ConditionalProbe:
    """`status = await probe.status(url, headers)`; `await probe.aclose()` at the end.

    `rewrite` maps origins to other base URLs, as `scrapers.fetch.http.RewriteTransport` does (tests
    and benchmarks point real origins at loopback servers); with it, no other origin is
    reached."""

    def __init__(self, *, user_agent: str, timeout: float, ssl_context: ssl.SSLContext,
                 rewrite: dict[str, str] | None = None, max_header_bytes: int = 64 * 1024):
        self.user_agent, self.timeout, self.ssl = user_agent, timeout, ssl_context
        self.rewrite = (None if rewrite is None
                        else {k.rstrip("/"): v.rstrip("/") for k, v in rewrite.items()})
        self.max_header_bytes = max_header_bytes
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._idle_since: dict[_Connection, float] = {}
        self._routes: dict[tuple[str, str], tuple[str, str, int, str]] = {}
        self._heads: dict[tuple[str, str, int], bytes] = {}  # the fixed header lines

    async def status(self, url: str, headers: dict[str, str]) -> int:
        """The status code a conditional GET of `url` gets. Raises OSError, TimeoutError or
        ProbeError when no well-formed answer came within the timeout."""
        async with asyncio.timeout(self.timeout):  # no extra task, unlike wait_for
            return await self._ask(url, headers)

    async def _ask(self, url: str, headers: dict[str, str]) -> int:
        scheme, host, port, target = self._route(url)
        key = (scheme, host, port)
        request = self._request(key, target, headers)
        idle = self._idle.setdefault(key, [])
        while idle:  # a kept-alive connection the server may have closed meanwhile
            conn = idle.pop()
            self._idle_since.pop(conn, None)
            if conn.lost:
                continue
            try:
                status, reusable = await conn.exchange(request)
                break
            except _Stale:
                conn.close()
            except BaseException:
                conn.close()
                raise
        else:
            conn = await self._connect(scheme, host, port)
            try:
                status, reusable = await conn.exchange(request)
            except BaseException:
                conn.close()
                raise
        if reusable and not conn.lost:
            idle.append(conn)
            self._idle_since[conn] = time.monotonic()
        else:
            conn.close()
        return status

    def _route(self, url: str) -> tuple[str, str, int, str]:
        parts = urlsplit(url)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        route = self._routes.get((parts.scheme, parts.netloc))
        if route is None:
            route = self._routes[parts.scheme, parts.netloc] = self._origin_route(
                f"{parts.scheme}://{parts.netloc}")
        scheme, host, port, prefix = route
        return scheme, host, port, prefix + path

    def _origin_route(self, origin: str) -> tuple[str, str, int, str]:
        """Where requests for an origin go: scheme, host, port and a path prefix."""
        parts, prefix = urlsplit(origin), ""
        if self.rewrite is not None:
            if origin not in self.rewrite:  # as RewriteTransport: never the real site
                raise ConnectionRefusedError(f"no route to {origin} (not in the rewrite map)")
            parts = urlsplit(self.rewrite[origin])
            prefix = parts.path.rstrip("/")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return parts.scheme, parts.hostname or "", port, prefix

    async def _connect(self, scheme: str, host: str, port: int) -> _Connection:
        context = self.ssl if scheme == "https" else None
        _transport, conn = await asyncio.get_running_loop().create_connection(
            lambda: _Connection(self.max_header_bytes), host, port, ssl=context,
            server_hostname=host if context else None)
        return conn

    def _request(self, key: tuple[str, str, int], target: str, headers: dict[str, str]
                 ) -> bytes:
        """The request's bytes; ProbeError for a target or header that cannot be sent as is
        (the polite client then asks, and encodes or refuses it as httpx does)."""
        if (head := self._heads.get(key)) is None:
            scheme, host, port = key
            default = port == (443 if scheme == "https" else 80)
            head = self._heads[key] = self._header_lines(
                {"Host": host if default else f"{host}:{port}", "User-Agent": self.user_agent,
                 "Accept-Language": "de,en;q=0.5", "Accept-Encoding": "identity"})
        if " " in target or _UNSAFE.search(target) or not target.isascii():
            raise ProbeError(f"cannot send the target {target!r} as is")
        return b"".join((b"GET ", target.encode("ascii"), b" HTTP/1.1\r\n", head,
                         self._header_lines(headers), b"\r\n"))

    @staticmethod
    def _header_lines(headers: dict[str, str]) -> bytes:
        lines = []
        for name, value in headers.items():
            if _UNSAFE.search(name) or _UNSAFE.search(value) or ":" in name:
                raise ProbeError(f"cannot send the header {name!r} as is")
            lines.append(f"{name}: {value}\r\n")
        try:
            return "".join(lines).encode("ascii")
        except UnicodeEncodeError as exc:
            raise ProbeError(f"cannot send the headers as is: {exc}") from None

    def close_idle(self, older_than: float = 0.0, urls: Sequence[str] | None = None) -> None:
        """Close the kept-alive connections unused for `older_than` seconds or more (to the
        origins of `urls` only, when given)."""
        now = time.monotonic()
        routes = None
        if urls is not None:
            routes = set()
            for url in urls:
                with contextlib.suppress(ConnectionRefusedError):  # never routed: none open
                    routes.add(self._route(url)[:3])
        for key, connections in self._idle.items():
            if routes is not None and key not in routes:
                continue
            for conn in [c for c in connections if now - self._idle_since[c] >= older_than]:
                connections.remove(conn)
                del self._idle_since[conn]
                conn.close()

    async def aclose(self) -> None:
        self.close_idle()
        self._idle.clear()


# ---------------------------------------------------------------------------------------------
# One loop per process for every probe
# ---------------------------------------------------------------------------------------------

#: A kept-alive connection unused this long is closed (servers drop theirs after 5–60 s).
IDLE_SECONDS = 15.0

#: (user agent, timeout, rewrite map as sorted items or None): what makes probes alike.
ProbeKey = tuple[str, float, tuple[tuple[str, str], ...] | None]
#: One page to ask: URL, the cache's validators, and what to await first (the host's slot).
ProbeJob = tuple[str, dict[str, str], Callable[[], Awaitable[None]] | None]


class _ProbeLoop:
    """The process's probe loop and its probes, one per `ProbeKey`. A client closes its idle
    connections when it is done (`release`); any left are closed after `IDLE_SECONDS`."""

    def __init__(self, ssl_context: ssl.SSLContext):
        self.ssl = ssl_context
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.probes: dict[ProbeKey, ConditionalProbe] = {}
        threading.Thread(target=self._run, name="probe-loop", daemon=True).start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._sweep)
        self.loop.run_forever()

    def _sweep(self) -> None:
        for probe in self.probes.values():
            probe.close_idle(IDLE_SECONDS)
        self.loop.call_later(IDLE_SECONDS / 3, self._sweep)

    def probe(self, key: ProbeKey) -> ConditionalProbe:  # on the loop's thread only
        if (probe := self.probes.get(key)) is None:
            user_agent, timeout, rewrite = key
            probe = self.probes[key] = ConditionalProbe(
                user_agent=user_agent, timeout=timeout, ssl_context=self.ssl,
                rewrite=None if rewrite is None else dict(rewrite))
        return probe


_LOOP: _ProbeLoop | None = None
_LOOP_LOCK = threading.Lock()


def _probe_loop(ssl_context: ssl.SSLContext) -> _ProbeLoop:
    """The probe loop of this process (a forked child starts its own: threads do not fork)."""
    global _LOOP
    with _LOOP_LOCK:
        if _LOOP is None or _LOOP.pid != os.getpid():
            _LOOP = _ProbeLoop(ssl_context)
        return _LOOP


async def _probe_in_chunks(shared: _ProbeLoop, key: ProbeKey, jobs: Sequence[ProbeJob],
                           chunk: int) -> list[int | Exception]:
    probe = shared.probe(key)

    async def one(url: str, headers: dict[str, str], slot) -> int | Exception:
        if slot is not None:
            await slot()
        try:
            return await probe.status(url, headers)
        except (OSError, TimeoutError, ProbeError) as exc:
            return exc

    statuses: list[int | Exception] = []
    for start in range(0, len(jobs), chunk):
        answers = await asyncio.gather(*(one(*job) for job in jobs[start:start + chunk]))
        statuses += answers
        if any(status != 304 for status in answers):
            break
    return statuses


def release(key: ProbeKey, urls: Sequence[str]) -> concurrent.futures.Future[None] | None:
    """Close the probe loop's idle connections to the origins of `urls` (a client that asked
    them is done: a socket left open would outlive the run); None when there is nothing to
    close in this process."""
    shared = _LOOP
    if shared is None or shared.pid != os.getpid() or key not in shared.probes:
        return None

    async def close() -> None:
        shared.probes[key].close_idle(0.0, urls)

    return asyncio.run_coroutine_threadsafe(close(), shared.loop)


def probe_pages(key: ProbeKey, jobs: Sequence[ProbeJob], *, chunk: int,
                ssl_context: ssl.SSLContext) -> concurrent.futures.Future[list[int | Exception]]:
    """Ask `jobs` in order on the process's probe loop, `chunk` at a time, and stop after
    the first chunk with an answer that is not a 304. The future's result is the status of
    each page asked, or what kept it from a well-formed answer in time (OSError,
    TimeoutError, ProbeError); cancelling the future stops the asking. Callable
    from any thread: `await asyncio.wrap_future(probe_pages(...))`."""
    shared = _probe_loop(ssl_context)
    return asyncio.run_coroutine_threadsafe(_probe_in_chunks(shared, key, jobs, chunk),
                                            shared.loop)
