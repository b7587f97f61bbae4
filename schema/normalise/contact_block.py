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

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from schema.listing import Address, EmailAddress, OpeningHours, Phone, Website
from schema.normalise.address import (
    address,
    has_number_street,
    has_postcode,
    is_city,
    is_extra,
    is_street,
    is_town_part,
)
from schema.normalise.emails import emails
from schema.normalise.hours import opening_hours
from schema.normalise.phones import phones
from schema.normalise.urls import urls


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


Kind = Literal["phone", "fax", "phone_fax", "email", "web", "hours", "address", "person",
               "contact"]

# --- tables ------------------------------------------------------------------------------

#: Labels: (kind, pattern, what must follow the label when it has no colon). The order matters
#: only where one label starts another ("Tel./Fax" before "Tel.").
LABELS: tuple[tuple[Kind, str, str], ...] = (
    ("phone_fax", r"tel(?:efon)?\.?\s*(?:/|\+|&|und|u\.)\s*(?:tele)?fax", r"[+(\d]"),
    ("fax", r"(?:tele)?fax(?:-?nr\.?|nummer)?", r"[+(\d]"),
    ("phone", r"tel(?:efon)?(?:\.?-?nr\.?|nummer)?\.?|fon|phone|rufnummer|mobil(?:telefon)?|"
              r"handy|festnetz|hotline|(?:kontakt|service|info|beratungs)telefon",
     r"[+(\d]|[^\W\d_][\w-]*\s?:\s?[+(\d]"),  # "Tel. Ost-Havelland: 03321 …"
    ("email", r"e-?mail(?:-?adresse)?|mail", r"\S+(?:@|\s?[(\[]\s?(?:at|ät)\s?[)\]])"),
    ("web", r"internet(?:seite|adresse)?|web(?:seite|site)?|homepage|home-page|url",
            r"(?:https?://|www\.)"),
    ("hours", r"(?:(?:telefonische|persönliche|offene)\s+)?(?:sprechzeiten|sprechzeit|"
              r"öffnungszeiten|bürozeiten|sprechstunden?|beratungszeiten|servicezeiten|"
              r"telefonzeiten|erreichbarkeit|kontaktzeiten)",
     r"(?:mo|di|mi|do|fr|sa|so|montags?|dienstags?|mittwochs?|donnerstags?|freitags?|"
     r"täglich|werktags|nach)\b"),
    ("address", r"anschrift|adresse|postanschrift|besucheranschrift|hausanschrift", r"(?!)"),
    ("person", r"ansprechpartner(?:in|/in|\*in|:in|innen)?|ansprechperson|kontaktperson|"
               r"gruppenleitung|leitung", r"(?!)"),
    ("contact", r"kontakt(?:adresse|daten|stelle)?|erreichbar unter|auskunft|auskünfte|"
                r"(?:weitere\s+)?info(?:s|rmation(?:en)?)?(?:\s+(?:und|&)\s+anmeldung)?|"
                r"anmeldung(?:en)?", r"(?!)"),
)
#: Words that mark a name as an organisation's (or an acronym such as "BüZ", "KISS").
ORGANISATION = (r"selbsthilfe|gruppe|stelle|büro|verein|e\.\s?v\.|verband|zentrum|netzwerk|haus|"
                r"kiss|initiative|treff|bund|stiftung|forum|hilfe|beratung|klinik|praxis|amt|"
                r"stadt|kreis|gemeinde|caritas|diakonie|awo|drk|paritätische|gmbh|ggmbh|dienst|"
                r"arbeitskreis|kontakt|agentur|kirche|telefon|universität|hochschule|ambulanz|"
                r"sanatorium|seelsorge|betreuung|abteilung")
#: An acronym ("BüZ", "KoSKon", "NAKOS"): also a name, not a person.
ACRONYM = r"\b[A-ZÄÖÜ]\w*[A-ZÄÖÜ]"
#: Small words inside an organisation's name ("Kontaktstelle für Selbsthilfe"); more than one
#: other lower-case word makes a piece a sentence ("bitte telefonisch erfragen").
CONNECTORS = frozenset({"für", "im", "in", "der", "die", "das", "des", "dem", "den", "und",
                        "von", "vom", "zur", "zum", "am", "an", "auf", "bei", "mit", "nach",
                        "e.v.", "ev.", "e.", "v.", "ggmbh", "gmbh", "st.", "u.", "&"})
#: Pronouns of a sentence ("Informationen erhalten Sie bei …"); no name holds them.
PRONOUNS = frozenset({"Sie", "Ihnen", "Ihr", "man", "uns", "wir", "euch", "es"})
#: A private person named in a block: never an organisation line.
PERSON = (r"^(?:frau|herr|hr\.|fr\.|dr\.\s|prof\.|familie|fam\.|(?:gruppen)?sprecher(?:in)?|"
          r"gruppenleiter(?:in)?|leiter(?:in)?|vorsitzender?|ansprechpartner(?:in)?|"
          r"kontaktperson|moderator(?:in)?)\b")
#: Lower-case words that open the second line of a name broken over two lines ("Kontaktstelle
#: / für Selbsthilfegruppen").
NAME_CONTINUATIONS = ("für", "zur", "zum", "des", "der")

# --- patterns ----------------------------------------------------------------------------

_LABEL = re.compile(
    "|".join(rf"(?P<{kind}>(?<![\w-])(?:{pattern})(?![\w])(?:\s*:\s*|\s*(?={follow})))"
             for kind, pattern, follow in LABELS), re.IGNORECASE)
_PIECE = re.compile(r"\s*(?:[,;\n|·•]|(?<=\d)\s+[–—-]\s+(?=\D)|\s+[–—/-]\s+(?=(?:DE?-)?\d{5}\b))"
                    r"\s*")
_EMAILISH = re.compile(r"@|[(\[{]\s?(?:at|ät)\s?[)\]}]", re.IGNORECASE)
_URLISH = re.compile(r"^(?:https?://|www\.)\S+$|^[\w.-]+\.(?:de|com|org|net|info|eu)(?:/\S*)?$",
                     re.IGNORECASE)
_NUMBERISH = re.compile(r"^(?:\+|\(?0)[\d\s/().\-–]{4,}\d(?:\s*\([^()]*\))?$")
#: A date ("01.02.2024", "Stand: 1.2.24"): digits that are no phone number.
_DATE = re.compile(r"(?:0?[1-9]|[12]\d|3[01])\.\s?(?:0?[1-9]|1[0-2])\.\s?(?:\d{4}|\d{2})")
#: A phone number standing in a sentence ("unter Telefon 09561/891576 oder …").
#: A web address standing in a sentence ("Infos unter www.beispiel.de oder …").
_URL_INSIDE = re.compile(r"(?<![@\w.])(?:https?://|www\.)[^\s,;()<>\"]+[^\s,;()<>\".:!?]")
_NUMBER_INSIDE = re.compile(r"(?<![\w.,])(?:\+\s?|\(?0\s?)[1-9][\d\s/().\-–]{4,}\d")
#: Words a name never ends in: a line ending in one runs on as a sentence ("… gibt es unter").
RUN_ON = frozenset({"unter", "an", "bei", "über", "per", "ist", "sind", "und", "oder", "sowie",
                    "zu", "von", "mit", "der", "die", "das", "den", "dem", "des", "ein", "eine",
                    "einen", "einem", "einer", "es", "sie", "er", "wir", "ihr", "uns"})
_PERSON = re.compile(PERSON, re.IGNORECASE)
_ORGANISATION = re.compile(ORGANISATION, re.IGNORECASE)
_JOINERS = re.compile(r"(?<![^\W\d_])(?:oder|und|u\.|bzw\.?|sowie|app\.?|apparat|durchwahl|dw|"
                      r"nst|nebenstelle|zentrale|tel\.?|telefon|fax|mobil)(?![^\W\d_])",
                      re.IGNORECASE)
#: A number at the end of a text piece ("Kontakt über das BüZ: 02323 / 16-3636").
_TRAILING_NUMBER = re.compile(r"(?<=\s)(?:\+|\(?0)[\d\s/().\-–]{5,}\d$")
_ACRONYM = re.compile(ACRONYM)
#: One to three capitalised words of up to ten letters: the shape of a person's name.
_PERSON_SHAPE = re.compile(r"[A-ZÄÖÜ][a-zäöüß]{1,9}(?:-[A-ZÄÖÜ][a-zäöüß]{1,9})?"
                           r"(?: [A-ZÄÖÜ][a-zäöüß]{1,9}(?:-[A-ZÄÖÜ][a-zäöüß]{1,9})?){0,2}")
#: A person's name as an addressee writes it: a title or initial, then one or two surnames.
_ADDRESSEE = re.compile(r"(?:(?i:frau|herr|hr\.|fr\.|dr\.|prof\.)\s+)*(?:[A-ZÄÖÜ]\.\s?)*"
                        r"[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+)?"
                        r"(?:\s[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+)?)?")
#: A piece that points to someone else, not a name: "Kontakt über …", "über das BüZ".
_POINTER = re.compile(r"(?:kontakt|über|via)(?![\w-])|(?:infos?|informationen|auskunft|"
                      r"auskünfte)\s+(?:zu|zum|zur|über|für|bei)(?![\w-])", re.IGNORECASE)
_LINE_LABEL = re.compile(r"^[^\W\d_][^:\d]{0,30}:\s*")
_CARE_OF = re.compile(r"(?<=\S)\s+c/o\s", re.IGNORECASE)
#: A name ending in a list it opens ("für Kinder"), and the list's rest ("Jugendliche und
#: Eltern"): one name though a comma stands in it.
_LIST_OPENER = re.compile(r"\b(?:für|von|mit)\s+[^\W\d_][\w-]*$")
_ENUMERATION = re.compile(r"^[^\W\d_][\w-]*(?:,\s*[^\W\d_][\w-]*)*\s+(?:und|u\.|oder|sowie|&)\s")
_HEADING = re.compile(r"^(?:kontakt(?:daten|adresse)?|anschrift|adresse|so erreichen sie uns)$",
                      re.IGNORECASE)
_HOURS_LINE = re.compile(r"^(?:mo|di|mi|do|fr|sa|so|montags?|dienstags?|mittwochs?|donnerstags?|"
                         r"freitags?|samstags?|sonntags?)\b\.?.*?\b\d{1,2}(?:[:.]\d{2}\b|\s*uhr\b)",
                         re.IGNORECASE)
_TIME_WORD = re.compile(r"\d|\b(?:mo|di|mi|do|fr|sa|so|uhr|montags?|dienstags?|mittwochs?|"
                        r"donnerstags?|freitags?|samstags?|sonntags?|täglich|vereinbarung|"
                        r"absprache|geschlossen|ferien)\b", re.IGNORECASE)


@dataclass
class _Piece:
    """One piece of the block: its place in the text (for order), its kind, its text."""

    at: int
    kind: str  # a label kind, or "text" for unlabelled text
    text: str
    label: str = ""


def contact_block(text: str | None) -> ContactBlock:
    """The parts of a free-text contact block; empty text gives an empty block."""
    lines = [" ".join(line.split()) for line in (text or "").splitlines()]
    text = "\n".join(line for line in lines if line)
    if not text:
        return ContactBlock()
    paragraphs = _paragraph_starts(lines)
    pieces = _pieces(text)
    found: dict[str, list] = {"phones": [], "faxes": [], "emails": [], "websites": [],
                              "hours": [], "leftover": []}
    stream = [p for p in pieces if p.kind == "text"]
    for piece in pieces:
        if piece.kind != "text":
            _labelled(piece, found)
    values = [p.at for p in pieces if p.kind != "text"]
    organisation, place = _organisation_and_address(stream, found, values, text, paragraphs)
    hours = "\n".join(found["hours"])
    return ContactBlock(
        organisation=organisation, address=place, phones=_unique(found["phones"]),
        faxes=_unique(found["faxes"]), emails=found["emails"], websites=found["websites"],
        opening_hours=OpeningHours(original=hours, osm=_safe(opening_hours, hours))
        if hours else None,
        leftover=[p.text for p in sorted(found["leftover"], key=lambda p: p.at)])


# --- cutting -------------------------------------------------------------------------------

def _pieces(text: str) -> list[_Piece]:
    """Labelled values (each with what follows its label) and unlabelled pieces, in order. A
    value that runs on into text of another shape gives that text back as unlabelled."""
    out: list[_Piece] = []
    marks = _marks(text)
    ends = [m.start() for m in marks[1:]] + [len(text)]
    _split_text(text[: marks[0].start()] if marks else text, 0, out)
    for m, end in zip(marks, ends[: len(marks)], strict=True):
        kind = m.lastgroup or "contact"
        value = text[m.end():end]
        keep = _value_length(kind, value)
        if kind in ("address", "contact"):
            keep = 0
        if value[:keep].strip(" ,;\n"):
            out.append(_Piece(m.start(), kind, value[:keep].strip(" ,;\n"),
                              m.group(0).strip()))
        elif kind not in ("address", "contact"):
            out.append(_Piece(m.start(), "empty", m.group(0).strip()))
        _split_text(value[keep:], m.end() + keep, out)
    return out


def _marks(text: str) -> list[re.Match]:
    """The labels of `text`; an office-hours label on the line of an hours value stays in that
    value ("Mo-Do 17-23 Uhr, offene Sprechstunde Mo 14-15 Uhr"), phone times excepted."""
    marks: list[re.Match] = []
    for m in _LABEL.finditer(text):
        between = text[marks[-1].end():m.start()] if marks else ""
        inside = marks and marks[-1].lastgroup == "hours" == m.lastgroup and "\n" not in between \
            and re.search(r"\d", between) and "telefon" not in m.group(0).lower()
        if not inside:
            marks.append(m)
    return marks


def _value_length(kind: str, value: str) -> int:
    """How much of the text after a label is its value: pieces of the label's kind (an hours
    text spans commas and lines of times; a person is one piece)."""
    spans = [(m.start(), m.end()) for m in _separators(value)] + [(len(value), len(value))]
    start = 0
    keep = 0
    for i, (sep_start, sep_end) in enumerate(spans):
        piece = value[start:sep_start].strip()
        newline = i > 0 and "\n" in value[spans[i - 1][0]:spans[i - 1][1]]
        if piece and not _fits(kind, piece, first=keep == 0, newline=newline):
            break
        keep = sep_start
        start = sep_end
        if kind == "person" and piece:
            break
    return keep


def _fits(kind: str, piece: str, first: bool, newline: bool) -> bool:
    if kind in ("phone", "fax", "phone_fax"):
        return bool(re.search(r"\d", piece)) and not _other_shape(piece) \
            and not _HOURS_LINE.match(piece)
    if kind == "email":
        return bool(_EMAILISH.search(piece)) or (first and not _other_shape(piece))
    if kind == "web":
        return bool(_URLISH.match(piece)) or (first and not _other_shape(piece))
    if kind == "hours":  # "Termine über Nikolsburger Platz": a place without number is words
        return (first or not newline or bool(_TIME_WORD.search(piece))) \
            and not (_other_shape(piece) and re.search(r"\d|@|www", piece))
    return first


def _other_shape(piece: str) -> bool:
    """A piece that is an address, an e-mail or a web address (not a phone or hours)."""
    return has_postcode(piece) or (is_street(piece) and bool(re.search(r"[^\W\d_]{3}", piece))
                                   and not _TIME_WORD.search(piece.split()[0])) \
        or bool(_EMAILISH.search(piece)) or bool(_URLISH.match(piece))


def _separators(text: str) -> list[re.Match]:
    """The separators of `text` outside brackets: "(kostenfrei, rund um die Uhr)" is one."""
    depth = [0]
    for ch in text:
        depth.append(max(0, depth[-1] + (ch in "([{") - (ch in ")]}")))
    if depth[-1]:  # unbalanced: the brackets say nothing
        depth = [0] * len(depth)
    return [m for m in _PIECE.finditer(text) if depth[m.start()] == 0 or "\n" in m.group(0)]


def _split_text(text: str, offset: int, out: list[_Piece]) -> None:
    """Unlabelled text into pieces; a line of weekdays and times is hours ("Di. 09:00 – 12:00
    Uhr")."""
    at = 0
    for line in text.split("\n"):
        if _HOURS_LINE.match(line.strip()):
            out.append(_Piece(offset + at, "hours", line.strip()))
        else:
            _split_line(line, offset + at, out)
        at += len(line) + 1


def _split_line(text: str, offset: int, out: list[_Piece]) -> None:
    """Pieces of one line; from a piece that opens with weekdays and times on, the rest of the
    line is hours ("Frau Muster, Tel. …, Mo–Fr 9–12 Uhr")."""
    for start, end in _segments(text):
        if _HOURS_LINE.match(text[start:].strip(" ,;:")):
            rest = text[start:].strip(" ,;:")
            out.append(_Piece(offset + start, "hours", rest.rstrip(".")))
            return
        piece = text[start:end].strip(" ,;:")
        if not (piece and re.search(r"\w", piece)):
            continue
        at = offset + start
        number = _TRAILING_NUMBER.search(piece)
        head = piece[: number.start()].strip(" :") if number else ""
        care_of = _CARE_OF.search(piece)
        if number and re.search(r"[^\W\d_]", head) and not has_postcode(piece):
            out.append(_Piece(at, "text", head))
            out.append(_Piece(at + number.start(), "text", number.group(0)))
        elif care_of:  # "Krisendienst c/o Bürgerhilfe": the name, then the address's extra
            out.append(_Piece(at, "text", piece[: care_of.start()].strip()))
            out.append(_Piece(at + care_of.start() + 1, "text", piece[care_of.start():].strip()))
        else:
            out.append(_Piece(at, "text", piece))


def _segments(text: str) -> list[tuple[int, int]]:
    """(start, end) of the pieces between separators; a comma inside a name's enumeration
    ("Ehe-, Familien- und Lebensberatung") does not cut."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in [*_separators(text), None]:
        end = m.start() if m else len(text)
        if spans and text[spans[-1][1]:start].strip() == "," and _continues(
                text[spans[-1][0]:spans[-1][1]].strip(), text[start:end].strip()):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
        start = m.end() if m else end
    return spans


def _continues(before: str, after: str) -> bool:
    """True when a comma between `before` and `after` lies inside one name: a word cut with a
    hyphen ("Ehe-, Familien-"), or a list after "für" ("für Kinder, Jugendliche und Eltern")."""
    return before.endswith("-") or after.startswith("-") or (
        bool(_LIST_OPENER.search(before)) and bool(_ENUMERATION.match(after)))


# --- values --------------------------------------------------------------------------------

def _labelled(piece: _Piece, found: dict[str, list]) -> None:
    """Parse one labelled value into its list; a value that gives nothing is leftover, and so
    is the words beside a number ("(Mo-Fr 9-12 Uhr)")."""
    kind, value = piece.kind, piece.text
    placed: list = []
    if kind in ("phone", "fax", "phone_fax"):
        placed = _add_phones(value, kind, found)  # a raw number is kept without its label
    elif kind == "email":
        placed = _add_emails(value, found)
    elif kind == "web":
        placed = _add_websites(value, found)
    elif kind == "hours":  # "Mo und Mi 10–12 Uhr unter 0341 123456": the number is a phone
        found["hours"].append(value)
        if _NUMBER_INSIDE.search(value):
            found["phones"] += [n for n in _safe(phones, value) or [] if n.e164]
        return
    if not placed:
        text = f"{piece.label} {value}".strip() if kind != "empty" else value
        found["leftover"].append(_Piece(piece.at, "leftover", text))
    elif rest := _loose_values(_remainder(value, [x.original for x in placed]), found):
        found["leftover"].append(_Piece(piece.at, "leftover", rest))


def _add_phones(text: str, kind: str, found: dict[str, list]) -> list[Phone]:
    numbers = _safe(phones, text) or []
    for number in numbers:
        if kind == "fax" or number.type == "fax":
            found["faxes"].append(number.model_copy(update={"type": "fax"}))
        else:
            found["phones"].append(number)
            if kind == "phone_fax":
                found["faxes"].append(number.model_copy(update={"type": "fax"}))
    return numbers


def _add_emails(value: str, found: dict[str, list]) -> list[EmailAddress]:
    result = _safe(emails, value) or []
    if any(e.valid for e in result) or (result and _EMAILISH.search(value)):
        found["emails"].extend(result)
        return result
    return []


def _add_websites(value: str, found: dict[str, list]) -> list[Website]:
    result = _safe(urls, value) or []
    if any(w.valid for w in result) or (result and _URLISH.match(value)):
        found["websites"].extend(result)
        return result
    return []


def _loose_values(rest: str | None, found: dict[str, list]) -> str | None:
    """`rest` without the web and e-mail addresses standing in it, which are taken ("Fax: 040
    3250 3880 www.hauptkirchen.de"); None when nothing else is left."""
    if rest is None:
        return None
    words = [w for w in rest.split() if not (
        (_URLISH.match(w.strip(",;")) and _add_websites(w.strip(",;"), found))
        or (_EMAILISH.search(w) and _add_emails(w.strip(",;"), found)))]
    left = " ".join(words).strip(" ,;:")
    return left if re.search(r"[^\W\d_]", left) else None


def _remainder(value: str, originals: list[str]) -> str | None:
    """The words of `value` that no parsed value took, when there are any beyond joiners."""
    for original in sorted(set(originals), key=len, reverse=True):
        value = value.replace(original, " ", 1) if original else value
    rest = " ".join(value.split()).strip(" ,;:/-–")
    words = _JOINERS.sub(" ", rest)
    return rest if re.search(r"[^\W\d_]", words) else None


def _paragraph_starts(lines: list[str]) -> list[int]:
    """Where each paragraph after the first begins in the block's text (its non-empty lines
    joined by newlines): a blank line opens another contact of the block."""
    starts: list[int] = []
    at, blank = 0, False
    for line in lines:
        if not line:
            blank = at > 0
            continue
        if blank:
            starts.append(at)
        at += len(line) + 1
        blank = False
    return starts


def _organisation_and_address(
    stream: list[_Piece], found: dict[str, list], values: list[int], text: str,
    paragraphs: list[int],
) -> tuple[list[str], Address | None]:
    """Sort the unlabelled pieces: contact values by shape, the address run around the
    postcode, names before it (or, without an address, before the first contact value) into
    the organisation, the rest into leftover. Lines above the address and the contact values
    are the block's heading: a name there needs no organisation word ("Telefon des
    Vertrauens", "Universität Freiburg")."""
    texts = [p for p in stream if not _HEADING.match(p.text)]  # "Kontakt" as a heading
    taken = [p for p in texts if _contact_value(p.text, found)]
    texts = [p for p in texts if p not in taken]
    values = sorted([*values, *(p.at for p in taken)])
    boundary = values[0] if values else len(text)
    first, last = _address_run(texts, text)
    place = None
    if first is not None:
        place = _safe(address, ", ".join(p.text for p in texts[first:last]))
    if place is None:
        first = last = next((i for i, p in enumerate(texts) if p.at > boundary), len(texts))
    body = min(boundary, texts[first].at if place and first < len(texts) else boundary)
    heading = text.count("\n", 0, body)  # lines before this one are the heading
    organisation: list[str] = []
    for i, piece in enumerate(texts):
        if first <= i < last:
            continue
        later = _paragraph_heading(piece.at, text, paragraphs, values)
        if not ((i < first or later) and _named(piece, text, heading, later)):
            found["leftover"].append(piece)
        elif organisation and _wrapped(piece, texts, i, text):
            organisation[-1] += " " + piece.text
        else:
            organisation.append(piece.text)
    return organisation, place


def _named(piece: _Piece, text: str, heading: int, later: bool) -> bool:
    """A name of the organisation: one with an organisation word, or in a heading (the first
    `heading` lines, or a later paragraph's) any name that is no person's."""
    line = _line_at(text, piece.at)
    if _sentence_line(line):
        return False
    in_heading = text.count("\n", 0, piece.at) < heading or later
    return _organisation_like(piece.text) or (
        in_heading and _name_like(piece.text) and not _maybe_person(piece.text, line))


def _wrapped(piece: _Piece, texts: list[_Piece], i: int, text: str) -> bool:
    """True for a line opening with a name's continuation ("für Selbsthilfegruppen") right
    below the previous name line: one name broken over two lines."""
    return i > 0 and piece.text.split()[0] in NAME_CONTINUATIONS \
        and _line_at(text, piece.at) == piece.text \
        and text.count("\n", 0, piece.at) == text.count("\n", 0, texts[i - 1].at) + 1


def _paragraph_heading(at: int, text: str, paragraphs: list[int], values: list[int]) -> bool:
    """True for a piece on a line of a later paragraph above that paragraph's first contact
    value ("Begleitete Elternschaft" over its own e-mail and number)."""
    start = max((s for s in paragraphs if s <= at), default=0)
    if not start:
        return False
    end = min((s for s in paragraphs if s > at), default=len(text))
    value = min((v for v in values if start <= v < end), default=None)
    return value is not None and text.count("\n", at, value) > 0


def _contact_value(value: str, found: dict[str, list]) -> bool:
    """Take an unlabelled e-mail, web address or phone number into `found`; False for other
    text. A number inside a sentence counts only when it is a valid one (times and dates
    there are no numbers)."""
    if _URLISH.match(value) and _add_websites(value, found):
        return True
    mailed = bool(_EMAILISH.search(value) and _add_emails(value, found))
    for url in _URL_INSIDE.finditer(value):
        mailed = bool(_add_websites(url.group(0), found)) or mailed
    numbers = _safe(phones, value) if _NUMBERISH.match(value) \
        and not _DATE.fullmatch(value) else None
    if numbers is None and _NUMBER_INSIDE.search(value) \
            and not _other_shape(_EMAILISH.sub(" ", value)):
        numbers = [n for n in _safe(phones, value) or [] if n.e164]
    for number in numbers or []:
        found["faxes" if number.type == "fax" else "phones"].append(number)
    return mailed or bool(numbers)


def _address_run(texts: list[_Piece], text: str) -> tuple[int | None, int]:
    """[first, last) of the pieces that make the address: street, extras and the postcode
    piece, a lone postcode's town after it, a state or district after the town; without a
    postcode, a named street and its town."""
    at = next((i for i, p in enumerate(texts) if has_postcode(p.text)), None)
    if at is None:
        at = next((i for i, p in enumerate(texts) if is_street(p.text)
                   and re.search(r"\d", p.text)), None)
        if at is None:
            return None, 0
        return at, at + 1 + (at + 1 < len(texts) and is_city(texts[at + 1].text))
    first, street_seen = _run_start(texts, at, text)
    last = at + 1
    lone = re.fullmatch(r"(?:DE?-)?\d{5}", texts[at].text.strip())
    if lone and last < len(texts) and is_city(texts[last].text):
        last += 1
    if not street_seen and last < len(texts) and is_street(texts[last].text):
        last += 1
    while last < len(texts) and (is_extra(texts[last].text) or is_town_part(texts[last].text)
                                 or texts[last].text.casefold() in ("deutschland", "germany")):
        last += 1
    return first, last


def _run_start(texts: list[_Piece], at: int, text: str) -> tuple[int, bool]:
    """(first piece of the address before the postcode piece `at`, whether a street is among
    them): a street with the extras before it; on the postcode's line, a "words number" piece
    is the street even without a street word ("Kleiner Pulverteich 15a")."""
    first = at
    street_seen = False
    while first > 0 and not street_seen and (is_street(texts[first - 1].text)
                                             or is_extra(texts[first - 1].text)):
        first -= 1
        street_seen = is_street(texts[first].text)
    line = text.count("\n", 0, texts[at].at)
    same_line = [j for j in range(first) if text.count("\n", 0, texts[j].at) == line]
    numbered = [j for j in same_line if has_number_street(texts[j].text)]
    if not street_seen and numbered:
        first, street_seen = numbered[-1], True
    while street_seen and first > 0 and is_extra(texts[first - 1].text):
        first -= 1
    if street_seen and first > 0 and first - 1 in same_line \
            and _ADDRESSEE.fullmatch(texts[first - 1].text) \
            and not _organisation_like(texts[first - 1].text) \
            and any(_organisation_like(p.text) for p in texts[: first - 1]):
        first -= 1  # "S. Beispiel, Hasenmark 3, 13585 Berlin": the addressee, an extra
    return first, street_seen


def _organisation_like(text: str) -> bool:
    """A name line: an organisation word or acronym, no person, no sentence."""
    named = _ORGANISATION.search(text) or _ACRONYM.search(text)
    return bool(named) and _name_like(text, prose_words=1)


def _maybe_person(piece: str, line: str) -> bool:
    """A line of one to three short capitalised words and nothing else ("Petra Beispiel",
    "Renate") may be a private person: no heading name without an organisation word. A label
    before it on its line ("Kontakt: Petra Beispiel") changes nothing."""
    return piece in (line, _LINE_LABEL.sub("", line)) and bool(_PERSON_SHAPE.fullmatch(piece))


def _sentence_line(line: str) -> bool:
    """A line written as a sentence: it ends with a full stop and holds a lower-case word other
    than a name's small words ("erreichbar unter"), or runs on into the next line ("Kontakt zu
    ihr gibt es unter"); names stand outside sentences."""
    words = line.split()
    if not words:
        return False
    last = words[-1]
    if last.casefold() in RUN_ON:
        return True
    prose = sum(1 for w in words if w[:1].islower() and w.casefold() not in CONNECTORS)
    return last.endswith(".") and prose > 0 and not re.fullmatch(
        r"(?:[^\W\d_]{1,4}\.)+|e\.\s?V\.|(?:[^\W\d_]\.)+", last, re.IGNORECASE)


def _line_at(text: str, at: int) -> str:
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return text[start:end if end >= 0 else len(text)].strip()


def _name_like(text: str, prose_words: int = 2) -> bool:
    """A name rather than a sentence, a person or a pointer elsewhere ("über Bezirksamt …")."""
    words = text.split()
    sentence = text.endswith(".") and len(words[-1]) > 4 and not text.endswith("e.V.")
    prose = sum(1 for w in words if w[:1].islower() and w.casefold() not in CONNECTORS)
    prose += 3 * any(w.strip(",.;:") in PRONOUNS for w in words[1:])
    return not _PERSON.match(text) and not sentence and prose <= prose_words \
        and len(words) <= 12 and not _POINTER.match(text) and not _HEADING.match(text)


# --- helpers -------------------------------------------------------------------------------

def _safe(parse: Callable[[str], Any], text: str) -> Any:
    """Call a shared parser; if it fails on odd text, the text stays in leftover instead."""
    try:
        return parse(text)
    except Exception:  # another step's bug must not lose a whole block
        return None


def _unique(numbers: list[Phone]) -> list[Phone]:
    """Each number once ("Tel./Fax" read by both the label and the phone parser)."""
    seen: set[tuple] = set()
    out = []
    for number in numbers:
        key = (number.e164 or number.original, number.extension)
        if key not in seen:
            seen.add(key)
            out.append(number)
    return out
