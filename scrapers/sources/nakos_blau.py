"""NAKOS BLAUE ADRESSEN: rare conditions; people looking for others with the same one.

A topic page lists private persons with a health condition (special-category data), so this
scraper reads ONLY the topic list pages: per row the topic, the count as printed and the link.
Topic pages are never requested: no person reaches the WARC, raw_pages or a record.
"""

from typing import ClassVar

from selectolax.lexbor import LexborNode

from schema.records import ScrapedRecord
from scrapers.bases.base import Fetcher, Page, ScrapeResult
from scrapers.bases.html import link_url, node_text
from scrapers.bases.nakos import NakosScraper, first_per_key, nakos_key
from scrapers.errors import FieldError, SiteChanged


class NakosBlauScraper(NakosScraper):
    source_id = "nakos-blau"
    kind = "rare_condition"
    #: one row per topic; cross-reference rows ("X → siehe Y", tr.verweis) are no topics
    row_selector: ClassVar[str] = "#content table.themenliste tbody tr:not(.verweis)"
    topic_selector: ClassVar[str] = "td.thema a[href]"
    count_selector: ClassVar[str] = "td.anzahl"
    detail_link_selector = f"{row_selector} {topic_selector}"

    async def scrape(self, fetch: Fetcher) -> ScrapeResult:
        result = ScrapeResult()
        await self._crawl_lists(fetch, result)  # list pages only: topic URLs are not fetched
        for page in result.pages:
            for row in page.html().css(self.row_selector):
                self.parse_into(result, page, lambda p, row=row: self.parse_row(p, row))
        result.records = first_per_key(result.records)  # a topic listed twice: first wins
        if not result.records:
            raise SiteChanged(f"{self.source_id}: 0 records from {len(result.pages)} list pages",
                              url=self.start_urls[0])
        return result

    def parse_row(self, page: Page, row: LexborNode) -> ScrapedRecord:
        link, count = row.css_first(self.topic_selector), row.css_first(self.count_selector)
        if link is None or not (name := node_text(link)):
            raise FieldError("name", f"a topic row without a topic link on {page.url}")
        url = link_url(page.url, link.attributes.get("href")) or ""
        if (key := nakos_key(url)) is None:
            raise FieldError("source_key", f"topic link without key@<n>: {url}")
        return ScrapedRecord(  # topic, count, link: nothing about a person, by construction
            source_id=self.source_id, source_key=key, source_url=url, kind=self.kind,
            fetched_at=page.fetched_at, content_hash=page.sha256, name=name,
            contact_count_text=(node_text(count) or None) if count else None)

    def parse_detail(self, page: Page) -> ScrapedRecord:
        raise RuntimeError(f"{self.source_id}: topic pages hold persons and are never parsed")
