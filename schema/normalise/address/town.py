"""Postcode, city and town of an address's parts."""

import re

from schema.normalise.address import words
from schema.normalise.address.street import Street, named_street
from schema.normalise.states import state_names


def split_town(city: str) -> tuple[str, str | None]:
    """"Berlin- Neukölln" -> ("Berlin", "Neukölln"); "Pulsnitz / Sachsen" -> ("Pulsnitz",
    None); "Frankfurt (Oder)" and "Castrop-Rauxel" stay whole."""
    if (m := words.SLASHED_STATE.match(city)) and state_names(m.group("state")):
        return m.group("city"), None
    if m := words.MARKED_DISTRICT.match(city):
        return m.group("city"), m.group("district")
    if (m := words.DASHED_TOWN.match(city)) and city_like(m.group("city")) \
            and city_like(m.group("district")):
        return m.group("city"), m.group("district")
    m = words.CITY_DISTRICT.match(city)
    district = m.group("district").strip() if m else ""
    if district and district.casefold() not in words.NAME_QUALIFIERS and not district.endswith("."):
        return m.group("city"), district  # "Frankfurt/M.": an abbreviation is no district
    return city, None


def postcode_and_city(parts: list[str], notes: list[str]) -> tuple[str | None, str | None, int]:
    """(postcode, city, index where the postcode part was): the parts used are removed from
    `parts`; a street found in the same part is put back as a part of its own."""
    for i, part in enumerate(parts):
        m = words.POSTCODE.search(part)
        if m is None or part.casefold().startswith("postfach"):
            continue
        before = re.sub(r"\s+in$", "", part[: m.start()].strip(" ,"))
        after = part[m.end():].strip(" ,;:")
        del parts[i]
        if after:
            city, street = _city_and_street(after)
            if remark := words.REMARK.match(city) or words.SLASHED_REMARK.match(city):
                city = remark.group("city")  # "Herne (Raum nach Absprache)", "Herne / online"
                parts.insert(i, remark.group("remark"))
            if street:
                parts.insert(i, street)  # after the postcode: pick_street notes the order
            if before:
                parts.insert(i, before)
                if words.STREET_NO.match(before) or words.ENDING.search(before):
                    notes.append("comma missing before postcode")
                i += 1
            return m.group(1), city, i
        if before and city_like(before):
            notes.append("postcode after city")
            return m.group(1), before, i
        if before:
            parts.insert(i, before)
            i += 1
        return m.group(1), _neighbour_city(parts, i, notes), i
    for i, part in enumerate(parts):
        if m := words.OLD_POSTCODE.match(part):
            del parts[i]
            notes.append("four-digit postcode from before 1993 ignored")
            return None, m.group(1), i
    return None, None, len(parts)


def postcode_once(parts: list[str], notes: list[str]) -> None:
    """A postcode written twice ("44649 Herne 44649", "44649, 44649 Herne": a postcode field
    joined to a town field that repeats it) is kept once, in the part that names the town."""
    codes = [(i, m) for i, part in enumerate(parts) if not part.casefold().startswith("postfach")
             for m in words.POSTCODE.finditer(part)]
    if len(codes) < 2 or codes[0][1].group(1) != codes[1][1].group(1):
        return
    (i, first), (j, second) = codes[:2]
    if i == j:  # "44649 Herne 44649", "44649 44649 Herne"
        part = parts[i]
        parts[i] = " ".join((part[: second.start()] + part[second.end():]).split())
    elif parts[i].strip() == first.group(0) or parts[i] == parts[j]:
        del parts[i if parts[i].strip() == first.group(0) else j]
    else:
        return
    notes.append("postcode repeated in the town; kept once")


def _city_and_street(after: str) -> tuple[str, str | None]:
    """"Herne Rathausstraße 6" -> ("Herne", "Rathausstraße 6"); a city alone stays whole."""
    tokens = after.split()
    for k in range(1, min(len(tokens), 7)):
        tail = " ".join(tokens[k:])
        m = words.STREET_NO.match(tail)
        if m and named_street(m.group("street")) and city_like(" ".join(tokens[:k])) \
                and not named_street(" ".join(tokens[:k])):
            return " ".join(tokens[:k]), tail
    return after, None


def _neighbour_city(parts: list[str], i: int, notes: list[str]) -> str | None:
    """The city of a postcode that stands alone: the next part, else the one before, else the
    first part of all ("Herne, Rathausstraße 6, 44649")."""
    for j in (i, i - 1, 0):
        if 0 <= j < len(parts) and city_like(parts[j]):
            notes.append("city taken from a separate part")
            return parts.pop(j)
    notes.append("no city")
    return None


def city_like(text: str) -> bool:
    """A town name: capitalised words without digits ("Monheim am Rhein", "Herne (Westf.)"),
    no venue, street, room or acronym."""
    tokens = text.split()
    if not tokens or len(tokens) > 6 or re.search(r"\d|@|/", text) or not tokens[0][0].isupper():
        return False
    if named_street(text) or words.EXTRA.search(text) or words.VENUE.search(text):
        return False
    for word in tokens:
        core = word.strip("()")
        if any(sum(c.isupper() for c in piece) > 1 for piece in core.split("-")) \
                and not re.fullmatch(r"[A-ZÄÖÜ]\.?-?[A-ZÄÖÜ]\w*", core):
            return False  # an acronym; "Berlin-Hohenschönhausen" is a town and its district
        if core and core[0].islower() and not words.SMALL_WORD.match(core):
            return False
    return True


def town_in_prose(parts: list[str], street: Street | None) -> str | None:
    """"Hauptstraße 5 in Musterstadt": prose names the town after "in"; taken out of the
    street's extras or the parts."""
    for pieces in ([] if street is None else street.extras, parts):
        for k, piece in enumerate(pieces):
            m = re.fullmatch(r"in\s+([A-ZÄÖÜ].*)", piece)
            if m and city_like(m.group(1)):
                del pieces[k]
                return m.group(1)
            m = words.VENUE_IN_TOWN.match(piece)
            if m and city_like(m.group("town")) and not words.ABSTRACT.search(m.group("town")):
                pieces[k] = m.group("venue")
                return m.group("town")
    return None


def drop_town_after_venue(city: str | None, parts: list[str], street: Street | None) -> None:
    """"Stadthalle in Kleinstadt, …, 12345 Kleinstadt": the venue's "in <town>" repeats the
    town and is no part of the extra."""
    for pieces in ([] if street is None else street.extras, parts):
        for k, piece in enumerate(pieces):
            m = words.VENUE_IN_TOWN.match(piece)
            if m and city and m.group("town").casefold() == city.casefold():
                pieces[k] = m.group("venue")


def venue_town(parts: list[str]) -> str | None:
    """Without street and postcode, a place named before its town ("Holzwurmhaus Falkenberg,
    Berlin"): the last part is the town when it is a large city or the names before it are a
    venue or building; a town alone, or two towns, stay unread."""
    if len(parts) < 2 or not city_like(parts[-1]):
        return None
    if any(words.VENUE.search(p) or words.EXTRA.search(p) for p in parts[:-1]):
        return parts.pop()
    town = split_town(parts[-1])[0]
    if town in words.DISTRICT_CITIES and all(len(p.split()) > 1 for p in parts[:-1]):
        return parts.pop()  # a one-word name before it may be another town ("Herne, Bochum")
    return None


def city_state(postcode: str | None, city: str | None) -> str | None:
    """Without a postcode, a city that is itself a Bundesland (Berlin, Hamburg, Bremen)."""
    if postcode or not city:
        return None
    names = {name for name in state_names(city) if name.casefold() == city.casefold()}
    return names.pop() if len(names) == 1 else None


def trailing_city(parts: list[str], street: Street | None) -> str | None:
    """Without a postcode, the last part may still be the town ("Rathausstraße 6, Herne",
    "…, Halle / Saale" with its river or region after a slash), or "in" and the town may
    follow the house number ("Seestraße 25a in Schwerin"); a name before the street is a
    venue ("Altes Helmholtz, Gerresheimer Straße 20")."""
    if street is None:
        return None
    if len(parts) > street.index and (city_like(parts[-1]) or _slashed_town(parts[-1])):
        return parts.pop()
    if street.number and street.extras and (m := words.IN_TOWN.match(street.extras[-1])) \
            and city_like(m.group(1)):
        street.extras.pop()
        return m.group(1)
    if street.index > 0 and split_town(parts[0])[1] and words.DASHED_TOWN.match(parts[0]):
        return parts.pop(0)  # "Saarbrücken - St. Johann, Johannisstraße 2": town, district
    return None


def _slashed_town(text: str) -> bool:
    """"Frankfurt / Main", "Lüchow / Wendland": a town, a slash, its river or region."""
    halves = text.split(" / ")
    return len(halves) == 2 and all(city_like(h) for h in halves)
