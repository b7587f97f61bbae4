"""A contact block's organisation and address: the address run around the postcode, the
names before it (or heading a paragraph), the rest leftover."""

import re

from schema.listing import Address
from schema.normalise.address import (
    address,
    city_like,
    has_number_street,
    has_postcode,
    is_extra,
    is_street,
    is_town_part,
)
from schema.normalise.contact_block import words
from schema.normalise.contact_block.cut import Piece
from schema.normalise.contact_block.values import contact_value, safe


def paragraph_starts(lines: list[str]) -> list[int]:
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


def organisation_and_address(
    stream: list[Piece], found: dict[str, list], values: list[int], text: str,
    paragraphs: list[int],
) -> tuple[list[str], Address | None]:
    """Sort the unlabelled pieces: contact values by shape, the address run around the
    postcode, names before it (or, without an address, before the first contact value) into
    the organisation, the rest into leftover. Lines above the address and the contact values
    are the block's heading: a name there needs no organisation word ("Telefon des
    Vertrauens", "Universität Freiburg")."""
    texts = [p for p in stream if not words.HEADING.match(p.text)]  # "Kontakt" as a heading
    taken = [p for p in texts if contact_value(p.text, found)]
    texts = [p for p in texts if p not in taken]
    values = sorted([*values, *(p.at for p in taken)])
    boundary = values[0] if values else len(text)
    first, last = _address_run(texts, text)
    place = None
    if first is not None:
        place = safe(address, ", ".join(p.text for p in texts[first:last]))
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


def _named(piece: Piece, text: str, heading: int, later: bool) -> bool:
    """A name of the organisation: one with an organisation word, or in a heading (the first
    `heading` lines, or a later paragraph's) any name that is no person's."""
    line = _line_at(text, piece.at)
    if _sentence_line(line):
        return False
    in_heading = text.count("\n", 0, piece.at) < heading or later
    return _organisation_like(piece.text) or (
        in_heading and _name_like(piece.text) and not _maybe_person(piece.text, line))


def _wrapped(piece: Piece, texts: list[Piece], i: int, text: str) -> bool:
    """True for a line opening with a name's continuation ("für Selbsthilfegruppen") right
    below the previous name line: one name broken over two lines."""
    return i > 0 and piece.text.split()[0] in words.NAME_CONTINUATIONS \
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


def _address_run(texts: list[Piece], text: str) -> tuple[int | None, int]:
    """[first, last) of the pieces that make the address: street, extras and the postcode
    piece, a lone postcode's town after it, a state or district after the town; without a
    postcode, a named street and its town."""
    at = next((i for i, p in enumerate(texts) if has_postcode(p.text)), None)
    if at is None:
        at = next((i for i, p in enumerate(texts) if is_street(p.text)
                   and re.search(r"\d", p.text)), None)
        if at is None:
            return None, 0
        return at, at + 1 + (at + 1 < len(texts) and city_like(texts[at + 1].text))
    first, street_seen = _run_start(texts, at, text)
    last = at + 1
    lone = re.fullmatch(r"(?:DE?-)?\d{5}", texts[at].text.strip())
    if lone and last < len(texts) and city_like(texts[last].text):
        last += 1
    if not street_seen and last < len(texts) and is_street(texts[last].text):
        last += 1
    while last < len(texts) and (is_extra(texts[last].text) or is_town_part(texts[last].text)
                                 or texts[last].text.casefold() in ("deutschland", "germany")):
        last += 1
    return first, last


def _run_start(texts: list[Piece], at: int, text: str) -> tuple[int, bool]:
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
            and words.ADDRESSEE.fullmatch(texts[first - 1].text) \
            and not _organisation_like(texts[first - 1].text) \
            and any(_organisation_like(p.text) for p in texts[: first - 1]):
        first -= 1  # "S. Beispiel, Hasenmark 3, 13585 Berlin": the addressee, an extra
    return first, street_seen


def _organisation_like(text: str) -> bool:
    """A name line: an organisation word or acronym, no person, no sentence."""
    named = words.ORGANISATION_WORD.search(text) or words.ACRONYM_WORD.search(text)
    return bool(named) and _name_like(text, prose_words=1)


def _maybe_person(piece: str, line: str) -> bool:
    """A line of one to three short capitalised words and nothing else ("Petra Beispiel",
    "Renate") may be a private person: no heading name without an organisation word. A label
    before it on its line ("Kontakt: Petra Beispiel") changes nothing."""
    return (piece in (line, words.LINE_LABEL.sub("", line))
            and bool(words.PERSON_SHAPE.fullmatch(piece)))


def _sentence_line(line: str) -> bool:
    """A line written as a sentence: it ends with a full stop and holds a lower-case word other
    than a name's small words ("erreichbar unter"), or runs on into the next line ("Kontakt zu
    ihr gibt es unter"); names stand outside sentences."""
    tokens = line.split()
    if not tokens:
        return False
    last = tokens[-1]
    if last.casefold() in words.RUN_ON:
        return True
    prose = sum(1 for w in tokens if w[:1].islower() and w.casefold() not in words.CONNECTORS)
    return last.endswith(".") and prose > 0 and not re.fullmatch(
        r"(?:[^\W\d_]{1,4}\.)+|e\.\s?V\.|(?:[^\W\d_]\.)+", last, re.IGNORECASE)


def _line_at(text: str, at: int) -> str:
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return text[start:end if end >= 0 else len(text)].strip()


def _name_like(text: str, prose_words: int = 2) -> bool:
    """A name rather than a sentence, a person or a pointer elsewhere ("über Bezirksamt …")."""
    tokens = text.split()
    sentence = text.endswith(".") and len(tokens[-1]) > 4 and not text.endswith("e.V.")
    prose = sum(1 for w in tokens if w[:1].islower() and w.casefold() not in words.CONNECTORS)
    prose += 3 * any(w.strip(",.;:") in words.PRONOUNS for w in tokens[1:])
    return not words.PERSON_LINE.match(text) and not sentence and prose <= prose_words \
        and len(tokens) <= 12 and not words.POINTER.match(text) and not words.HEADING.match(text)
