"""Detail pages whose fields are printed as "Label: value" pairs — in a <dl>, a two-column
table or <strong> labels — which is how most municipal CMSs show a group. A source names its
labels once (`labels`: printed label -> `ScrapedRecord` field) and gets a whole record."""

import re
from typing import Any, ClassVar

from schema.records import ScrapedRecord
from scrapers.bases.html import (
    Tree,
    absolute_url,
    emails_in,
    labelled_values,
    node_text,
    remove_boilerplate,
)
from scrapers.bases.page import Page
from scrapers.errors import FieldError

#: Labels most German self-help pages print; sources extend or override this table.
COMMON_LABELS: dict[str, str] = {
    "thema": "topics", "themen": "topics", "themenbereich": "topics", "themenbereiche": "topics",
    "treffen": "meeting_text", "treffzeiten": "meeting_text", "termine": "meeting_text",
    "treffpunkt": "address_text", "ort": "address_text", "anschrift": "address_text",
    "adresse": "address_text",
    "sprechstunde": "hours_text", "öffnungszeiten": "hours_text", "sprechzeiten": "hours_text",
    "ansprechpartner": "contact_person", "ansprechpartnerin": "contact_person",
    "ansprechpartner/in": "contact_person", "kontaktperson": "contact_person",
    "telefon": "phones_text", "tel.": "phones_text", "mobil": "phones_text",
    "kontakttelefon": "phones_text",
    "internet": "web_text", "homepage": "web_text", "webseite": "web_text",
    "träger": "carrier", "verband": "carrier",
    "barrierefreiheit": "accessibility_text", "barrierefrei": "accessibility_text",
}
LIST_FIELDS = frozenset({"topics", "phones_text", "web_text"})
#: A "place" that only says where to ask for it: that is a meeting note, not an address.
ON_REQUEST_PLACE = re.compile(
    r"^(?:\W*(?:ort|treffpunkt|treffort|räume?)?\s*(?:auf\s+anfrage|nach\s+(?:telefonischer\s+)?"
    r"(?:vereinbarung|absprache)|(?:\S+\s+){0,6}erfragen|wird\s+bei\s+anmeldung\s+"
    r"mitgeteilt)\W*)$", re.IGNORECASE)


def labelled_fields(node: Tree, labels: dict[str, str], base_url: str) -> dict[str, Any]:
    """`ScrapedRecord` fields from the "Label: value" pairs under `node` (see LabelledDetail):
    list fields collect every line, text fields keep the first value. A place that only says
    "Ort auf Anfrage" moves to meeting_text, where the normaliser reads it as "on request"."""
    fields: dict[str, Any] = {}
    for label, value in labelled_values(node).items():
        if (field := labels.get(label)) is None:
            continue
        lines = node_text(value).splitlines()
        if field == "web_text":
            lines = [absolute_url(base_url, a.attributes.get("href") or "")
                     for a in value.css("a[href]")] or lines
        if field in LIST_FIELDS:
            fields[field] = [*fields.get(field, []), *lines]
        elif lines:
            fields.setdefault(field, "\n".join(lines))
    place = fields.get("address_text")
    if place and ON_REQUEST_PLACE.match(place.replace("\n", " ")):
        del fields["address_text"]
        fields["meeting_text"] = "\n".join(filter(None, [fields.get("meeting_text"), place]))
    return fields


class LabelledDetail:
    content_selector: ClassVar[str] = "main, #content, #inhalt"
    description_selector: ClassVar[str | None] = None
    labels: ClassVar[dict[str, str]] = COMMON_LABELS
    source_id: ClassVar[str]

    def labelled_record(self, page: Page, **fixed: Any) -> ScrapedRecord:
        """The record of one page: h1 as name, labelled fields, e-mails from the content."""
        content = remove_boilerplate(page.html()).css_first(self.content_selector)
        h1 = content.css_first("h1") if content else None
        name = node_text(h1) if h1 else ""
        if content is None or not name:
            raise FieldError("name", f"no <h1> in the page content of {page.url}")
        fields = labelled_fields(content, self.labels, page.url)
        description = (content.css_first(self.description_selector)
                       if self.description_selector else None)
        return ScrapedRecord(
            source_id=self.source_id, source_url=page.url, fetched_at=page.fetched_at,
            content_hash=page.sha256, name=name,
            description=(node_text(description) or None) if description else None,
            emails_text=emails_in(content), **(fields | fixed),
        )
