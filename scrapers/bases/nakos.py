"""NAKOS address lists on www.nakos.de (ROTE, GRÜNE and BLAUE ADRESSEN): the one shared base.

All three lists come out of one CMS. List pages are paginated (an A–Z letter bar and/or
"weiter" links) and their rows link to detail pages at paths ending in `key@<n>`, written
`key%40<n>` in some links: that number is the stable source key, so `@` and `%40` give one key
and one fetch. Every page opens with a print link and a breadcrumb ("Sie befinden sich hier:
HOME / Adressen / …"), stripped before any field is read. Detail pages print "Label: value"
rows that `labelled_values` reads from <dl>, <table> or <strong> layouts alike; `labels` below
is the field table all three lists share. Subclasses name their kind and extra checks only;
BLAU never fetches a detail page at all (see nakos_blau).
"""

import re
from typing import ClassVar
from urllib.parse import urldefrag

from selectolax.lexbor import LexborNode

from schema.records import RawKind, ScrapedRecord
from scrapers.bases.azlist import AZListScraper, canonical_url
from scrapers.bases.base import Fetcher, Page, ScrapeResult
from scrapers.bases.html import labelled_fields, node_text, remove_boilerplate
from scrapers.errors import FieldError, SiteChanged

_KEY = re.compile(r"/key(?:@|%40)(\d+)/?$", re.IGNORECASE)


def nakos_key(url: str) -> str | None:
    """The CMS key ending a NAKOS path: `…/key@2755` and `…/key%402755` are both "2755"."""
    match = _KEY.search(urldefrag(url).url.split("?", 1)[0])
    return match.group(1) if match else None


def first_per_key(records: list[ScrapedRecord]) -> list[ScrapedRecord]:
    """One record per source key (the first seen), sorted by key."""
    first: dict[str, ScrapedRecord] = {}
    for record in records:
        first.setdefault(record.source_key, record)
    return sorted(first.values(), key=lambda r: r.source_key)


class NakosScraper(AZListScraper):
    kind: ClassVar[RawKind]
    # -- selectors: the one place to fix after a NAKOS redesign ---------------------------------
    detail_link_selector = "#content table.adressliste a[href]"
    list_link_selector = "#content ul.az-leiste a[href], #content ul.blaettern a[href]"
    content_selector: ClassVar[str] = "#content"
    chrome_selector: ClassVar[str] = "#content .service, #content .pfad, #content .zurueck"
    #: labels as printed (casefolded, without colon) -> ScrapedRecord field, for all three lists
    labels: ClassVar[dict[str, str]] = {
        "einrichtungsart": "org_type", "art der einrichtung": "org_type", "rubrik": "org_type",
        "hauptstelle": "parent_key", "außenstelle von": "parent_key",
        "kennzeichnung": "flags_text", "merkmale": "flags_text",
        "träger": "carrier", "trägerschaft": "carrier",
        "anschrift": "address_text", "adresse": "address_text", "besucheranschrift": "address_text",
        "telefon": "phones_text", "tel.": "phones_text", "e-mail": "emails_text",
        "internet": "web_text", "homepage": "web_text", "website": "web_text",
        "sprechzeiten": "hours_text", "öffnungszeiten": "hours_text",
        "ansprechpartner/in": "contact_person", "ansprechpartnerin": "contact_person",
        "ansprechpartner": "contact_person", "barrierefreiheit": "accessibility_text",
        "themen": "topics", "themenschwerpunkte": "topics", "arbeitsschwerpunkte": "topics",
        "kurzbeschreibung": "description", "selbstdarstellung": "description",
        "forum": "online_text", "online-angebot": "online_text",
    }
    list_fields: ClassVar[frozenset[str]] = frozenset(
        {"topics", "phones_text", "emails_text", "web_text", "flags_text", "parent_key"})
    #: fields a detail page must yield besides name and key (FieldError otherwise)
    required: ClassVar[tuple[str, ...]] = ()

    def follows(self, url: str) -> bool:
        """A link carrying a key is an entry, never a list page: it is not followed."""
        return nakos_key(url) is None

    def detail_ident(self, url: str) -> str | None:
        return nakos_key(url)

    async def _crawl_lists(self, fetch: Fetcher, result: ScrapeResult) -> list[str]:
        """One detail URL per key, as first linked; the list pages stay whole in `result`
        (NAKOS BLAU reads its rows afterwards)."""
        if keyed := [u for u in self.start_urls if nakos_key(canonical_url(u))]:
            raise ValueError(f"{self.source_id}: start URLs must be list pages, not {keyed}")
        if not (details := await super()._crawl_lists(fetch, result)):
            raise SiteChanged(f"{self.source_id}: 0 records – no key@ links match "
                              f"{self.detail_link_selector!r} on {len(result.pages)} list "
                              "pages", url=self.start_urls[0])
        return details

    def strip_chrome(self, page: Page) -> LexborNode | None:
        """The content column of `page` without print link, breadcrumb and page frame."""
        tree = page.html()
        while (node := tree.css_first(self.chrome_selector)) is not None:
            node.decompose()
        return remove_boilerplate(tree).css_first(self.content_selector)

    def parse_detail(self, page: Page) -> ScrapedRecord:
        if (key := nakos_key(page.url)) is None:
            raise FieldError("source_key", f"no key@<n> at the end of {page.url}")
        content = self.strip_chrome(page)
        h1 = content.css_first("h1") if content else None
        if content is None or h1 is None or not (name := node_text(h1)):
            raise FieldError("name", f"no <h1> in the page content of {page.url}")
        fields = labelled_fields(content, self.labels, page.url, self.list_fields,
                                 on_request=False)
        parents = fields.pop("parent_key", [])  # the main office's key, from the link to it
        if parent := next(filter(None, map(nakos_key, parents)), None):
            fields["parent_key"] = parent
        for field in self.required:
            if not fields.get(field):
                raise FieldError(field, f"not on {page.url}")
        return ScrapedRecord(source_id=self.source_id, source_key=key, source_url=page.url,
                             fetched_at=page.fetched_at, content_hash=page.sha256,
                             kind=self.kind, name=name, **fields)

