"""Build the bundled offline snapshot: each fixture site is served on 127.0.0.1 and captured
exactly as `shg capture` records a live site, with the source's real origin rewritten to the
local server, so the WARC holds the real URLs and `shg run --replay snapshots` needs no
network at all. A failed capture leaves the previous snapshot in place."""

from pathlib import Path
from urllib.parse import urlsplit

from flows.capture import capture
from flows.fixture_site import serve_directory
from schema.registry import Registry


async def build_snapshots(registry: Registry, fixtures: Path, out: Path,
                          only: list[str] | None = None) -> dict[Path, int]:
    """Snapshot WARC -> responses recorded, for each html source with a fixture site."""
    written = {}
    for source in registry.sources:
        site = fixtures / source.id
        if source.kind != "html" or not site.is_dir() or (only and source.id not in only):
            continue
        origins = {f"{p.scheme}://{p.netloc}" for p in map(urlsplit, source.start_urls)}
        with serve_directory(site) as (base, seen):
            target, _ = await capture(source, out, rewrite=dict.fromkeys(origins, base),
                                      rate=1000.0)
        written[target] = len(seen)
    return written
