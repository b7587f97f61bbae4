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
from dataclasses import dataclass, field

from schema.listing import Address
from schema.normalise.states import state_for_postcode, state_names
from schema.normalise.text import MEMO

# --- tables ------------------------------------------------------------------------------

#: Texts that name no place: (pattern, note). Checked when no street or postcode is found.
NOT_A_PLACE: tuple[tuple[str, str], ...] = (
    (r"\b(?:online|virtuell|zoom|videokonferenz|video-?(?:treffen|chat)|webex|jitsi|skype|"
     r"telefonkonferenz|im internet|digital)", "not an address: online"),
    (r"\b(?:wechselnde[nr]?|verschiedene[nr]?|unterschiedliche[nr]?)\s+(?:orte?|treffpunkte?|"
     r"räume?|räumlichkeiten|lokale?)|\breihum\b|\bort wechselt",
     "not an address: changing places"),
    (r"\bauf (?:anfrage|nachfrage)|\bnach (?:telefonischer |vorheriger )?(?:vereinbarung|"
     r"absprache|anmeldung)|\berfragen\b|\bmitgeteilt\b|\bbitte anfragen",
     "not an address: place on request"),
)
#: Words of a building, floor or room ("Geb. E", "2. OG", "Raum 104"): never a street.
EXTRA_WORDS = (r"geb\.|gebäude|haus|raum|räume|zimmer|zi\.|saal|etage|stock|stockwerk|og|eg|"
               r"ug|dg|ebene|flur|trakt|aufgang|eingang|treppe|tür|station|hinterhaus|"
               r"vorderhaus|seitenflügel|hinterhof|innenhof|c/o|z\.\s?hd\.?|postfach|"
               r"obergeschoss|erdgeschoss|untergeschoss|dachgeschoss|bau|block|app\.|"
               r"hochparterre|parterre|souterrain|hochhaus|anbau|neubau|altbau|nebengebäude|"
               r"pavillon|villa|kate|baracke")
#: Words that open a second address beside the street ("Briefadresse: …", "Eingang …"):
#: the part they open is an extra, never the street.
ALTERNATIVE = (r"(?:besucher|brief|post|liefer|rechnungs|haus)?adresse|postanschrift|"
               r"besucheranschrift|eingang|zugang|zufahrt")
#: Cities whose districts are commonly written after the name ("Berlin-Wilmersdorf",
#: "Hannover (Linden)", "Berlin / Pankow"): the German cities of more than 200,000 people.
#: Elsewhere a hyphenated name is one town ("Castrop-Rauxel", "Pausa-Mühltroff").
DISTRICT_CITIES = (
    "Berlin", "Hamburg", "München", "Köln", "Frankfurt", "Stuttgart", "Düsseldorf", "Leipzig",
    "Dortmund", "Essen", "Bremen", "Dresden", "Hannover", "Nürnberg", "Duisburg", "Bochum",
    "Wuppertal", "Bielefeld", "Bonn", "Münster", "Mannheim", "Karlsruhe", "Augsburg",
    "Wiesbaden", "Mönchengladbach", "Gelsenkirchen", "Aachen", "Braunschweig", "Kiel",
    "Chemnitz", "Halle", "Magdeburg", "Freiburg", "Krefeld", "Mainz", "Lübeck", "Erfurt",
    "Oberhausen", "Rostock", "Kassel")
#: What follows such a city's name as part of the town's own name ("Frankfurt (Oder)",
#: "Halle (Saale)"), not a district.
NAME_QUALIFIERS = frozenset({"oder", "main", "saale", "westf.", "westfalen", "breisgau", "elbe",
                             "i. br.", "i.br.", "a. m.", "a.m.", "am main", "an der oder"})
#: Words that name a part of a town ("OT Ilten", "Ortsteil Wanne").
DISTRICT_WORDS = r"ot|ortsteil|stadtteil|stadtbezirk|bezirk"
#: Endings of a street name written as one word ("Rathausstraße", "Kirchweg").
STREET_ENDINGS = (r"straße|strasse|str\.?|weg|platz|allee|gasse|damm|ufer|chaussee|ring|pfad|"
                  r"steig|stieg|wall|markt|graben|kamp|twiete|promenade|winkel|bogen|anger|"
                  r"kai|steg|zeile|passage|brücke|straat")
#: A street word standing on its own after a name ("Erkrather Straße", "Platz der Republik").
STREET_WORDS = frozenset({"straße", "strasse", "str.", "weg", "platz", "allee", "gasse", "damm",
                          "ufer", "chaussee", "ring", "pfad", "steig", "wall", "markt",
                          "graben", "kamp", "promenade", "winkel", "bogen", "anger", "kai"})
#: Capitalised words that open a street name ("Am Lindenhof", "Unter den Linden").
STREET_OPENERS = frozenset({"Am", "An", "Auf", "Im", "In", "Zum", "Zur", "Unter", "Hinter",
                            "Vor", "Bei", "Beim", "Über", "Hinterm", "Vorm", "Unterm", "Auf'm"})
#: Words that stay with the street when they stand right before it ("Alte Kirchstraße").
STREET_PREFIX_WORDS = frozenset({
    "am", "an", "auf", "im", "in", "zum", "zur", "unter", "hinter", "vor", "bei", "beim",
    "über", "der", "die", "das", "den", "dem", "des", "st.", "sankt", "bad", "alte", "alten",
    "alter", "altes", "neue", "neuen", "neuer", "neues", "große", "großen", "großer",
    "kleine", "kleinen", "kleiner", "lange", "langen", "langer", "hohe", "hohen", "hoher",
    "obere", "oberen", "oberer", "untere", "unteren", "unterer", "breite", "breiten",
    "kurze", "kurzen", "mittlere", "mittleren", "hinterm", "vorm", "unterm"})
#: Words that make a name a venue or an organisation, not a town. Plain "-haus", "-heim",
#: "Halle" are left out: Heiligenhaus, Monheim and Halle (Saale) are towns.
VENUE_ENDINGS = (r"zentrum|stätte|büro|treff|treffpunkt|kirche|klinik|krankenhaus|café|cafe|"
                 r"saal|raum|schule|verein|gruppe|stelle|kontaktstelle|e\.\s?v\.|ggmbh|gmbh|"
                 r"netzwerk|selbsthilfe|(?:gemeinde|pfarr|bürger|rat|jugend|kranken|ärzte|"
                 r"senioren|alten|kinder|vereins|familien|generationen|begegnungs|hospiz|"
                 r"gast|gotteshaus)(?:haus|heim)|(?:stadt|turn|fest|sport|mehrzweck)halle")
#: Lower-case prepositions by which prose puts a venue before its street or town ("Haus X an
#: der Schulstraße 5", "Kino Y in Bad Segeberg"); capitalised they open a street name.
PROSE_PREPOSITIONS = ("in", "an")
#: Words a line may end on when the line break falls inside one part ("… in\nDüsseldorf").
OPEN_LINE_ENDS = frozenset({"in", "an", "am", "im", "bei", "über", "zur", "zum", "der", "den",
                            "dem", "des", "und", "oder"})
#: Endings of abstract nouns that follow "in" in prose ("in Gründung", "in Kooperation",
#: "in Präsenz"): no town.
ABSTRACT_ENDINGS = r"ung|heit|keit|schaft|tion|tät|arbeit|präsenz"
COUNTRIES = frozenset({"deutschland", "germany", "de", "brd", "bundesrepublik deutschland"})
#: Lead-in labels before an address ("Anschrift: …").
LABELS = r"anschrift|adresse|postanschrift|besucheranschrift|hausanschrift|treffpunkt|ort"

#: Longer text is a description, not an address; longer parts are no street.
MAX_LENGTH = 400
MAX_PART = 120

# --- patterns ----------------------------------------------------------------------------

#: Commas, semicolons, line breaks, dots and bars; a spaced dash or slash only after a house
#: number or before a postcode ("Rathausstraße 6 – 44649 Herne"), as names hold dashes too.
_SEPARATOR = re.compile(
    r"\s*(?:[,;\n|·•]|(?<=\d)\s+[–—/-]\s+(?=[^\d\s])|(?<=[\d\s][a-zA-Z])\s+[–—/-]\s+(?=\D)|"
    r"\s+[–—/-]\s+(?=(?:DE?-)?\d{5}(?!\d)))\s*")
_LABEL = re.compile(rf"^(?:{LABELS})\s*:\s*", re.IGNORECASE)
_POSTCODE = re.compile(r"(?<![\w-])(?:DE?\s?-\s?)?([0-9]{5})(?![0-9])")
_POSTCODE_TOWN = re.compile(r"(?<![\w/-])(?:DE?\s?-\s?)?[0-9]{5}\s*[^\W\d_]|"
                            r"^\s*(?:DE?\s?-\s?)?[0-9]{5}\s*$|[^\W\d_]{2}\.?\)?\s+[0-9]{5}\s*$")
#: A bracketed remark of several words after a town; "(Westf.)", "(Saale)" stay in the name.
_REMARK = re.compile(r"^(?P<city>.*?[^\W\d_].*?)\s*\((?P<remark>[^()]*\s[^()]*)\)$")
_PHONE = re.compile(r"\b(?:tel|telefon|fon|fax|mobil)\b|\b0\d{2,5}\s?[/-]?\s?\d{3,}",
                    re.IGNORECASE)
_VAGUE = "|".join(pattern for pattern, _ in NOT_A_PLACE)
_SLASHED_REMARK = re.compile(rf"^(?P<city>.+?)\s+/\s+(?P<remark>.*(?:{_VAGUE}).*)$", re.IGNORECASE)
_ALTERNATIVE = re.compile(rf"^(?:{ALTERNATIVE})\b", re.IGNORECASE)
_BRACKETED_STREET = re.compile(r"^(?P<name>[^()]*[^\W\d_][^()]*?)\s*"
                               r"\((?P<street>[^()]+\d[^()]*)\)$")
_DISTRICT_PART = re.compile(rf"^(?:{DISTRICT_WORDS})\.?\s+(?P<district>[^\W\d_].*)$",
                            re.IGNORECASE)
_MARKED_DISTRICT = re.compile(rf"^(?P<city>.+?)\s*[/,]?\s+(?:{DISTRICT_WORDS})\.?\s+"
                              r"(?P<district>[^\W\d_].*)$", re.IGNORECASE)
_CITY_DISTRICT = re.compile(rf"^(?P<city>{'|'.join(DISTRICT_CITIES)})\s*(?:-\s*|/\s*|\()"
                            r"(?P<district>[^\W\d_][^()/]*?)\)?$")
#: A town and its district joined by a spaced dash ("Saarbrücken - St. Johann").
_DASHED_TOWN = re.compile(r"^(?P<city>[^\W\d_][^–—-]*?)\s+[–—-]\s+(?P<district>[^\W\d_][^–—-]*)$")
#: A venue and, after "in", its town ("Kino CinePlanet5 in Bad Segeberg").
_VENUE_IN_TOWN = re.compile(r"^(?P<venue>\S.*?)\s+in\s+(?P<town>[A-ZÄÖÜ][^()]*)$")
_ABSTRACT = re.compile(rf"(?:{ABSTRACT_ENDINGS})$", re.IGNORECASE)
#: The municipality named after a village that belongs to it ("Fleestedt, Gemeinde Seevetal").
_MUNICIPALITY = re.compile(r"^Gemeinde\s+(?P<town>[A-ZÄÖÜ].*)$")
_SLASHED_STATE = re.compile(r"^(?P<city>.+?)\s+/\s+(?P<state>[^/]+)$")
#: A dot after a street word written in full ("Hemauerstraße. 8"); "Str. 8" keeps its dot.
_DOTTED = re.compile(r"(?<=[^\W\d_])(straße|strasse|weg|platz|allee|gasse|ring|damm)\.(?=\s+\d)",
                     re.IGNORECASE)
#: A street opened by a lower-case preposition ("am Lustgarten", "an der Alster"); not "auf
#: Anfrage", "vor Ort", "über …".
_LOWER_OPENER = re.compile(r"^(?:am|zum|zur|beim|an\s+(?:der|den|dem))\s+[A-ZÄÖÜ][^\W\d_]+$")
#: The town after the house number, opened by "in" ("Crailsheimstraße 6 in Traunstein").
_IN_TOWN = re.compile(r"^in\s+(\S.*)$")
#: A full stop between the house number and the town ("Spieltordamm 9. Schwerin").
_DOTTED_TOWN = re.compile(r"^(?P<street>.*\d[a-zA-Z]?)\.\s+(?P<town>[^\d.]+)$")
_OLD_POSTCODE = re.compile(r"^(?:[WO]\s?-\s?)?\d{4}\s+([^\W\d_].*)$")
_NUM = r"[0-9]{1,4}(?:\s?[a-zA-Z](?![^\W\d_]))?"
_HOUSE = rf"{_NUM}(?:\s?[-–—/]\s?(?:{_NUM}|[a-zA-Z](?![^\W\d_])))?"
_STREET_NO = re.compile(
    rf"^(?P<street>.*?[^\W\d_].*?)\s+(?:(?:Nr|Hausnr)\.?\s*)?(?P<no>{_HOUSE})"
    rf"(?P<rest>(?:[\s(,;].*)?)$", re.DOTALL)
_GLUED = re.compile(rf"((?:{STREET_ENDINGS})\.?)(\d)", re.IGNORECASE)
_EXTRA = re.compile(rf"(?<![^\W\d_])(?:{EXTRA_WORDS})(?![^\W\d_])|[^\W\d_]+raum\b|"
                    r"\d+\.\s?(?:og|etage|stock|obergeschoss)\b", re.IGNORECASE)
_ENDING = re.compile(rf"[^\W\d_]-?(?:{STREET_ENDINGS})$", re.IGNORECASE)
_VENUE = re.compile(rf"(?:{VENUE_ENDINGS})\b", re.IGNORECASE)
_NOT_A_PLACE = tuple((re.compile(p, re.IGNORECASE), note) for p, note in NOT_A_PLACE)
_SMALL_WORD = re.compile(r"^(?:[a-zäöü]{1,3}\.?|[a-z]\.[a-z]\.|am|an|der|den|dem|im|in|bei|ob|"
                         r"auf|vor|unter|über|zu)$")


@dataclass
class _Street:
    street: str | None
    number: str | None
    extras: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    index: int = 0  # where the street part stood among the parts


@functools.lru_cache(maxsize=MEMO)
def address(text: str | None, district: str | None = None) -> Address | None:
    """The address in `text`, or None for empty text; `original` is always kept, and a text
    that is no address comes back with only `original` and a note."""
    lines = [" ".join(line.split()) for line in (text or "").splitlines()]
    original = "\n".join(line for line in lines if line)
    if not re.search(r"[^\W_]", original):
        return None
    if len(original) > MAX_LENGTH:
        return Address(original=original, district=district,
                       notes=["too long for an address; kept raw"])
    parts = _parts(original)
    notes: list[str] = []
    _postcode_once(parts, notes)
    postcode, city, at = _postcode_and_city(parts, notes)
    street = _pick_street(parts, at, notes)
    if postcode is None and city is None:
        city = _venue_town(parts) if street is None and not _vague(original) else None
        if city is None and (street is None or street.number is None):
            return _declined(original, district)
    if postcode is None:
        city = city or _town_in_prose(parts, street) or _trailing_city(parts, street)
        notes.append("no postcode")
    city, named = _town(city, parts, postcode, notes)
    _drop_town_after_venue(city, parts, street)
    notes += _doubts(original, parts)
    state = _state(postcode, city, notes)
    street = street or _Street(None, None)
    notes += street.notes
    return Address(street=street.street, house_number=street.number,
                   extra=", ".join(_ordered([*street.extras, *parts], original)) or None,
                   postcode=postcode, city=city or None, district=district or named,
                   state=state, original=original, notes=list(dict.fromkeys(notes)))


def _state(postcode: str | None, city: str | None, notes: list[str]) -> str | None:
    """The Bundesland of the postcode (or of a city-state's name); a note when unknown."""
    state = state_for_postcode(postcode) or _city_state(postcode, city)
    if postcode and state is None:
        notes.append(f"state unknown for postcode {postcode}")
    return state


def _parts(original: str) -> list[str]:
    """The text cut at its separators, a bracket kept whole ("(Hochhaus, EG)") and a street
    in brackets after a venue made a part of its own; country names and labels dropped."""
    pieces: list[str] = []
    for piece in _SEPARATOR.split(_LABEL.sub("", _joined_lines(original))):
        if pieces and pieces[-1].count("(") > pieces[-1].count(")"):
            pieces[-1] += ", " + piece
        elif m := _BRACKETED_STREET.match(piece.strip(" :")):
            pieces += [m.group("name"), m.group("street")] if is_street(m.group("street")) \
                else [piece]
        else:
            pieces.append(piece)
    parts = []
    for piece in (p.strip(" :") for p in pieces):
        m = _DOTTED_TOWN.match(piece)
        if m and _city_like(m.group("town")) and has_number_street(m.group("street")):
            parts += [m.group("street"), m.group("town")]
        else:
            parts.append(piece)
    return [p for p in parts if p and p.casefold() not in COUNTRIES and re.search(r"\w", p)]


def _joined_lines(original: str) -> str:
    """A line break inside an open bracket or after a word that needs a continuation ("in",
    "der") wraps one part over two lines; it is no separator."""
    lines = original.split("\n")
    text = lines[0]
    for line in lines[1:]:
        words = text.split()
        wrapped = text.count("(") > text.count(")") or (words and words[-1] in OPEN_LINE_ENDS)
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
        if m := _DISTRICT_PART.match(part):
            district = m.group("district")
            parts.remove(part)
        elif (m := _MUNICIPALITY.match(part)) and _city_like(m.group("town")) \
                and m.group("town") != city:
            city, district = m.group("town"), city
            parts.remove(part)
        elif names := state_names(part):
            parts.remove(part)
            if (state := state_for_postcode(postcode)) and state not in names:
                notes.append(f"state name {part!r} disagrees with the postcode; postcode used")
    city, found = _split_town(city)
    return city, district or found


def _split_town(city: str) -> tuple[str, str | None]:
    """"Berlin- Neukölln" -> ("Berlin", "Neukölln"); "Pulsnitz / Sachsen" -> ("Pulsnitz",
    None); "Frankfurt (Oder)" and "Castrop-Rauxel" stay whole."""
    if (m := _SLASHED_STATE.match(city)) and state_names(m.group("state")):
        return m.group("city"), None
    if m := _MARKED_DISTRICT.match(city):
        return m.group("city"), m.group("district")
    if (m := _DASHED_TOWN.match(city)) and _city_like(m.group("city")) \
            and _city_like(m.group("district")):
        return m.group("city"), m.group("district")
    m = _CITY_DISTRICT.match(city)
    district = m.group("district").strip() if m else ""
    if district and district.casefold() not in NAME_QUALIFIERS and not district.endswith("."):
        return m.group("city"), district  # "Frankfurt/M.": an abbreviation is no district
    return city, None


def _doubts(original: str, parts: list[str]) -> list[str]:
    """Notes on what the text holds besides one address: vague places, phones, postcodes."""
    notes = [note.replace("not an address", "doubt") for note in _vague(original)]
    if any(_PHONE.search(part) for part in parts):
        notes.append("phone number in address text")
    if any(has_postcode(part) for part in parts):
        notes.append("more than one address; the first is used")
    return notes


# --- postcode and city ---------------------------------------------------------------------

def _postcode_and_city(parts: list[str], notes: list[str]) -> tuple[str | None, str | None, int]:
    """(postcode, city, index where the postcode part was): the parts used are removed from
    `parts`; a street found in the same part is put back as a part of its own."""
    for i, part in enumerate(parts):
        m = _POSTCODE.search(part)
        if m is None or part.casefold().startswith("postfach"):
            continue
        before = re.sub(r"\s+in$", "", part[: m.start()].strip(" ,"))
        after = part[m.end():].strip(" ,;:")
        del parts[i]
        if after:
            city, street = _city_and_street(after)
            if remark := _REMARK.match(city) or _SLASHED_REMARK.match(city):
                city = remark.group("city")  # "Herne (Raum nach Absprache)", "Herne / online"
                parts.insert(i, remark.group("remark"))
            if street:
                parts.insert(i, street)  # after the postcode: _pick_street notes the order
            if before:
                parts.insert(i, before)
                if _STREET_NO.match(before) or _ENDING.search(before):
                    notes.append("comma missing before postcode")
                i += 1
            return m.group(1), city, i
        if before and _city_like(before):
            notes.append("postcode after city")
            return m.group(1), before, i
        if before:
            parts.insert(i, before)
            i += 1
        return m.group(1), _neighbour_city(parts, i, notes), i
    for i, part in enumerate(parts):
        if m := _OLD_POSTCODE.match(part):
            del parts[i]
            notes.append("four-digit postcode from before 1993 ignored")
            return None, m.group(1), i
    return None, None, len(parts)


def _postcode_once(parts: list[str], notes: list[str]) -> None:
    """A postcode written twice ("44649 Herne 44649", "44649, 44649 Herne": a postcode field
    joined to a town field that repeats it) is kept once, in the part that names the town."""
    codes = [(i, m) for i, part in enumerate(parts) if not part.casefold().startswith("postfach")
             for m in _POSTCODE.finditer(part)]
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
    words = after.split()
    for k in range(1, min(len(words), 7)):
        tail = " ".join(words[k:])
        m = _STREET_NO.match(tail)
        if m and _named(m.group("street")) and _city_like(" ".join(words[:k])) \
                and not _named(" ".join(words[:k])):
            return " ".join(words[:k]), tail
    return after, None


def _neighbour_city(parts: list[str], i: int, notes: list[str]) -> str | None:
    """The city of a postcode that stands alone: the next part, else the one before, else the
    first part of all ("Herne, Rathausstraße 6, 44649")."""
    for j in (i, i - 1, 0):
        if 0 <= j < len(parts) and _city_like(parts[j]):
            notes.append("city taken from a separate part")
            return parts.pop(j)
    notes.append("no city")
    return None


def _city_like(text: str) -> bool:
    """A town name: capitalised words without digits ("Monheim am Rhein", "Herne (Westf.)"),
    no venue, street, room or acronym."""
    words = text.split()
    if not words or len(words) > 6 or re.search(r"\d|@|/", text) or not words[0][0].isupper():
        return False
    if _named(text) or _EXTRA.search(text) or _VENUE.search(text):
        return False
    for word in words:
        core = word.strip("()")
        if any(sum(c.isupper() for c in piece) > 1 for piece in core.split("-")) \
                and not re.fullmatch(r"[A-ZÄÖÜ]\.?-?[A-ZÄÖÜ]\w*", core):
            return False  # an acronym; "Berlin-Hohenschönhausen" is a town and its district
        if core and core[0].islower() and not _SMALL_WORD.match(core):
            return False
    return True


def _town_in_prose(parts: list[str], street: _Street | None) -> str | None:
    """"Hauptstraße 5 in Musterstadt": prose names the town after "in"; taken out of the
    street's extras or the parts."""
    for pieces in ([] if street is None else street.extras, parts):
        for k, piece in enumerate(pieces):
            m = re.fullmatch(r"in\s+([A-ZÄÖÜ].*)", piece)
            if m and _city_like(m.group(1)):
                del pieces[k]
                return m.group(1)
            m = _VENUE_IN_TOWN.match(piece)
            if m and _city_like(m.group("town")) and not _ABSTRACT.search(m.group("town")):
                pieces[k] = m.group("venue")
                return m.group("town")
    return None


def _drop_town_after_venue(city: str | None, parts: list[str], street: _Street | None) -> None:
    """"Stadthalle in Kleinstadt, …, 12345 Kleinstadt": the venue's "in <town>" repeats the
    town and is no part of the extra."""
    for pieces in ([] if street is None else street.extras, parts):
        for k, piece in enumerate(pieces):
            m = _VENUE_IN_TOWN.match(piece)
            if m and city and m.group("town").casefold() == city.casefold():
                pieces[k] = m.group("venue")


def _venue_town(parts: list[str]) -> str | None:
    """Without street and postcode, a place named before its town ("Holzwurmhaus Falkenberg,
    Berlin"): the last part is the town when it is a large city or the names before it are a
    venue or building; a town alone, or two towns, stay unread."""
    if len(parts) < 2 or not _city_like(parts[-1]):
        return None
    if any(_VENUE.search(p) or _EXTRA.search(p) for p in parts[:-1]):
        return parts.pop()
    town = _split_town(parts[-1])[0]
    if town in DISTRICT_CITIES and all(len(p.split()) > 1 for p in parts[:-1]):
        return parts.pop()  # a one-word name before it may be another town ("Herne, Bochum")
    return None


def _city_state(postcode: str | None, city: str | None) -> str | None:
    """Without a postcode, a city that is itself a Bundesland (Berlin, Hamburg, Bremen)."""
    if postcode or not city:
        return None
    names = {name for name in state_names(city) if name.casefold() == city.casefold()}
    return names.pop() if len(names) == 1 else None


def _trailing_city(parts: list[str], street: _Street | None) -> str | None:
    """Without a postcode, the last part may still be the town ("Rathausstraße 6, Herne",
    "…, Halle / Saale" with its river or region after a slash), or "in" and the town may
    follow the house number ("Seestraße 25a in Schwerin"); a name before the street is a
    venue ("Altes Helmholtz, Gerresheimer Straße 20")."""
    if street is None:
        return None
    if len(parts) > street.index and (_city_like(parts[-1]) or _slashed_town(parts[-1])):
        return parts.pop()
    if street.number and street.extras and (m := _IN_TOWN.match(street.extras[-1])) \
            and _city_like(m.group(1)):
        street.extras.pop()
        return m.group(1)
    if street.index > 0 and _split_town(parts[0])[1] and _DASHED_TOWN.match(parts[0]):
        return parts.pop(0)  # "Saarbrücken - St. Johann, Johannisstraße 2": town, district
    return None


def _slashed_town(text: str) -> bool:
    """"Frankfurt / Main", "Lüchow / Wendland": a town, a slash, its river or region."""
    halves = text.split(" / ")
    return len(halves) == 2 and all(_city_like(h) for h in halves)


# --- street and house number ---------------------------------------------------------------

def _pick_street(parts: list[str], at: int, notes: list[str]) -> _Street | None:
    """The street part: one with a street word nearest before the postcode, else after it,
    else any "words number" part; a street without number only when nothing else is there."""
    parsed = [(j, _street(p)) for j, p in enumerate(parts)]
    found = [(j, s) for j, s in parsed if s is not None]
    named = [(j, s) for j, s in found if s.number and _named(s.street)]
    plain = [(j, s) for j, s in found if s.number and not _named(s.street)]
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


def _street(part: str) -> _Street | None:
    """"Rathausstr.6", "Haus der Begegnung, Hauptstraße 129 (Hinterhaus)" -> a street with
    number and extras; None when the part is a room, a building or no street at all."""
    if len(part) > MAX_PART or _ALTERNATIVE.match(part):
        return None
    notes = []
    if (fixed := _GLUED.sub(r"\1 \2", part)) != part:
        part = fixed
        notes.append("space inserted between street and house number")
    if (fixed := _DOTTED.sub(r"\1", part)) != part:
        part = fixed
        notes.append("stray dot after the street name removed")
    m = _STREET_NO.match(part)
    if m is None:
        if _bare_street(part):
            head, name = _venue_split(part)
            return _Street(name, None, [head] if head else [], notes)
        return None
    rest = m.group("rest").strip(" ,;")
    inner = _STREET_NO.match(rest)
    if inner and _named(inner.group("street")) and not _named(m.group("street")):
        head = part[: len(part) - len(m.group("rest"))].strip()
        found = _street(rest)
        if found is not None:
            return _Street(found.street, found.number, [head, *found.extras], notes + found.notes)
    head, name = _venue_split(m.group("street"))
    if _EXTRA.fullmatch(name) or (_EXTRA.search(name) and not _named(name)):
        return None
    number = re.sub(r"\s+", "", m.group("no")).replace("–", "-").replace("—", "-")
    extras = [head] if head else []
    if rest:
        extras.append(rest.strip("()").strip())
    return _Street(name, number, extras, notes)


def _bare_street(part: str) -> bool:
    """A street named without a number ("Obersteinaer Weg", "am Lustgarten"), not a room."""
    return not re.search(r"\d", part) and not _EXTRA.search(part) and bool(
        _ENDING.search(part) or (_named(part) and not _VENUE.search(part))
        or _LOWER_OPENER.match(part))


def _venue_split(name: str) -> tuple[str | None, str]:
    """"Evangelisches Gemeindehaus Kirchgasse" -> ("Evangelisches Gemeindehaus", "Kirchgasse"):
    the street begins at its last street word, with the words that belong to it."""
    words = name.split()
    start, apart = None, False
    for k, word in enumerate(words):
        if word.lower() in STREET_WORDS and k > 0:
            start, apart = (k - 1 if words[k - 1][:1].isupper() else k), True
        elif word.lower() in STREET_WORDS or _ENDING.search(word) or word in STREET_OPENERS:
            start, apart = k, False
    if not start:
        return None, name
    while start > 0 and _joins(words[start - 1]):
        start -= 1
    cut = start
    if start > 1 and words[start - 1] in PROSE_PREPOSITIONS and words[start] in ("der", "dem",
                                                                               "den"):
        start += 1  # "Haus der Kirche an der Schulstraße 25": prose joins venue and street
    if cut > 0 and words[cut - 1] in ("im", *PROSE_PREPOSITIONS):
        cut -= 1
    head = " ".join(words[:cut])
    if start == 0 or (apart and not (_VENUE.search(head) or _EXTRA.search(head))):
        return None, name  # "Düstere Eichen Weg": no venue before a street word standing apart
    return head, " ".join(words[start:])


def _joins(word: str) -> bool:
    """True for a word that belongs to the street name after it: "Alte", "Lauenburger",
    "dem" in "Auf dem Graben", "Nikolaus-" in "Nikolaus- Dürkopp- Str."."""
    return word.endswith("-") or word in {"der", "die", "das", "den", "dem", "des"} or (
        word[:1].isupper() and (word.lower() in STREET_PREFIX_WORDS
                                or bool(re.fullmatch(r"[^\W\d_]{3,}er", word))))


def _named(street: str) -> bool:
    """True when the text holds a street word ("…straße", "Weg", "Am …")."""
    words = street.split()
    return bool(words) and (words[0] in STREET_OPENERS or any(
        w.lower() in STREET_WORDS or _ENDING.search(w) for w in words))


# --- shapes, for callers that cut an address out of a longer text (contact blocks) -------

def has_postcode(text: str) -> bool:
    """True when `text` holds a five-digit postcode beside a town, or alone ("44649 Herne",
    "Herne 44649", "44649"); "02323 123456" is a phone number, "Postfach 12345" no postcode."""
    return bool(_POSTCODE_TOWN.search(text)) and not text.casefold().startswith("postfach")


def is_street(text: str) -> bool:
    """True for "Rathausstraße 6", "Am Lindenhof 2", "Rathausplatz" (not "Raum 104")."""
    found = _street(text)
    return found is not None and (_named(found.street) or len(found.street.split()) == 1)


def is_extra(text: str) -> bool:
    """True for a building, floor or room ("Geb. E", "2. OG", "Raum 104", "c/o …")."""
    return bool(_EXTRA.search(text)) and not is_street(text) and not has_postcode(text)


def has_number_street(text: str) -> bool:
    """True for "words number" that can only be a street with its house number ("Rostocker
    Chausee 70", "Kleiner Pulverteich 15a"), even without a street word."""
    found = _street(text)
    return found is not None and found.number is not None and not has_postcode(text)


def is_town_part(text: str) -> bool:
    """True for what publishers write after the town: a state name ("NRW") or a district
    marked as such ("OT Ilten")."""
    return bool(_DISTRICT_PART.match(text) or state_names(text))


def is_city(text: str) -> bool:
    """True for a bare town name ("Herne", "Monheim am Rhein")."""
    return _city_like(text)


# --- the rest ------------------------------------------------------------------------------

def _vague(text: str) -> list[str]:
    return [note for pattern, note in _NOT_A_PLACE if pattern.search(text)]


def _declined(original: str, district: str | None) -> Address:
    notes = _vague(original) or ["no street or postcode found; kept raw"]
    return Address(original=original, district=district, notes=notes)


def _ordered(extras: list[str], original: str) -> list[str]:
    """Extras in the order they stand in the original, each once."""
    unique = list(dict.fromkeys(e for e in extras if e))
    return sorted(unique, key=lambda e: (original.find(e) if e in original else len(original)))
