"""German address text -> street, house number, extras, postcode, city and Bundesland.

Sources write addresses in every order and with every slip: "Rathausstr.6", "Herne 44649",
"Rathausstraße 6 44649 Herne" without a comma, street and town on two lines, a venue or a room
before the street. Each part is recognised by its shape; a repair or doubt is written to
`notes`, and a text that names no place ("online", "wechselnde Orte", "Ort auf Anfrage") is
kept raw with a note instead of being guessed into fields. Abbreviations ("Str.") are kept as
written: the original spelling is the source's, not ours.
"""

import functools
import re

from schema.listing import Address
from schema.normalise.address import words
from schema.normalise.address.street import Street, named_street, pick_street, read_street
from schema.normalise.address.town import (
    city_like,
    city_state,
    drop_town_after_venue,
    postcode_and_city,
    postcode_once,
    split_town,
    town_in_prose,
    trailing_city,
    venue_town,
)
from schema.normalise.states import state_for_postcode, state_names
from schema.normalise.text import MEMO


@functools.lru_cache(maxsize=MEMO)
def address(text: str | None, district: str | None = None) -> Address | None:
    """The address in `text`, or None for empty text; `original` is always kept, and a text
    that is no address comes back with only `original` and a note."""
    lines = [" ".join(line.split()) for line in (text or "").splitlines()]
    original = "\n".join(line for line in lines if line)
    if not re.search(r"[^\W_]", original):
        return None
    if len(original) > words.MAX_LENGTH:
        return Address(original=original, district=district,
                       notes=["too long for an address; kept raw"])
    parts = _parts(original)
    notes: list[str] = []
    postcode_once(parts, notes)
    postcode, city, at = postcode_and_city(parts, notes)
    street = pick_street(parts, at, notes)
    if postcode is None and city is None:
        city = venue_town(parts) if street is None and not _vague(original) else None
        if city is None and (street is None or street.number is None):
            notes = _vague(original) or ["no street or postcode found; kept raw"]
            return Address(original=original, district=district, notes=notes)
    if postcode is None:
        city = city or town_in_prose(parts, street) or trailing_city(parts, street)
        notes.append("no postcode")
    city, named = _town(city, parts, postcode, notes)
    drop_town_after_venue(city, parts, street)
    notes += _doubts(original, parts)
    state = _state(postcode, city, notes)
    street = street or Street(None, None)
    notes += street.notes
    return Address(street=street.street, house_number=street.number,
                   extra=", ".join(_ordered([*street.extras, *parts], original)) or None,
                   postcode=postcode, city=city or None, district=district or named,
                   state=state, original=original, notes=list(dict.fromkeys(notes)))


def _state(postcode: str | None, city: str | None, notes: list[str]) -> str | None:
    """The Bundesland of the postcode (or of a city-state's name); a note when unknown."""
    state = state_for_postcode(postcode) or city_state(postcode, city)
    if postcode and state is None:
        notes.append(f"state unknown for postcode {postcode}")
    return state


def _parts(original: str) -> list[str]:
    """The text cut at its separators, a bracket kept whole ("(Hochhaus, EG)") and a street
    in brackets after a venue made a part of its own; country names and labels dropped."""
    pieces: list[str] = []
    for piece in words.SEPARATOR.split(words.LABEL.sub("", _joined_lines(original))):
        if pieces and pieces[-1].count("(") > pieces[-1].count(")"):
            pieces[-1] += ", " + piece
        elif m := words.BRACKETED_STREET.match(piece.strip(" :")):
            pieces += [m.group("name"), m.group("street")] if is_street(m.group("street")) \
                else [piece]
        else:
            pieces.append(piece)
    parts = []
    for piece in (p.strip(" :") for p in pieces):
        m = words.DOTTED_TOWN.match(piece)
        if m and city_like(m.group("town")) and has_number_street(m.group("street")):
            parts += [m.group("street"), m.group("town")]
        else:
            parts.append(piece)
    return [p for p in parts if p and p.casefold() not in words.COUNTRIES and re.search(r"\w", p)]


def _joined_lines(original: str) -> str:
    """A line break inside an open bracket or after a word that needs a continuation ("in",
    "der") wraps one part over two lines; it is no separator."""
    lines = original.split("\n")
    text = lines[0]
    for line in lines[1:]:
        tokens = text.split()
        wrapped = (text.count("(") > text.count(")")
                   or (tokens and tokens[-1] in words.OPEN_LINE_ENDS))
        text += (" " if wrapped else "\n") + line
    return text


def _town(city: str | None, parts: list[str], postcode: str | None,
          notes: list[str]) -> tuple[str | None, str | None]:
    """(town, district): a district written after the town ("Berlin-Wilmersdorf", "Sehnde /
    OT Ilten", ", OT Ilbeshausen") is split off; a state name after the town is dropped, as
    the postcode gives the state."""
    if city is None:
        return None, None
    district = None
    for part in list(parts):
        if m := words.DISTRICT_PART.match(part):
            district = m.group("district")
            parts.remove(part)
        elif (m := words.MUNICIPALITY.match(part)) and city_like(m.group("town")) \
                and m.group("town") != city:
            city, district = m.group("town"), city
            parts.remove(part)
        elif names := state_names(part):
            parts.remove(part)
            if (state := state_for_postcode(postcode)) and state not in names:
                notes.append(f"state name {part!r} disagrees with the postcode; postcode used")
    city, found = split_town(city)
    return city, district or found


def _doubts(original: str, parts: list[str]) -> list[str]:
    """Notes on what the text holds besides one address: vague places, phones, postcodes."""
    notes = [note.replace("not an address", "doubt") for note in _vague(original)]
    if any(words.PHONE.search(part) for part in parts):
        notes.append("phone number in address text")
    if any(has_postcode(part) for part in parts):
        notes.append("more than one address; the first is used")
    return notes


# --- shapes, for callers that cut an address out of a longer text (contact blocks) -------

def has_postcode(text: str) -> bool:
    """True when `text` holds a five-digit postcode beside a town, or alone ("44649 Herne",
    "Herne 44649", "44649"); "02323 123456" is a phone number, "Postfach 12345" no postcode."""
    return bool(words.POSTCODE_TOWN.search(text)) and not text.casefold().startswith("postfach")


def is_street(text: str) -> bool:
    """True for "Rathausstraße 6", "Am Lindenhof 2", "Rathausplatz" (not "Raum 104")."""
    found = read_street(text)
    return found is not None and (named_street(found.street) or len(found.street.split()) == 1)


def is_extra(text: str) -> bool:
    """True for a building, floor or room ("Geb. E", "2. OG", "Raum 104", "c/o …")."""
    return bool(words.EXTRA.search(text)) and not is_street(text) and not has_postcode(text)


def has_number_street(text: str) -> bool:
    """True for "words number" that can only be a street with its house number ("Rostocker
    Chausee 70", "Kleiner Pulverteich 15a"), even without a street word."""
    found = read_street(text)
    return found is not None and found.number is not None and not has_postcode(text)


def is_town_part(text: str) -> bool:
    """True for what publishers write after the town: a state name ("NRW") or a district
    marked as such ("OT Ilten")."""
    return bool(words.DISTRICT_PART.match(text) or state_names(text))


# --- the rest ------------------------------------------------------------------------------

def _vague(text: str) -> list[str]:
    return [note for pattern, note in words.NOT_A_PLACE_RE if pattern.search(text)]


def _ordered(extras: list[str], original: str) -> list[str]:
    """Extras in the order they stand in the original, each once."""
    unique = list(dict.fromkeys(e for e in extras if e))
    return sorted(unique, key=lambda e: (original.find(e) if e in original else len(original)))
