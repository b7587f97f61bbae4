"""Herne: "Selbsthilfegruppen im Überblick" of the buez – Selbsthilfe-Netzwerk (BüZ), Stadt Herne.

A–Z list pages link to one page per group (`gruppe-<CMS id>.html`); the BüZ describes itself on
the page above the list. Contact blocks come as <dl>, <table> or <p><strong>Label:</strong>, which
`labelled_values` reads alike, so the parser below is a label table and a few selectors.
"""

import re
from typing import Any, ClassVar

from schema.records import ScrapedRecord
from scrapers.azlist import AZListScraper
from scrapers.errors import FieldError
from scrapers.html import (
    absolute_url,
    emails_in,
    labelled_values,
    node_text,
    remove_boilerplate,
)
from scrapers.page import Page


class HerneScraper(AZListScraper):
    source_id = "herne"
    detail_link_selector = "ul.az-liste a[href*='gruppe-']"
    list_link_selector = "nav.az-nav a[href], p.seitenhinweis a[href]"
    centre_path = "../"  # https://www.herne.de/Gesundheit/Selbsthilfe/
    content_selector: ClassVar[str] = "main, #content, #inhalt"
    description_selector: ClassVar[str] = "div.beschreibung, p.intro, div.text"
    key_pattern: ClassVar[re.Pattern[str]] = re.compile(r"gruppe-(\d+)\.html")
    #: labels as printed (casefolded, without colon) -> ScrapedRecord field
    labels: ClassVar[dict[str, str]] = {
        "themenbereich": "topics", "themenbereiche": "topics",
        "treffen": "meeting_text", "treffzeiten": "meeting_text",
        "treffpunkt": "address_text", "ort": "address_text", "anschrift": "address_text",
        "sprechstunde": "hours_text", "öffnungszeiten": "hours_text", "sprechzeiten": "hours_text",
        "kontakt": "contact_person", "ansprechpartner": "contact_person",
        "ansprechpartnerin": "contact_person", "ansprechpartner/in": "contact_person",
        "telefon": "phones_text", "tel.": "phones_text", "mobil": "phones_text",
        "kontakttelefon": "phones_text",
        "internet": "web_text", "homepage": "web_text",
        "träger": "carrier", "verband": "carrier",
    }
    list_fields: ClassVar[frozenset[str]] = frozenset({"topics", "phones_text", "web_text"})

    def parse_detail(self, page: Page) -> ScrapedRecord:
        if not (match := self.key_pattern.search(page.url)):
            raise FieldError("source_key", f"no group id in URL {page.url}")
        return self._record(page, kind="group", source_key=match.group(1))

    def parse_centre(self, page: Page) -> ScrapedRecord:
        return self._record(page, kind="contact_centre", source_key="buez")

    def _record(self, page: Page, **fixed: str) -> ScrapedRecord:
        content = remove_boilerplate(page.html()).css_first(self.content_selector)
        h1 = content.css_first("h1") if content else None
        name = node_text(h1) if h1 else ""
        if content is None or not name:
            raise FieldError("name", f"no <h1> in the page content of {page.url}")
        description = content.css_first(self.description_selector)
        fields: dict[str, Any] = {}
        for label, value in labelled_values(content).items():
            if (field := self.labels.get(label)) is None:
                continue
            lines = node_text(value).splitlines()
            if field == "web_text":
                hrefs = [absolute_url(page.url, a.attributes.get("href") or "")
                         for a in value.css("a[href]")]
                lines = hrefs or lines
            if field in self.list_fields:
                fields[field] = [*fields.get(field, []), *lines]
            elif lines:
                fields.setdefault(field, "\n".join(lines))
        return ScrapedRecord(
            source_id=self.source_id, source_url=page.url, fetched_at=page.fetched_at,
            content_hash=page.sha256, name=name,
            description=(node_text(description) or None) if description else None,
            # e-mails from the whole content: obfuscated links rarely sit under a tidy label
            emails_text=emails_in(content), **fixed, **fields,
        )
