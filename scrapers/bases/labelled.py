"""Detail pages whose fields are printed as "Label: value" pairs — in a <dl>, a two-column
table or <strong> labels — which is how most municipal CMSs show a group. A source names its
labels once (`labels`: printed label -> `ScrapedRecord` field) and gets a whole record."""

import re
from typing import Any, ClassVar

from selectolax.lexbor import LexborNode

from schema.records import ScrapedRecord
from scrapers.bases.base import Page
from scrapers.bases.html import (
    Tree,
    absolute_url,
    emails_in,
    labelled_values,
    node_text,
    remove_boilerplate,
)
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
#: Fields read from a value's links (absolute) where it has any: web sites, a parent's page.
LINK_FIELDS = frozenset({"web_text", "parent_key"})
#: A "place" that only says where to ask for it: that is a meeting note, not an address.
ON_REQUEST_PLACE = re.compile(
    r"^(?:\W*(?:ort|treffpunkt|treffort|räume?)?\s*(?:auf\s+anfrage|nach\s+(?:telefonischer\s+)?"
    r"(?:vereinbarung|absprache)|(?:\S+\s+){0,6}erfragen|wird\s+bei\s+anmeldung\s+"
    r"mitgeteilt)\W*)$", re.IGNORECASE)


def labelled_fields(node: Tree, labels: dict[str, str], base_url: str,
                    list_fields: frozenset[str] = LIST_FIELDS, *, on_request: bool = True
                    ) -> dict[str, Any]:
    """`ScrapedRecord` fields from the "Label: value" pairs under `node`: list fields collect
    every line, text fields keep the first value; a value's links stand for it in
    `LINK_FIELDS`, and e-mails are de-obfuscated. With `on_request`, a place that only says
    "Ort auf Anfrage" moves to meeting_text, where the normaliser reads it as "on request"."""
    fields: dict[str, Any] = {}
    for label, value in labelled_values(node).items():
        if (field := labels.get(label)) is None:
            continue
        lines = emails_in(value) if field == "emails_text" else node_text(value).splitlines()
        if field in LINK_FIELDS:
            lines = [absolute_url(base_url, a.attributes.get("href") or "")
                     for a in value.css("a[href]")] or lines
        if field in list_fields:
            fields[field] = [*fields.get(field, []), *lines]
        elif lines:
            fields.setdefault(field, "\n".join(lines))
    place = fields.get("address_text")
    if on_request and place and ON_REQUEST_PLACE.match(place.replace("\n", " ")):
        del fields["address_text"]
        fields["meeting_text"] = "\n".join(filter(None, [fields.get("meeting_text"), place]))
    return fields


class LabelledDetail:
    content_selector: ClassVar[str] = "main, #content, #inhalt"
    #: The name of a record: the first match in its content (or block).
    name_selector: ClassVar[str] = "h1"
    description_selector: ClassVar[str | None] = None
    labels: ClassVar[dict[str, str]] = COMMON_LABELS
    source_id: ClassVar[str]

    def labelled_record(self, page: Page, node: Tree | None = None, **fixed: Any
                        ) -> ScrapedRecord:
        """The record of one page's content column, or of `node` (a group block, or content
        already cut out): the first `name_selector` match is the name, the "Label: value"
        pairs fill fields via `labels`, e-mails are read from the whole content. A block's
        name is read before its chrome is removed: its heading often sits in a <header>."""
        if node is None:
            node = remove_boilerplate(page.html()).css_first(self.content_selector)
            heading = node.css_first(self.name_selector) if node is not None else None
        else:
            heading = node.css_first(self.name_selector)
            node = remove_boilerplate(node.clone() if isinstance(node, LexborNode) else node)
        if node is None or heading is None or not (name := node_text(heading)):
            raise FieldError("name", f"no heading {self.name_selector!r} in {page.url}")
        fields = labelled_fields(node, self.labels, page.url)
        description = (node.css_first(self.description_selector)
                       if self.description_selector else None)
        return ScrapedRecord(
            source_id=self.source_id, source_url=page.url, fetched_at=page.fetched_at,
            content_hash=page.sha256, name=name,
            description=(node_text(description) or None) if description is not None else None,
            emails_text=emails_in(node), **(fields | fixed),
        )
