"""Hamm: Selbsthilfe-Kontaktstelle Hamm (Der Paritätische), www.selbsthilfe-hamm.de.

An A–Z list links to one page per group (`/gruppen/gruppe/<id>-<slug>/`; the id is the key).
The Stichwortverzeichnis letter pages, crawled as list pages, name under each keyword its
groups; each group gets as topics the keywords linking to its id (two keywords: one record,
both topics). E-mails sit behind Cloudflare's e-mail protection, decoded by `emails_in`.
"""

import re
from typing import ClassVar

from schema.records import ScrapedRecord
from scrapers.bases.azlist import AZListScraper
from scrapers.bases.base import Fetcher, Page, PageInfo, ScrapeResult, with_topics
from scrapers.bases.html import COMMON_LABELS, LabelledDetail, absolute_url, node_text
from scrapers.errors import SiteChanged


class HammScraper(LabelledDetail, AZListScraper):
    source_id = "hamm"
    detail_link_selector = "main ul.gruppenliste a[href]"
    list_link_selector = "main a[href*='stichwortverzeichnis']"
    keyword_selector: ClassVar[str] = "main section.stichwort"  # h3 keyword, li>a its groups
    centre_path = "/kontaktstelle/"
    description_selector = "div.beschreibung"
    key_pattern = re.compile(r"/gruppe/(\d+)-")
    labels = COMMON_LABELS | {"treffzeit": "meeting_text", "kontakt": "contact_person"}

    async def scrape(self, fetch: Fetcher) -> ScrapeResult:
        result = await super().scrape(fetch)
        if not (keywords := self.keywords(result.pages)):
            raise SiteChanged(f"{self.source_id}: 0 keywords match {self.keyword_selector!r} "
                              "on the Stichwortverzeichnis pages", url=self.start_urls[0])
        result.records = [with_topics(r, keywords.get(r.source_key, {})) if r.kind == "group"
                          else r for r in result.records]
        return result

    def keywords(self, pages: list[PageInfo | Page]) -> dict[str, dict[str, None]]:
        """Group id -> the keywords listing it, in index order, read from the list pages (the
        only ones kept whole)."""
        found: dict[str, dict[str, None]] = {}
        for page in (p for p in pages if isinstance(p, Page)):
            for block in page.html().css(self.keyword_selector):
                label = node_text(heading) if (heading := block.css_first("h2, h3")) else ""
                for a in block.css("li a[href]") if label else []:
                    url = absolute_url(page.url, a.attributes.get("href") or "")
                    if key := self.detail_key(url):  # dict as ordered set
                        found.setdefault(key, {})[label] = None
        return found

    def parse_detail(self, page: Page) -> ScrapedRecord:
        return self.labelled_record(page, kind="group", source_key=self.require_key(page))

    def parse_centre(self, page: Page) -> ScrapedRecord:
        return self.labelled_record(page, kind="contact_centre", source_key="kontaktstelle")
