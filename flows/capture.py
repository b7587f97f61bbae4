"""`shg capture SOURCE`: record a source's live pages into a WARC, politely, for maintainers.

The WARC replays with `shg run --replay DIR`; `extract_warc` lays its pages out as a fixture
folder (`tests/fixtures/<id>/<url path>`), so refreshing fixtures and fixing selectors after a
site redesign takes minutes on a networked machine.
"""

from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from schema.registry import Source
from scrapers.base import ScrapeResult
from scrapers.http import ClientSettings, PoliteClient, RewriteTransport
from scrapers.registry import scraper_class
from scrapers.warc import WarcArchive, WarcReplayTransport


async def capture(source: Source, out: Path, *, rewrite: dict[str, str] | None = None,
                  rate: float | None = None) -> tuple[Path, ScrapeResult]:
    """Crawl `source` live (or through `rewrite`) into `out/<id>.warc.gz`, replaced only when
    the crawl succeeded, so a failed capture never leaves a half-written snapshot behind."""
    if source.kind != "html":
        raise ValueError(f"{source.id}: only html sources are captured (kind {source.kind!r})")
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{source.id}.warc.gz"
    partial = out / f"{source.id}.warc.gz.partial"
    partial.unlink(missing_ok=True)
    archive = WarcArchive(partial)
    try:
        settings = ClientSettings(rate_per_host=rate or source.rate_per_second)
        transport = RewriteTransport(rewrite) if rewrite else None
        async with PoliteClient(settings, transport=transport, archive=archive) as client:
            result = await scraper_class(source.scraper or source.id)(source.start_urls) \
                .scrape(client)
    except BaseException:
        archive.close()
        partial.unlink(missing_ok=True)
        raise
    archive.close()
    partial.replace(target)
    return target, result


def fixture_path(folder: Path, url: str) -> Path:
    path = unquote(urlsplit(url).path) or "/"
    return folder / (path.lstrip("/") + ("index.html" if path.endswith("/") else ""))


async def extract_warc(warc: Path, folder: Path) -> list[Path]:
    """Write every archived page to `folder` by URL path, the layout fixture sites use."""
    replay = WarcReplayTransport(warc)
    written = []
    async with httpx.AsyncClient(transport=replay) as client:
        for url in replay.urls():
            response = await client.get(url)
            if response.status_code != 200:
                continue
            target = fixture_path(folder, url)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(response.content)
            written.append(target)
    return written
