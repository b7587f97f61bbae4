"""`python -m bench.probe [--sources 32] [--pages 300] [--rate 5]`: CPU per 304 of an
unchanged night's checks, next to its floor.

An unchanged night is mostly conditional GETs answered 304 (`flows.unchanged`). This bench
serves 304s from a loopback server in a process of its own (20–80 ms latency, like
`bench.server`) and asks `--pages` pages of each of `--sources` hosts at `--rate` per host:

- floor: a bare loop, one task per host, each sleeping to its slot and asking through one
  `scrapers.fetch.probe.ConditionalProbe`;
- path: what a night does, `PoliteClient.revalidate_many` from a thread (and event loop) per
  source, the probes on the process's shared probe loop.

CPU is this process's (every thread), the server's apart. Nothing is asserted on timings.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import resource
import tempfile
import threading
import time
from pathlib import Path

import httpx

from scrapers.fetch.cache import ConditionalCache
from scrapers.fetch.http import ClientSettings, PoliteClient
from scrapers.fetch.probe import ConditionalProbe
from scrapers.fetch.transport import RewriteTransport, shared_ssl_context

ANSWER = (b'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n'
          b"Date: Sun, 06 Dec 2026 20:00:00 GMT\r\n\r\n")


def serve(port_out, latency: tuple[float, float]) -> None:
    """In a child process: answer every request with a 304 after `latency` seconds."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                await asyncio.sleep(random.uniform(*latency))
                writer.write(ANSWER)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port_out.put(server.sockets[0].getsockname()[1])
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _hosts(sources: int) -> list[str]:
    return [f"https://www.stadt-{i}.example" for i in range(sources)]


def floor(base: str, sources: int, pages: int, rate: float) -> tuple[int, float]:
    """Probes answered and CPU seconds of the bare loop."""

    async def main() -> int:
        probe = ConditionalProbe(user_agent="bench", timeout=30, ssl_context=shared_ssl_context(),
                                 rewrite={h: base for h in _hosts(sources)})

        async def host(origin: str) -> int:
            slot, answered = time.monotonic(), 0
            for n in range(pages):
                slot += 1 / rate
                if (wait := slot - time.monotonic()) > 0:
                    await asyncio.sleep(wait)
                answered += await probe.status(f"{origin}/gruppen/{n}.html",
                                               {"If-None-Match": '"x"'}) == 304
            return answered

        try:
            return sum(await asyncio.gather(*(host(h) for h in _hosts(sources))))
        finally:
            await probe.aclose()

    start = _cpu()
    answered = asyncio.run(main())
    return answered, _cpu() - start


def path(base: str, sources: int, pages: int, rate: float, work: Path) -> tuple[int, float]:
    """Probes answered and CPU seconds of `revalidate_many` from a thread per source (the
    caches are filled before the clock starts)."""
    jobs = []
    for i, origin in enumerate(_hosts(sources)):
        urls = [f"{origin}/gruppen/{n}.html" for n in range(pages)]
        cache = ConditionalCache(work / str(i))
        for url in urls:
            cache.store(url, httpx.Response(200, headers={"etag": '"x"'}), url.encode())
        jobs.append((origin, urls, cache))
    answered: list[int] = []

    def source(origin: str, urls: list[str], cache: ConditionalCache) -> None:
        async def run() -> int:
            settings = ClientSettings(rate_per_host=rate, respect_robots=False)
            async with PoliteClient(settings, transport=RewriteTransport({origin: base}),
                                    cache=cache) as client:
                answers = await client.revalidate_many(urls, chunk=8) or []
                return sum(status == 304 for status, _digest in answers)

        answered.append(asyncio.run(run()))

    start = _cpu()
    threads = [threading.Thread(target=source, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(answered), _cpu() - start


def run_probe_bench(sources: int, pages: int, rate: float) -> dict:
    context = multiprocessing.get_context("spawn")
    port_out = context.Queue()
    server = context.Process(target=serve, args=(port_out, (0.02, 0.08)), daemon=True)
    server.start()
    try:
        base = f"http://127.0.0.1:{port_out.get(timeout=30)}"
        with tempfile.TemporaryDirectory() as work:
            path(base, 1, 2, 1000, Path(work) / "warm")  # imports, the SSL context, the loop
            floor_n, floor_cpu = floor(base, sources, pages, rate)
            path_n, path_cpu = path(base, sources, pages, rate, Path(work))
    finally:
        server.terminate()
        server.join(10)
    expected = sources * pages
    return {"sources": sources, "pages": pages, "rate": rate, "expected": expected,
            "floor": {"answered": floor_n, "cpu_s": round(floor_cpu, 3),
                      "us_per_probe": round(floor_cpu / max(floor_n, 1) * 1e6, 1)},
            "path": {"answered": path_n, "cpu_s": round(path_cpu, 3),
                     "us_per_probe": round(path_cpu / max(path_n, 1) * 1e6, 1)}}


def format_report(r: dict) -> str:
    f, p = r["floor"], r["path"]
    return "\n".join([
        f"probe bench: {r['sources']} hosts × {r['pages']} pages at {r['rate']:g}/s per host, "
        "304s after 20–80 ms",
        f"  floor (bare loop, one ConditionalProbe)   {f['us_per_probe']:>7.0f} µs per 304 "
        f"({f['answered']:,} answered, {f['cpu_s']:.2f} s CPU)",
        f"  night path (revalidate_many, threads)     {p['us_per_probe']:>7.0f} µs per 304 "
        f"({p['answered']:,} answered, {p['cpu_s']:.2f} s CPU)  "
        f"{p['us_per_probe'] / max(f['us_per_probe'], 1e-9):.2f}× the floor"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.probe", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=int, default=32)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--rate", type=float, default=5.0)
    args = parser.parse_args(argv)
    result = run_probe_bench(args.sources, args.pages, args.rate)
    print(format_report(result))
    ok = result["floor"]["answered"] == result["path"]["answered"] == result["expected"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
