"""Düsseldorf: Selbsthilfegruppen nach Themen of the Selbsthilfe-Service-Büro, Gesundheitsamt
der Landeshauptstadt Düsseldorf (TYPO3).

The index page's subpage menu lists the topics; each topic page shows its groups inline, one
content element per group whose TYPO3 uid (`id="c20411"`) is the source key. A group shown under
several topics is the same element inserted again ("Datensatz einfügen"), so its uid repeats and
`TopicListScraper` merges it into one record with all topics. The Service-Büro describes itself
one level up.
"""

import re
from typing import ClassVar

from schema.records import ScrapedRecord
from scrapers.bases.base import Page
from scrapers.bases.html import COMMON_LABELS
from scrapers.bases.topiclist import TopicListScraper, Tree


class DuesseldorfScraper(TopicListScraper):
    source_id = "duesseldorf"
    topic_link_selector = "div.frame-type-menu_subpages a[href]"  # not the sidebar subnav
    group_selector = "div.frame-type-shg_gruppe[id]"  # inner frame, not a shortcut's wrapper
    key_pattern = re.compile(r"^c(\d+)$")
    centre_path = "../"  # https://www.duesseldorf.de/gesundheitsamt/selbsthilfe/
    name_selector = "h1, h2, h3"
    description_selector = "div.ce-bodytext"
    labels: ClassVar[dict[str, str]] = COMMON_LABELS | {
        "kontakt": "contact_person",  # "über das Selbsthilfe-Service-Büro" or a first name
        "dienststelle": "carrier",
        "telefonische sprechzeiten": "hours_text",
        "anfahrt": "accessibility_text",  # how to get there: U75/U77 Lierenfeld Betriebshof
    }

    def parse_group(self, page: Page, node: Tree) -> ScrapedRecord:
        return self.labelled_record(page, node, kind="group",
                                    source_key=self.key(node.attributes.get("id")))

    def parse_centre(self, page: Page) -> ScrapedRecord:
        return self.labelled_record(page, self.content(page), kind="contact_centre",
                                    source_key="selbsthilfe-service-buero")
