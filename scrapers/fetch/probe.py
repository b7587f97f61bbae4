"""Conditional GETs for confirming that pages have not changed (the unchanged night).

An unchanged night asks every page of every site once more, expecting 304s. The probe asks
each with the cache's validators through aiohttp, over kept-alive connections per origin, and
reads no more than the status: anything but a 304 ends the answer there (its connection is
closed, no body read) and the caller falls back to the polite client, which asks again and
handles redirects, retries, bodies and archiving as always. Robots.txt and the per-host rate
are the polite client's, checked before each probe. A target or header that cannot be sent
as it is (not ASCII, control characters) is left to the polite client too.

Every probe of a process runs on one event loop in a thread of its own (`probe_pages`):
sources are collected in threads that each run their own loop, and a thread woken for every
answer costs the interpreter lock and an epoll round each time.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import re
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import aiohttp
import yarl

from scrapers.fetch.crawl import origin_of

#: A kept-alive connection unused this long is closed (servers drop theirs after 5–60 s).
IDLE_SECONDS = 15.0
#: Connections per origin: as many as a source asks at once (`flows.unchanged.CONCURRENCY`).
CONNECTIONS_PER_HOST = 8


class ProbeError(Exception):
    """No well-formed answer: not HTTP/1.1, too long for a 304, or cut off."""


#: What may not appear in a request line or header value we send (CR, LF, NUL, controls).
_UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _check_sendable(target: str, headers: dict[str, str]) -> None:
    """ProbeError for a target or header that cannot be sent as is: aiohttp would encode it,
    and how to is the polite client's decision (it asks again, encoding or refusing it)."""
    if " " in target or _UNSAFE.search(target) or not target.isascii():
        raise ProbeError(f"cannot send the target {target!r} as is")
    for name, value in headers.items():
        if _UNSAFE.search(name + value) or ":" in name or not (name + value).isascii():
            raise ProbeError(f"cannot send the header {name!r} as is")


@dataclass
class _Origin:
    """One origin's session (its own connection pool, so the limit is per host), when it
    was last used, and how many requests are in flight on it."""

    session: aiohttp.ClientSession
    used: float = 0.0
    busy: int = 0


class ConditionalProbe:
    """`status = await probe.status(url, headers)`; `await probe.aclose()` at the end.
    `rewrite` maps origins to loopback servers as `RewriteTransport` does; no other is reached."""

    def __init__(self, *, user_agent: str, timeout: float, ssl_context: ssl.SSLContext | None,
                 rewrite: dict[str, str] | None = None, max_header_bytes: int = 64 * 1024):
        self.user_agent, self.timeout, self.ssl = user_agent, timeout, ssl_context
        self.rewrite = (None if rewrite is None
                        else {k.rstrip("/"): v.rstrip("/") for k, v in rewrite.items()})
        self.max_header_bytes = max_header_bytes
        self._origins: dict[str, _Origin] = {}

    async def status(self, url: str, headers: dict[str, str]) -> int:
        """The status code a conditional GET of `url` gets. Raises OSError, TimeoutError or
        ProbeError when no well-formed answer came within the timeout."""
        origin = origin_of(url)
        target = url[len(origin):] or "/"
        _check_sendable(target, headers)
        base = self._base(origin)
        held = self._origin(origin)
        held.busy += 1
        try:  # the session's total timeout: TimeoutError
            return await self._ask(held.session, base + target, headers)
        finally:
            held.busy -= 1
            held.used = time.monotonic()

    @staticmethod
    async def _ask(session: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> int:
        try:
            async with session.get(yarl.URL(url, encoded=True), headers=headers,
                                   allow_redirects=False) as response:
                if response.status != 304:
                    response.close()  # its body is not read: the connection goes
                return response.status
        except aiohttp.ServerDisconnectedError as exc:
            raise ProbeError("connection closed before the answer ended") from exc
        except aiohttp.ClientResponseError as exc:  # what the parser refused
            if "Got more than" in exc.message:  # aiohttp's LineTooLong, past max_header_bytes
                raise ProbeError(f"answer too long for a 304: {exc}") from exc
            raise ProbeError(f"malformed answer: {exc}") from exc

    def _base(self, origin: str) -> str:
        """Where requests for `origin` go: itself, or its base in the rewrite map."""
        if self.rewrite is None:
            return origin
        if origin not in self.rewrite:  # as RewriteTransport: never the real site
            raise ConnectionRefusedError(f"no route to {origin} (not in the rewrite map)")
        return self.rewrite[origin]

    def _origin(self, origin: str) -> _Origin:
        if (held := self._origins.get(origin)) is None:
            connector = aiohttp.TCPConnector(
                limit=CONNECTIONS_PER_HOST, keepalive_timeout=IDLE_SECONDS,
                ssl=self.ssl if self.ssl is not None else True)
            session = aiohttp.ClientSession(
                connector=connector, auto_decompress=False,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                cookie_jar=aiohttp.DummyCookieJar(),  # a 304's cookies change nothing
                headers={"User-Agent": self.user_agent, "Accept-Language": "de,en;q=0.5",
                         "Accept-Encoding": "identity"},
                max_line_size=self.max_header_bytes, max_field_size=self.max_header_bytes,
                trust_env=self.rewrite is None)  # a proxy, as the polite client's
            held = self._origins[origin] = _Origin(session)
        return held

    async def close_idle(self, older_than: float = 0.0, urls: Sequence[str] | None = None
                         ) -> None:
        """Close the connections of origins unused for `older_than` seconds or more (of the
        origins of `urls` only, when given); an origin with a request in flight keeps them."""
        now = time.monotonic()
        wanted = None if urls is None else {origin_of(url) for url in urls}
        for origin, held in list(self._origins.items()):
            if (wanted is None or origin in wanted) and not held.busy \
                    and now - held.used >= older_than:
                del self._origins[origin]
                await held.session.close()

    async def aclose(self) -> None:
        origins, self._origins = self._origins, {}
        for held in origins.values():
            await held.session.close()



# ---------------------------------------------------------------------------------------------
# One loop per process for every probe
# ---------------------------------------------------------------------------------------------

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
        self.sweeper = self.loop.create_task(self._sweep())
        self.loop.run_forever()

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(IDLE_SECONDS / 3)
            for probe in list(self.probes.values()):
                await probe.close_idle(IDLE_SECONDS)

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
    """Close the idle probe connections to the origins of `urls`, whose client is done (a
    socket left open would outlive the run); None when this process has none."""
    shared = _LOOP
    if shared is None or shared.pid != os.getpid() or key not in shared.probes:
        return None
    return asyncio.run_coroutine_threadsafe(shared.probes[key].close_idle(0.0, urls),
                                            shared.loop)


def probe_pages(key: ProbeKey, jobs: Sequence[ProbeJob], *, chunk: int,
                ssl_context: ssl.SSLContext) -> concurrent.futures.Future[list[int | Exception]]:
    """The status (or OSError, TimeoutError, ProbeError) of each of `jobs`, asked `chunk` at a
    time on the probe loop up to the first non-304; from any thread, via `wrap_future`."""
    shared = _probe_loop(ssl_context)
    return asyncio.run_coroutine_threadsafe(_probe_in_chunks(shared, key, jobs, chunk),
                                            shared.loop)
