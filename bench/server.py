"""One loopback HTTP server for the whole synthetic Germany (`bench.germany`).

It routes by host: the `Host` header names the site, as on a real virtual-hosting server.
`scrapers.fetch.transport.RewriteTransport` replaces the Host header with the loopback address, so a
rewritten origin carries the site in a path prefix instead (`/_host/<host>/…`, see
`rewrite_map`). Every answer waits a deterministic latency (20–80 ms per page at the reference
rate of 5 requests a second, scaled with the rate), carries ETag and Last-Modified, and a
conditional GET that matches gets 304. Pages are rendered on demand from the seed.

asyncio rather than threads: thousands of requests wait out their latency at once, and the
server must stay cheap next to the crawler it serves on a 2-core machine.
`python -m bench.server` runs it in its own process (the crawl figure does); `serving` runs it
in a thread (tests).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import sys
import threading
from collections import Counter
from collections.abc import Iterator

from bench import germany

REFERENCE_RATE = 5.0
LATENCY_MS = (20, 80)
PREFIX = "/_host/"


def latency(host: str, path: str, rate: float) -> float:
    """Seconds to wait before answering: 20–80 ms at the reference rate, by a hash."""
    low, high = LATENCY_MS
    h = int.from_bytes(hashlib.blake2b(f"{host}{path}".encode(), digest_size=4).digest())
    return (low + h % (high - low + 1)) / 1000 * REFERENCE_RATE / rate


def rewrite_map(specs: list[germany.SiteSpec], base: str) -> dict[str, str]:
    """Origin -> loopback URL with the host as path prefix, for `RunContext.rewrite`."""
    return {s.origin: f"{base}{PREFIX}{s.host}" for s in specs}


class GermanyServer:
    def __init__(self, specs: list[germany.SiteSpec], seed: int, rate: float,
                 delay: bool = True):
        self.rate, self.delay = rate, delay
        self.models = {s.host: germany.SiteModel(s, seed) for s in specs}
        self.status: Counter[int] = Counter()
        self.by_host: Counter[str] = Counter()
        self.bytes = 0

    def route(self, target: str, host_header: str | None) -> tuple[str, str]:
        """(host, path) of a request: the path prefix wins, else the Host header."""
        path = target.split("?", 1)[0]
        if path.startswith(PREFIX):
            host, _, rest = path[len(PREFIX):].partition("/")
            return host, "/" + rest
        return (host_header or "").split(":")[0].lower(), path

    def answer(self, host: str, path: str, headers: dict[str, str]
               ) -> tuple[int, list[tuple[str, str]], bytes]:
        model = self.models.get(host)
        found = model.page(path, self.rate) if model else None
        self.by_host[host] += 1
        if found is None:
            return 404, [("Content-Type", "text/plain")], b"not found"
        content_type, body = found
        tag = germany.etag(body)
        validators = [("ETag", tag), ("Last-Modified", germany.MODIFIED)]
        match = headers.get("if-none-match")
        if match == tag or (match is None
                            and headers.get("if-modified-since") == germany.MODIFIED):
            return 304, validators, b""
        return 200, [("Content-Type", content_type), *validators], body

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, target, _version = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                host, path = self.route(target, headers.get("host"))
                if self.delay:
                    await asyncio.sleep(latency(host, path, self.rate))
                status, extra, body = self.answer(host, path, headers)
                self.status[status] += 1
                self.bytes += len(body)
                reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
                out = [f"HTTP/1.1 {status} {reason}", "Server: Apache",
                       f"Date: {germany.http_date()}", f"Content-Length: {len(body)}",
                       *(f"{k}: {v}" for k, v in extra)]
                writer.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1")
                             + (body if method != "HEAD" else b""))
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    return
        finally:
            writer.close()

    def stats(self) -> dict:
        return {"status": dict(self.status), "bytes": self.bytes,
                "requests": sum(self.status.values()), "hosts": len(self.by_host)}


@contextlib.contextmanager
def serving(specs: list[germany.SiteSpec], seed: int, rate: float, delay: bool = True
            ) -> Iterator[tuple[str, GermanyServer]]:
    """Run the server in a background thread; yields (base URL, server)."""
    server = GermanyServer(specs, seed, rate, delay)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict = {}

    async def main() -> None:
        holder["server"] = await asyncio.start_server(server.handle, "127.0.0.1", 0,
                                                      backlog=1024)
        started.set()
        async with holder["server"]:
            await holder["server"].serve_forever()

    thread = threading.Thread(target=lambda: loop.run_until_complete(_quiet(main())),
                              daemon=True)
    thread.start()
    started.wait(30)
    port = holder["server"].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        loop.call_soon_threadsafe(holder["server"].close)
        thread.join(10)


async def _quiet(coro) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        await coro


async def _serve_process(server: GermanyServer) -> None:
    """Print the port, serve until stdin closes, then print the stats as one JSON line."""
    srv = await asyncio.start_server(server.handle, "127.0.0.1", 0, backlog=4096)
    print(f"PORT {srv.sockets[0].getsockname()[1]}", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    srv.close()
    print(json.dumps(server.stats()), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.server")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sources", type=int, default=germany.SOURCES)
    parser.add_argument("--listings", type=int, default=germany.LISTINGS)
    parser.add_argument("--rate", type=float, default=REFERENCE_RATE)
    args = parser.parse_args(argv)
    specs = germany.plan(args.seed, args.sources, args.listings)
    asyncio.run(_serve_process(GermanyServer(specs, args.seed, args.rate)))


if __name__ == "__main__":
    main()
