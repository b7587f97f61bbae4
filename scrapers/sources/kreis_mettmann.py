"""Kreis Mettmann: Selbsthilfe-Kontaktstelle Kreis Mettmann (Kreis Gesundheitsamt until 2016,
Der Paritätische NRW since 2017), a TYPO3 site.

The group list is a paginated TYPO3 list plugin ("Seite 1 2 3 weiter"); each group has a detail
page keyed by its TYPO3 uid (`…/gruppe/detail/uid-417/`, unrouted `?tx_shg[uid]=417`). The
list repeats a group with two categories, once under a URL variant; the base fetches one URL
per uid (`key_pattern`). The centre describes itself on `/kontaktstelle/`.
"""

import re

from schema.records import ScrapedRecord
from scrapers.bases.azlist import AZListScraper
from scrapers.bases.base import Page
from scrapers.bases.html import COMMON_LABELS, LabelledDetail


class KreisMettmannScraper(LabelledDetail, AZListScraper):
    source_id = "kreis-mettmann"
    detail_link_selector = "div.tx-shg-list .shg-item h3 a[href*='uid']"
    list_link_selector = "ul.f3-widget-paginator a[href]"
    centre_path = "/kontaktstelle/"
    content_selector = "main"
    description_selector = "p.lead, div.shg-beschreibung"
    key_pattern = re.compile(r"\buid(?:-|\]=)(\d+)")
    labels = COMMON_LABELS | {"stadt": "district", "kontakt": "contact_person"}

    def parse_detail(self, page: Page) -> ScrapedRecord:
        return self.labelled_record(page, kind="group", source_key=self.require_key(page))

    def parse_centre(self, page: Page) -> ScrapedRecord:
        return self.labelled_record(page, kind="contact_centre", source_key="kontaktstelle")
