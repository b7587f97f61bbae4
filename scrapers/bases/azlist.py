"""Shared base for the commonest municipal layout: an A–Z (or paginated) list of groups, each
linking to a detail page, plus one page about the contact centre itself.

A source module on this layout only names its selectors and writes `parse_detail` /
`parse_centre`; crawling, de-duplication, concurrency and per-record error capture live here.
"""

import asyncio
import re
from abc import abstractmethod
from collections.abc import Callable
from typing import ClassVar
from urllib.parse import unquote, urljoin

from schema.records import ScrapedRecord
from scrapers.bases.base import Fetcher, ParseFailure, Scraper, ScrapeResult
from scrapers.bases.html import link_url
from scrapers.bases.page import Page
from scrapers.errors import FieldError, SiteChanged, SourceError
from scrapers.fetch import crawl

_INDEX_FILE = re.compile(r"/index\.(?:html?|php)$")


def canonical_url(url: str) -> str:
    """`…/dir/index.html` and `…/dir/` are one page on every CMS we know; otherwise the URL
    the client asks for (`scrapers.fetch.crawl.canonical_url`: no fragment, no session id)."""
    return _INDEX_FILE.sub("/", crawl.canonical_url(url))


class AZListScraper(Scraper):
    #: CSS selector for the <a> elements on a list page that lead to detail pages.
    detail_link_selector: ClassVar[str]
    #: CSS selector for <a> elements leading to further list pages (letters, "weiter"), if any.
    list_link_selector: ClassVar[str | None] = None
    #: URL of the contact centre's own page, relative to the first start URL; None if the
    #: centre is described on the list page itself.
    centre_path: ClassVar[str | None] = None
    #: Detail pages fetched at once; the client's per-host rate limit still applies.
    concurrency: ClassVar[int] = 4
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
        waiting = iter(detail_urls)

        async def fetcher() -> None:
            """Takes the next detail URL until none is left: `concurrency` of these, not a
            task per group (thousands per big source, each source in flight holding them)."""
            for url in waiting:
                try:
                    page = await fetch.get(url)
                except SourceError as exc:
                    result.failures.append(ParseFailure(
                        url=url, reason=str(exc), field="page", key=self.detail_key(url),
                        gone=getattr(exc, "gone", False), failure_class=exc.failure_class))
                    continue
                result.pages.append(page.info())  # the body goes with `page` once parsed
                self._parse_into(result, page, self.parse_detail)

        await asyncio.gather(*(fetcher() for _ in range(self.concurrency)))
        if self.centre_path is not None:
            url = urljoin(self.start_urls[0], self.centre_path)
            try:
                centre = await fetch.get(url)
            except SourceError as exc:  # the groups are still worth loading
                result.failures.append(ParseFailure(url=url, reason=str(exc), field="page"))
            else:
                result.pages.append(centre)  # whole, like the list pages
                self._parse_into(result, centre, self.parse_centre)
        result.records.sort(key=lambda r: r.source_key)
        return result

    async def _crawl_lists(self, fetch: Fetcher, result: ScrapeResult) -> list[str]:
        """Breadth-first over list pages; detail URLs in first-seen order, one per key."""
        queue = [canonical_url(u) for u in self.start_urls]
        seen_lists, details = set(queue), {}
        while queue:
            page = await fetch.get(queue.pop(0))
            result.pages.append(page)  # whole: see ScrapeResult.pages
            tree = page.html()
            for a in tree.css(self.detail_link_selector):
                if url := link_url(page.url, a.attributes.get("href")):
                    url = crawl.canonical_url(url)  # as the client asks for it
                    details.setdefault(self.detail_key(url) or url, url)
            if self.list_link_selector:
                for a in tree.css(self.list_link_selector):
                    url = link_url(page.url, a.attributes.get("href"))
                    url = url and canonical_url(url)
                    if url and url not in seen_lists:
                        seen_lists.add(url)
                        queue.append(url)
        return list(details.values())

    def _parse_into(self, result: ScrapeResult, page: Page,
                    parse: Callable[[Page], ScrapedRecord]) -> None:
        try:
            result.records.append(parse(page))
        except Exception as exc:  # one bad page must not sink the source
            result.failures.append(
                ParseFailure(url=page.url, reason=f"{type(exc).__name__}: {exc}",
                             field=getattr(exc, "field", None), raw={"sha256": page.sha256},
                             key=self.detail_key(page.url))
            )

    @abstractmethod
    def parse_detail(self, page: Page) -> ScrapedRecord:
        """One group's detail page -> its raw record."""

    def parse_centre(self, page: Page) -> ScrapedRecord:
        raise NotImplementedError(f"{self.source_id} declares a centre page but cannot parse it")
