"""German address text -> street, house number, extras, postcode, city.

Issue #4 adds the postcode -> Bundesland table and repairs of common slips.
"""

import re

from schema.listing import Address

_POSTCODE_CITY = re.compile(r"\b(?:D-)?(\d{5})\s+(.+)$")
_STREET_WORD = re.compile(
    r"(?:stra(?:ß|ss)e|str\.|weg|platz|allee|ring|gasse|damm|ufer|markt|wall|chaussee|pfad|"
    r"steig|hof|berg|feld|graben|kamp|park)\b|^(?:am|an der|auf dem|im|in der|zum|zur)\s",
    re.IGNORECASE)
_STREET_NO = re.compile(
    r"^(?P<street>\D.*?)\s+(?P<no>\d+\s?[a-zA-Z]?(?:\s?[-–/]\s?\d+\s?[a-zA-Z]?)?)$"
)


def address(text: str | None, district: str | None = None) -> Address | None:
    if not text or not text.strip():
        return None
    original = " ".join(text.split())
    parts = [" ".join(p.split()) for p in re.split(r"[,\n;]", text) if p.strip()]
    postcode = city = None
    extras = []
    for part in parts:
        if postcode is None and (m := _POSTCODE_CITY.search(part)):
            postcode, city = m.group(1), m.group(2).strip()
            if before := part[: m.start()].strip():
                extras.append(before)
        else:
            extras.append(part)
    street_part = _pick_street(extras)
    street = number = None
    if street_part is not None:
        extras.remove(street_part)
        m = _STREET_NO.match(street_part)
        street, number = m.group("street"), m.group("no").replace(" ", "")
    return Address(street=street, house_number=number, extra=", ".join(extras) or None,
                   postcode=postcode, city=city, district=district, original=original)


def _pick_street(parts: list[str]) -> str | None:
    """"Gruppenraum 2, BüZ, Rathausstraße 6": the part that looks like a street wins; else the
    last "words number" part, which is where German addresses put the street."""
    candidates = [p for p in parts if _STREET_NO.match(p)]
    named = [p for p in candidates if _STREET_WORD.search(p)]
    return (named or candidates or [None])[-1]
