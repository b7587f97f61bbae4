"""The probe's one loop per process (`scrapers.fetch.probe.probe_pages`) behind
`PoliteClient.revalidate_many`: sources in threads with loops of their own ask their pages on
one shared loop, over shared kept-alive connections, in chunks that stop at the first page
that did not answer 304. Against a small keep-alive server on 127.0.0.1 that counts its
connections."""

import asyncio
import socket
import threading
import time

import httpx
import pytest

from scrapers.fetch.cache import ConditionalCache
from scrapers.fetch.http import ClientSettings, PoliteClient
from scrapers.fetch.probe import ConditionalProbe, probe_pages
from scrapers.fetch.transport import RewriteTransport
from tests.socket_server import SocketServer

SITE = "https://www.beispiel-stadt.de"


class KeepAliveServer(SocketServer):
    """HTTP/1.1 with keep-alive: 304 for every path but those in `changed` (200 with a body);
    counts connections and records the paths asked, in order."""

    def __init__(self, changed: set[str] = frozenset()):
        self.changed = changed
        self.closed = 0
        self.paths: list[str] = []
        super().__init__()

    def serve(self, conn: socket.socket) -> None:
        for head in self.request_heads(conn):
            path = head.split(b" ", 2)[1].decode()
            self.paths.append(path)
            if path in self.changed:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag: \"neu\"\r\n"
                             b"\r\nneu!!")
            else:
                conn.sendall(b"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n")
        self.closed += 1


@pytest.fixture
def server():
    servers = []

    def make(changed: set[str] = frozenset()) -> KeepAliveServer:
        servers.append(KeepAliveServer(changed))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


def _cache(tmp_path, urls: list[str], *, validators: bool = True) -> ConditionalCache:
    cache = ConditionalCache(tmp_path / "cache")
    headers = {"etag": '"x"'} if validators else {}
    for url in urls:
        cache.store(url, httpx.Response(200, headers=headers), f"Seite {url}".encode())
    return cache


def _client(base: str, cache: ConditionalCache, rate: float | None = None) -> PoliteClient:
    settings = ClientSettings(rate_per_host=rate, respect_robots=False)
    return PoliteClient(settings, transport=RewriteTransport({SITE: base}), cache=cache)


def _in_own_thread(coroutine_function) -> object:
    """Run a coroutine function in a new thread with its own event loop, as a collecting
    thread does; its result."""
    out = {}
    thread = threading.Thread(target=lambda: out.setdefault("r", asyncio.run(
        coroutine_function())))
    thread.start()
    thread.join(30)
    return out["r"]


def test_sources_in_threads_of_their_own_ask_on_one_probe_loop(server, tmp_path):
    """Each collecting thread runs its own loop; their probes all run on the one probe loop
    of the process (its thread, its loop), never on the caller's."""
    site = server()
    seen = []

    def source(n: int):
        async def run():
            async def slot() -> None:  # what a host gate's wait does, on the probe loop
                seen.append((n, threading.current_thread().name,
                             id(asyncio.get_running_loop())))

            jobs = [(f"{SITE}/gruppen/{n}-{i}.html", {"If-None-Match": '"x"'}, slot)
                    for i in range(3)]
            statuses = await asyncio.wrap_future(probe_pages(
                ("t", 5.0, ((SITE, site.base),)), jobs, chunk=2, ssl_context=None))
            return statuses, id(asyncio.get_running_loop())
        return run

    (first, first_loop), (second, second_loop) = (_in_own_thread(source(n)) for n in (1, 2))
    assert first == second == [304] * 3
    assert {(thread, loop) for _n, thread, loop in seen} == {("probe-loop", seen[0][2])}
    assert seen[0][2] not in (first_loop, second_loop)
    assert [n for n, _thread, _loop in seen] == [1] * 3 + [2] * 3


def test_a_client_closes_its_probe_connections_when_it_is_done(server, tmp_path):
    site = server()
    urls = [f"{SITE}/gruppen/{i}.html" for i in range(6)]

    async def run():
        async with _client(site.base, _cache(tmp_path, urls)) as client:
            answers = await client.revalidate_many(urls, chunk=3)
            open_before = site.connections - site.closed
        return answers, client.stats.requests, client.stats.not_modified, open_before

    answers, requests, not_modified, open_before = _in_own_thread(run)
    assert [status for status, _ in answers] == [304] * 6
    assert (requests, not_modified) == (6, 6)
    assert open_before == 3  # three asked at once, kept alive for the next three
    deadline = time.monotonic() + 5
    while site.closed < site.connections and time.monotonic() < deadline:
        time.sleep(0.01)
    assert site.closed == site.connections == 3


def test_a_page_that_changed_stops_the_asking_after_its_chunk(server, tmp_path):
    site = server(changed={"/gruppen/2.html"})
    urls = [f"{SITE}/gruppen/{i}.html" for i in range(6)]
    cache = _cache(tmp_path, urls)

    async def run():
        async with _client(site.base, cache) as client:
            answers = await client.revalidate_many(urls, chunk=2)
            served = await client.get(urls[0])  # confirmed a moment ago: not asked again
            return answers, served, client.stats.requests

    answers, served, requests = _in_own_thread(run)
    assert [status for status, _ in answers] == [304, 304, 200, 304]
    assert [digest is None for _, digest in answers] == [False, False, True, False]
    assert answers[0][1] == cache.digest(urls[0])
    assert sorted(site.paths) == [f"/gruppen/{i}.html" for i in range(4)]
    assert served.not_modified and served.content == f"Seite {urls[0]}".encode()
    assert requests == 4


def test_a_page_without_validators_is_left_to_revalidate(server, tmp_path):
    site = server()
    urls = [f"{SITE}/gruppen/{i}.html" for i in range(3)]
    cache = _cache(tmp_path, urls[:2])
    cache.store(urls[2], httpx.Response(200), b"ohne ETag")

    async def run():
        async with _client(site.base, cache) as client:
            return await client.revalidate_many(urls, chunk=8)

    assert _in_own_thread(run) is None
    assert site.paths == []


def test_the_host_gate_spaces_probes_of_sources_sharing_a_host(server, tmp_path):
    """Two sources on one host, in two threads: their probes wait at the one host gate, so
    together they keep the host's rate."""
    site = server()
    urls = [f"{SITE}/gruppen/{i}.html" for i in range(8)]
    rate = 20.0
    stamps: list[float] = []

    def source(part: list[str]):
        async def run():
            async with _client(site.base, _cache(tmp_path, urls), rate=rate) as client:
                answers = await client.revalidate_many(part, chunk=4)
                stamps.append(time.monotonic())
                return answers
        return run

    start = time.monotonic()
    threads = [threading.Thread(target=lambda p=p: asyncio.run(source(p)())) for p in
               (urls[:4], urls[4:])]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(site.paths) == sorted(f"/gruppen/{i}.html" for i in range(8))
    # eight slots 1/rate apart: the last answer came no sooner than 7 intervals after the first
    assert max(stamps) - start >= 7 / rate * 0.9


def test_idle_connections_are_closed_after_their_time(server):
    site = server()

    async def run() -> list[int]:
        probe = ConditionalProbe(user_agent="t", timeout=5, ssl_context=None,
                                 rewrite={SITE: site.base})
        try:
            counts = []
            for older_than in (60.0, 0.0):
                await probe.status(f"{SITE}/a.html", {"If-None-Match": '"x"'})
                await probe.status(f"{SITE}/b.html", {"If-None-Match": '"x"'})
                await probe.close_idle(older_than)  # a minute: kept; none: closed
                counts.append(site.connections)
            await probe.status(f"{SITE}/c.html", {"If-None-Match": '"x"'})
            counts.append(site.connections)
            return counts
        finally:
            await probe.aclose()

    assert asyncio.run(run()) == [1, 1, 2]
