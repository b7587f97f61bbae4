"""Shared base for the commonest municipal layout: an A–Z (or paginated) list of groups, each
linking to a detail page, plus one page about the contact centre itself.

A source module on this layout only names its selectors and writes `parse_detail` /
`parse_centre`; crawling, de-duplication, concurrency and per-record error capture live here.
"""

import dataclasses
import re
from abc import abstractmethod
from collections.abc import AsyncIterator, Callable
from typing import ClassVar
from urllib.parse import unquote

from selectolax.lexbor import LexborHTMLParser

from schema.records import ScrapedRecord
from scrapers.bases.base import (
    Fetcher,
    Page,
    ParseFailure,
    Scraper,
    ScrapeResult,
    fetched_pages,
    page_failure,
)
from scrapers.bases.html import links
from scrapers.errors import FieldError, SiteChanged, SourceError
from scrapers.fetch import crawl

_INDEX_FILE = re.compile(r"/index\.(?:html?|php)$")


def canonical_url(url: str) -> str:
    """`…/dir/index.html` and `…/dir/` are one page on every CMS we know; otherwise the URL
    the client asks for (`scrapers.fetch.crawl.canonical_url`: no fragment, no session id)."""
    return _INDEX_FILE.sub("/", crawl.canonical_url(url))


async def list_pages(fetch: Fetcher, start_urls: list[str], follow: str | None,
                     result: ScrapeResult, *, whole: bool = True,
                     follows: Callable[[str], bool] = lambda url: True
                     ) -> AsyncIterator[tuple[Page, LexborHTMLParser]]:
    """Breadth-first over list pages linked by `follow` (once each), with their trees; kept
    `whole` in `result.pages` when a subclass reads them again after the crawl."""
    queue = [canonical_url(u) for u in start_urls]
    seen = set(queue)
    while queue:
        page = await fetch.get(queue.pop(0))
        result.pages.append(page if whole else page.info())
        tree = page.html()
        yield page, tree
        for url in map(canonical_url, links(page.url, tree, follow)):
            if url not in seen and follows(url):
                seen.add(url)
                queue.append(url)


class AZListScraper(Scraper):
    #: CSS selector for the <a> elements on a list page that lead to detail pages.
    detail_link_selector: ClassVar[str]
    #: CSS selector for <a> elements leading to further list pages (letters, "weiter"), if any.
    list_link_selector: ClassVar[str | None] = None
    #: Pattern whose first group is the source's own key in a detail URL (percent-decoded);
    #: detail links are de-duplicated by it, so `?page=3` variants are not fetched twice.
    key_pattern: ClassVar[re.Pattern[str] | None] = None

    def detail_key(self, url: str) -> str | None:
        if self.key_pattern is None or not (m := self.key_pattern.search(unquote(url))):
            return None
        return m.group(1)

    def require_key(self, page: Page) -> str:
        if (key := self.detail_key(page.url)) is None:
            raise FieldError("source_key", f"no key matching {self.key_pattern} in {page.url}")
        return key

    async def scrape(self, fetch: Fetcher) -> ScrapeResult:
        result = ScrapeResult()
        detail_urls = await self._crawl_lists(fetch, result)
        if not detail_urls:
            raise SiteChanged(
                f"{self.source_id}: no detail links match {self.detail_link_selector!r}",
                url=self.start_urls[0],
            )
        async for _, page in fetched_pages(fetch, detail_urls, result, self.concurrency,
                                           self._page_failure):
            self.parse_into(result, page, self.parse_detail, key=self.detail_key(page.url))
        await self.scrape_centre(fetch, result)
        result.records.sort(key=lambda r: r.source_key)
        return result

    def follows(self, url: str) -> bool:
        """Whether a list link (canonical) leads to another list page."""
        return True

    def detail_ident(self, url: str) -> str | None:
        """What detail links are told apart by (None: not a detail link)."""
        return self.detail_key(url) or url

    async def _crawl_lists(self, fetch: Fetcher, result: ScrapeResult) -> list[str]:
        """Detail URLs in first-seen order over the list pages, one per `detail_ident`."""
        details: dict[str, str] = {}
        async for page, tree in list_pages(fetch, self.start_urls, self.list_link_selector,
                                           result, follows=self.follows):
            for url in links(page.url, tree, self.detail_link_selector):
                url = crawl.canonical_url(url)  # as the client asks for it
                if (ident := self.detail_ident(url)) is not None:
                    details.setdefault(ident, url)
        return list(details.values())

    def _page_failure(self, url: str, exc: SourceError) -> ParseFailure:
        """A detail page that did not load: its record, when the URL names it, stays current
        (or is gone, after a 404 or 410)."""
        return dataclasses.replace(page_failure(url, exc), key=self.detail_key(url),
                                   gone=getattr(exc, "gone", False))

    @abstractmethod
    def parse_detail(self, page: Page) -> ScrapedRecord:
        """One group's detail page -> its raw record."""
