"""`python -m tools.snapshot`: build the bundled offline snapshot. Each fixture site is served on
127.0.0.1 and captured exactly as `shg capture` records a live site, with the source's real
origin rewritten to the local server, so the WARC holds the real URLs and `shg run --replay
snapshots` needs no network at all. A failed capture leaves the previous snapshot in place, and
so does a capture whose responses are those of the previous snapshot: an unchanged fixture site
leaves its archive byte for byte as it was (a new one differs in every record id and date)."""

import argparse
import asyncio
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from flows.capture import capture
from schema.registry import Registry, load_registry
from scrapers.fetch.warc import WarcReplayTransport
from tools.site_server import serve_directory

#: Response headers that change with the moment or the checkout, not with the page.
_VOLATILE_HEADERS = {"date", "last-modified", "server"}


@dataclass(frozen=True)
class Built:
    responses: int
    changed: bool


async def replayed(warc: Path) -> dict[str, tuple[int, list[tuple[str, str]], bytes]]:
    """URL -> (status, headers, body) as a replay of `warc` serves it, without the headers
    that change from one build to the next."""
    transport = WarcReplayTransport(warc)
    async with httpx.AsyncClient(transport=transport) as client:
        out = {}
        for url in transport.urls():
            response = await client.get(url)
            headers = [(k.lower(), v) for k, v in response.headers.multi_items()
                       if k.lower() not in _VOLATILE_HEADERS]
            out[url] = (response.status_code, headers, response.content)
        return out


async def build_snapshots(registry: Registry, fixtures: Path, out: Path,
                          only: list[str] | None = None) -> dict[Path, Built]:
    """Snapshot WARC -> responses recorded and whether the file changed, for each html source
    with a fixture site."""
    written = {}
    out.mkdir(parents=True, exist_ok=True)
    for source in registry.sources:
        site = fixtures / source.id
        if source.kind != "html" or not site.is_dir() or (only and source.id not in only):
            continue
        origins = {f"{p.scheme}://{p.netloc}" for p in map(urlsplit, source.start_urls)}
        with tempfile.TemporaryDirectory(dir=out, prefix=".build-") as tmp:
            with serve_directory(site) as (base, seen):
                fresh, _ = await capture(source, Path(tmp), rewrite=dict.fromkeys(origins, base),
                                         rate=1000.0)
            target = out / fresh.name
            changed = not target.is_file() or await _differ(target, fresh)
            if changed:
                fresh.replace(target)
        written[target] = Built(len(seen), changed)
    return written


async def _differ(old: Path, new: Path) -> bool:
    try:
        before = await replayed(old)
    except Exception:  # an unreadable old archive is replaced, whatever it held
        return True
    return before != await replayed(new)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.snapshot",
                                     description="rebuild snapshots/ from the fixture sites")
    parser.add_argument("--registry", default="sources.toml", help="source registry file")
    parser.add_argument("--fixtures", default="tests/fixtures")
    parser.add_argument("--out", default="snapshots")
    parser.add_argument("--source", action="append", metavar="ID", help="only this source")
    args = parser.parse_args(argv)
    registry = load_registry(args.registry)
    written = asyncio.run(build_snapshots(registry, Path(args.fixtures), Path(args.out),
                                          args.source))
    for path, built in written.items():
        print(f"{path}: {built.responses} responses"
              + ("" if built.changed else ", the same as before: kept unchanged"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
