"""Build the bundled offline snapshot: each fixture site is served on 127.0.0.1 and captured
exactly as `shg capture` records a live site, with the source's real origin rewritten to the
local server, so the WARC holds the real URLs and `shg run --replay snapshots` needs no
network at all. A failed capture leaves the previous snapshot in place, and so does a capture
whose responses are those of the previous snapshot: an unchanged fixture site leaves its
archive byte for byte as it was (a new one differs in every record id and date)."""

import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from flows.capture import capture
from flows.fixture_site import serve_directory
from schema.registry import Registry
from scrapers.fetch.warc import WarcReplayTransport

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
