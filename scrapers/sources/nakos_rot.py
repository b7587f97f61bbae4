"""NAKOS ROTE ADRESSEN: local self-help contact centres and support units, with their branches.

Each detail page prints its type as "Einrichtungsart" ("Selbsthilfekontaktstelle",
"Selbsthilfeunterstützungsstelle" or "Außenstelle"); a branch links to its main office under
"Hauptstelle", whose key becomes `parent_key`. Crawling and fields: `scrapers.bases.nakos`.
"""

from typing import ClassVar

from schema.records import ScrapedRecord
from scrapers.bases.base import Page
from scrapers.bases.nakos import NakosScraper
from scrapers.errors import FieldError


class NakosRotScraper(NakosScraper):
    source_id = "nakos-rot"
    kind = "contact_centre"
    required = ("org_type",)
    branch_type: ClassVar[str] = "Außenstelle"

    def parse_detail(self, page: Page) -> ScrapedRecord:
        record = super().parse_detail(page)
        if record.org_type == self.branch_type and not record.parent_key:
            raise FieldError("parent_key", f"a branch without a link to its main office: "
                                           f"{page.url}")
        return record
