"""Build the bundled offline snapshot: each fixture site is served on 127.0.0.1 and crawled
by its real scraper through the real client, with the source's real origin rewritten to the
local server, so the WARC holds the real URLs and `shg run --replay snapshots` needs no
network at all."""

from pathlib import Path

from flows.fixture_site import crawl_fixture_site
from schema.registry import Registry
from scrapers.registry import scraper_class
from scrapers.warc import WarcArchive


async def build_snapshots(registry: Registry, fixtures: Path, out: Path,
                          only: list[str] | None = None) -> dict[Path, int]:
    written = {}
    for source in registry.sources:
        site = fixtures / source.id
        if source.kind != "html" or not site.is_dir() or (only and source.id not in only):
            continue
        out.mkdir(parents=True, exist_ok=True)
        target = out / f"{source.id}.warc.gz"
        target.unlink(missing_ok=True)
        archive = WarcArchive(target)
        try:
            scraper = scraper_class(source.scraper or source.id)(source.start_urls)
            await crawl_fixture_site(scraper, site, archive)
        finally:
            archive.close()
        written[target] = archive.records
    return written
