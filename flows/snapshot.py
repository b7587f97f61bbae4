"""Build the bundled offline snapshot: each fixture site is served on 127.0.0.1 and crawled
by its real scraper through the real client, with the source's real origin rewritten to the
local server, so the WARC holds the real URLs and `shg run --replay snapshots` needs no
network at all."""

from pathlib import Path
from urllib.parse import urlsplit

from flows.fixture_site import serve_directory
from schema.registry import Registry
from scrapers.http import ClientSettings, PoliteClient, RewriteTransport
from scrapers.registry import scraper_class
from scrapers.warc import WarcArchive


async def build_snapshots(registry: Registry, fixtures: Path, out: Path) -> dict[Path, int]:
    written = {}
    for source in registry.sources:
        site = fixtures / source.id
        if source.kind != "html" or not site.is_dir():
            continue
        out.mkdir(parents=True, exist_ok=True)
        target = out / f"{source.id}.warc.gz"
        target.unlink(missing_ok=True)
        origins = {f"{p.scheme}://{p.netloc}" for p in map(urlsplit, source.start_urls)}
        archive = WarcArchive(target)
        try:
            with serve_directory(site) as (base, _seen):
                transport = RewriteTransport(dict.fromkeys(origins, base))
                settings = ClientSettings(rate_per_host=None)
                async with PoliteClient(settings, transport=transport, archive=archive) as c:
                    scraper = scraper_class(source.scraper or source.id)(source.start_urls)
                    await scraper.scrape(c)
        finally:
            archive.close()
        written[target] = archive.records
    return written
