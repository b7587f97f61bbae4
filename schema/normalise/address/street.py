"""Street and house number of an address's parts, and a venue before the street."""

import re
from dataclasses import dataclass, field

from schema.normalise.address import words


@dataclass
class Street:
    street: str | None
    number: str | None
    extras: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    index: int = 0  # where the street part stood among the parts


def pick_street(parts: list[str], at: int, notes: list[str]) -> Street | None:
    """The street part: one with a street word nearest before the postcode, else after it,
    else any "words number" part; a street without number only when nothing else is there."""
    parsed = [(j, read_street(p)) for j, p in enumerate(parts)]
    found = [(j, s) for j, s in parsed if s is not None]
    named = [(j, s) for j, s in found if s.number and named_street(s.street)]
    plain = [(j, s) for j, s in found if s.number and not named_street(s.street)]
    bare = [(j, s) for j, s in found if not s.number]
    for group in (named, plain, bare):
        before = [x for x in group if x[0] < at]
        after = [x for x in group if x[0] >= at]
        if before or after:
            j, choice = before[-1] if before else after[0]
            if not before:
                notes.append("street after city")
            if not choice.number:
                notes.append("no house number")
            del parts[j]
            choice.index = j
            return choice
    return None


def read_street(part: str) -> Street | None:
    """"Rathausstr.6", "Haus der Begegnung, Hauptstraße 129 (Hinterhaus)" -> a street with
    number and extras; None when the part is a room, a building or no street at all."""
    if len(part) > words.MAX_PART or words.ALTERNATIVE_RE.match(part):
        return None
    notes = []
    if (fixed := words.GLUED.sub(r"\1 \2", part)) != part:
        part = fixed
        notes.append("space inserted between street and house number")
    if (fixed := words.DOTTED.sub(r"\1", part)) != part:
        part = fixed
        notes.append("stray dot after the street name removed")
    m = words.STREET_NO.match(part)
    if m is None:
        if _bare_street(part):
            head, name = _venue_split(part)
            return Street(name, None, [head] if head else [], notes)
        return None
    rest = m.group("rest").strip(" ,;")
    inner = words.STREET_NO.match(rest)
    if inner and named_street(inner.group("street")) and not named_street(m.group("street")):
        head = part[: len(part) - len(m.group("rest"))].strip()
        found = read_street(rest)
        if found is not None:
            return Street(found.street, found.number, [head, *found.extras], notes + found.notes)
    head, name = _venue_split(m.group("street"))
    if words.EXTRA.fullmatch(name) or (words.EXTRA.search(name) and not named_street(name)):
        return None
    number = re.sub(r"\s+", "", m.group("no")).replace("–", "-").replace("—", "-")
    extras = [head] if head else []
    if rest:
        extras.append(rest.strip("()").strip())
    return Street(name, number, extras, notes)


def _bare_street(part: str) -> bool:
    """A street named without a number ("Obersteinaer Weg", "am Lustgarten"), not a room."""
    return not re.search(r"\d", part) and not words.EXTRA.search(part) and bool(
        words.ENDING.search(part) or (named_street(part) and not words.VENUE.search(part))
        or words.LOWER_OPENER.match(part))


def _venue_split(name: str) -> tuple[str | None, str]:
    """"Evangelisches Gemeindehaus Kirchgasse" -> ("Evangelisches Gemeindehaus", "Kirchgasse"):
    the street begins at its last street word, with the words that belong to it."""
    tokens = name.split()
    start, apart = None, False
    for k, word in enumerate(tokens):
        if word.lower() in words.STREET_WORDS and k > 0:
            start, apart = (k - 1 if tokens[k - 1][:1].isupper() else k), True
        elif (word.lower() in words.STREET_WORDS or words.ENDING.search(word)
              or word in words.STREET_OPENERS):
            start, apart = k, False
    if not start:
        return None, name
    while start > 0 and _joins(tokens[start - 1]):
        start -= 1
    cut = start
    if (start > 1 and tokens[start - 1] in words.PROSE_PREPOSITIONS
            and tokens[start] in ("der", "dem", "den")):
        start += 1  # "Haus der Kirche an der Schulstraße 25": prose joins venue and street
    if cut > 0 and tokens[cut - 1] in ("im", *words.PROSE_PREPOSITIONS):
        cut -= 1
    head = " ".join(tokens[:cut])
    if start == 0 or (apart and not (words.VENUE.search(head) or words.EXTRA.search(head))):
        return None, name  # "Düstere Eichen Weg": no venue before a street word standing apart
    return head, " ".join(tokens[start:])


def _joins(word: str) -> bool:
    """True for a word that belongs to the street name after it: "Alte", "Lauenburger",
    "dem" in "Auf dem Graben", "Nikolaus-" in "Nikolaus- Dürkopp- Str."."""
    return word.endswith("-") or word in {"der", "die", "das", "den", "dem", "des"} or (
        word[:1].isupper() and (word.lower() in words.STREET_PREFIX_WORDS
                                or bool(re.fullmatch(r"[^\W\d_]{3,}er", word))))


def named_street(street: str) -> bool:
    """True when the text holds a street word ("…straße", "Weg", "Am …")."""
    tokens = street.split()
    return bool(tokens) and (tokens[0] in words.STREET_OPENERS or any(
        w.lower() in words.STREET_WORDS or words.ENDING.search(w) for w in tokens))
