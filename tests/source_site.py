"""What the per-source test modules share: one crawl of a fixture site per module (its pages
kept whole), fixture files and pages by URL, and copies of a site to break. What every source
must do is asserted once, in test_source_contract.py; a source's own module asserts only what
is particular to it."""

import asyncio
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from schema.records import ScrapedRecord
from scrapers.bases.base import Page, Scraper, ScrapeResult
from scrapers.fetch.decoding import decode
from tests.recording import RecordingScraper, crawl_recorded
from tools.site_server import crawl_fixture_site


def source_fixtures(make: Callable[[], Scraper], site: Path):
    """Module-scoped fixtures `crawled`, `result`, `records` (by source key) and `pages` (whole,
    by URL) of one crawl of `site`; a module binds them to those names."""
    @pytest.fixture(scope="module", name="crawled")
    def crawled() -> RecordingScraper:
        return crawl_recorded(make(), site)

    @pytest.fixture(scope="module", name="result")
    def result(crawled) -> ScrapeResult:
        return crawled.result

    @pytest.fixture(scope="module", name="records")
    def records(result) -> dict[str, ScrapedRecord]:
        return {r.source_key: r for r in result.records}

    @pytest.fixture(scope="module", name="pages")
    def pages(crawled) -> dict[str, Page]:
        return crawled.pages

    return crawled, result, records, pages


def crawl(scraper: Scraper, site: Path) -> ScrapeResult:
    return asyncio.run(crawl_fixture_site(scraper, site))


def fixture_file(site: Path, url: str) -> Path:
    """The file a URL is served from: a path ending in "/" is its index.html."""
    path = urlsplit(url).path
    return site / (path + "index.html" if path.endswith("/") else path).lstrip("/")


def fixture_page(site: Path, url: str, content: bytes | None = None) -> Page:
    """The page at `url` as the client would make it of the bytes (`text/html`, no charset)."""
    content = fixture_file(site, url).read_bytes() if content is None else content
    text, encoding = decode(content, "text/html")
    return Page(url=url, status=200, content=content, text=text, encoding=encoding,
                fetched_at=datetime.now().astimezone(), headers={"content-type": "text/html"})


def copy_site(site: Path, tmp_path: Path) -> Path:
    copy = tmp_path / site.name
    shutil.copytree(site, copy)
    return copy


def rewrite(file: Path, old: bytes, new: bytes) -> None:
    """Byte-level replace, so a Windows-1252 page keeps its encoding."""
    content = file.read_bytes()
    assert old in content, (file, old)
    file.write_bytes(content.replace(old, new))


def rewrite_all(site: Path, old: bytes, new: bytes) -> int:
    """`rewrite` in every HTML page of `site` holding `old`; how many pages that was."""
    changed = 0
    for page in site.rglob("*.html"):
        if old in (content := page.read_bytes()):
            page.write_bytes(content.replace(old, new))
            changed += 1
    return changed


def strings(record: ScrapedRecord) -> list[str]:
    """Every string a record holds, in its text and list fields."""
    out = []
    for value in record.model_dump().values():
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list):
            out.extend(v for v in value if isinstance(v, str))
    return out


def assert_no_chrome(records: dict[str, ScrapedRecord], pages: dict[str, Page],
                     chrome: str) -> None:
    """`chrome` is on the crawled pages (so the check means something) and in no field."""
    assert any(chrome in p.text for p in pages.values()), chrome
    for record in records.values():
        for value in strings(record):
            assert chrome not in value, (record.source_key, value)
