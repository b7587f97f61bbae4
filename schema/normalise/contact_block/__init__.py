"""A free-text contact block -> organisation, address, phones, faxes, e-mails, web sites, hours.

Many pages give a centre's or a group's contact only as one block: "Kontakt: BüZ –
Selbsthilfe-Netzwerk, Rathausstraße 6, 44649 Herne, Telefon: 0 23 23 / 16 - 36 36, Telefax:
0 23 23 / 16 - 36 37, E-Mail: buez@herne.de, Sprechzeiten: Mo, Di 9-12 Uhr". The block is cut
at its labels ("Tel.", "Fax", "E-Mail", "Internet", "Sprechzeiten", …); unlabelled text is cut
at commas and lines and each piece is known by its shape (an address run around a postcode, a
number, an e-mail, a web address); numbers, e-mail and web addresses written inside a sentence
are found there too, while a sentence itself is never a name. The names before the address
(and those heading each paragraph over its own values) are the organisation. The
value parsers are the shared ones (`phones`, `emails`, `urls`, `address`); text that fits
nowhere is returned in `leftover`, never dropped.
"""

from pydantic import BaseModel, ConfigDict, Field

from schema.listing import Address, EmailAddress, OpeningHours, Phone, Website
from schema.normalise.contact_block.cut import cut_pieces
from schema.normalise.contact_block.names import organisation_and_address, paragraph_starts
from schema.normalise.contact_block.values import labelled, safe, unique
from schema.normalise.hours import opening_hours


class ContactBlock(BaseModel):
    """The parts of one contact block; `leftover` holds every piece that fit nowhere."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    organisation: list[str] = Field(default_factory=list)
    address: Address | None = None
    phones: list[Phone] = Field(default_factory=list)
    faxes: list[Phone] = Field(default_factory=list)
    emails: list[EmailAddress] = Field(default_factory=list)
    websites: list[Website] = Field(default_factory=list)
    opening_hours: OpeningHours | None = None
    leftover: list[str] = Field(default_factory=list)


def contact_block(text: str | None) -> ContactBlock:
    """The parts of a free-text contact block; empty text gives an empty block."""
    lines = [" ".join(line.split()) for line in (text or "").splitlines()]
    text = "\n".join(line for line in lines if line)
    if not text:
        return ContactBlock()
    paragraphs = paragraph_starts(lines)
    pieces = cut_pieces(text)
    found: dict[str, list] = {"phones": [], "faxes": [], "emails": [], "websites": [],
                              "hours": [], "leftover": []}
    stream = [p for p in pieces if p.kind == "text"]
    for piece in pieces:
        if piece.kind != "text":
            labelled(piece, found)
    values = [p.at for p in pieces if p.kind != "text"]
    organisation, place = organisation_and_address(stream, found, values, text, paragraphs)
    hours = "\n".join(found["hours"])
    office = hours and OpeningHours(original=hours, osm=safe(opening_hours, hours))
    return ContactBlock(
        organisation=organisation, address=place, phones=unique(found["phones"]),
        faxes=unique(found["faxes"]), emails=found["emails"], websites=found["websites"],
        opening_hours=office or None,
        leftover=[p.text for p in sorted(found["leftover"], key=lambda p: p.at)])
