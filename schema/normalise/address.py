"""German address text -> street, house number, extras, postcode, city.

Issue #4 adds the postcode -> Bundesland table and repairs of common slips.
"""

import re

from schema.listing import Address

_POSTCODE_CITY = re.compile(r"\b(?:D-)?(\d{5})\s+(.+)$")
_STREET_NO = re.compile(
    r"^(?P<street>\D.*?)\s+(?P<no>\d+\s?[a-zA-Z]?(?:\s?[-–/]\s?\d+\s?[a-zA-Z]?)?)$"
)


def address(text: str | None, district: str | None = None) -> Address | None:
    if not text or not text.strip():
        return None
    original = " ".join(text.split())
    parts = [p.strip() for p in re.split(r"[,\n;]", text) if p.strip()]
    street = number = postcode = city = None
    extras = []
    for part in parts:
        part = " ".join(part.split())
        if postcode is None and (m := _POSTCODE_CITY.search(part)):
            postcode, city = m.group(1), m.group(2).strip()
            before = part[: m.start()].strip()
            if before:
                extras.append(before)
        elif street is None and (m := _STREET_NO.match(part)):
            street, number = m.group("street"), m.group("no").replace(" ", "")
        else:
            extras.append(part)
    return Address(street=street, house_number=number, extra=", ".join(extras) or None,
                   postcode=postcode, city=city, district=district, original=original)
