"""Fetch URLs with the polite client in a process of its own, and print how each ended and how
far the process's peak RSS grew: a test of bounded memory needs a peak that is its own.

    python -m tests.bomb_client live BASE PATH...     # from a server (after a warm-up /)
    python -m tests.bomb_client replay WARC URL...    # from a WARC file

Prints one JSON object: URL or path -> {"error": class name, "message"} or {"bytes": n},
each with "rss_growth_mb" (peak RSS since the warm-up). The address space is capped, so a
decoder that holds a bomb whole dies with MemoryError instead of taking the machine.
"""

import asyncio
import json
import resource
import sys
from pathlib import Path

from scrapers.fetch.http import ClientSettings, PoliteClient
from scrapers.fetch.warc import WarcReplayTransport

#: Address space of this process: far above what bounded decoding needs, far below a bomb.
ADDRESS_SPACE = 3 << 30


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


async def _fetch(client: PoliteClient, urls: list[str], warmup: str | None) -> dict:
    if warmup is not None:
        await client.get(warmup)
    baseline, results = _peak_mb(), {}
    for url in urls:
        try:
            page = await client.get(url)
            result = {"bytes": len(page.content)}
        except Exception as exc:  # what ended the request is the result
            result = {"error": type(exc).__name__, "message": str(exc)}
        result["rss_growth_mb"] = round(_peak_mb() - baseline, 1)
        results[url] = result
        del result
    return results


async def main(mode: str, where: str, targets: list[str]) -> dict:
    settings = ClientSettings(rate_per_host=None, retries=0)
    if mode == "live":
        async with PoliteClient(settings) as client:
            return await _fetch(client, [where + t for t in targets], where + "/")
    transport = WarcReplayTransport(Path(where))
    async with PoliteClient(settings, transport=transport) as client:
        return await _fetch(client, targets, None)


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    print(json.dumps(asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3:]))))
