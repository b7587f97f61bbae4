"""Herne: "Selbsthilfegruppen im Überblick" of the buez – Selbsthilfe-Netzwerk (BüZ), Stadt Herne.

A–Z list pages link to one page per group (`gruppe-<CMS id>.html`); the BüZ describes itself on
the page above the list. Contact blocks come as <dl>, <table> or <p><strong>Label:</strong>,
which `LabelledDetail` reads alike, so this module is selectors and a label table.
"""

import re

from schema.records import ScrapedRecord
from scrapers.bases.azlist import AZListScraper
from scrapers.bases.base import Page
from scrapers.bases.html import COMMON_LABELS, LabelledDetail


class HerneScraper(LabelledDetail, AZListScraper):
    source_id = "herne"
    detail_link_selector = "ul.az-liste a[href*='gruppe-']"
    list_link_selector = "nav.az-nav a[href], p.seitenhinweis a[href]"
    centre_path = "../"  # https://www.herne.de/Gesundheit/Selbsthilfe/
    description_selector = "div.beschreibung, p.intro, div.text"
    key_pattern = re.compile(r"gruppe-(\d+)\.html")
    # "Kontakt: über das BüZ" names a route, but some pages put the person there.
    labels = COMMON_LABELS | {"kontakt": "contact_person"}

    def parse_detail(self, page: Page) -> ScrapedRecord:
        return self.labelled_record(page, kind="group", source_key=self.require_key(page))

    def parse_centre(self, page: Page) -> ScrapedRecord:
        return self.labelled_record(page, kind="contact_centre", source_key="buez")
