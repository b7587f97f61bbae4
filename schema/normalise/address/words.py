"""The words of German addresses: street endings, venues, extras, what names no place,
and the patterns built from them."""

import re

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
SEPARATOR = re.compile(
    r"\s*(?:[,;\n|·•]|(?<=\d)\s+[–—/-]\s+(?=[^\d\s])|(?<=[\d\s][a-zA-Z])\s+[–—/-]\s+(?=\D)|"
    r"\s+[–—/-]\s+(?=(?:DE?-)?\d{5}(?!\d)))\s*")
LABEL = re.compile(rf"^(?:{LABELS})\s*:\s*", re.IGNORECASE)
POSTCODE = re.compile(r"(?<![\w-])(?:DE?\s?-\s?)?([0-9]{5})(?![0-9])")
POSTCODE_TOWN = re.compile(r"(?<![\w/-])(?:DE?\s?-\s?)?[0-9]{5}\s*[^\W\d_]|"
                            r"^\s*(?:DE?\s?-\s?)?[0-9]{5}\s*$|[^\W\d_]{2}\.?\)?\s+[0-9]{5}\s*$")
#: A bracketed remark of several words after a town; "(Westf.)", "(Saale)" stay in the name.
REMARK = re.compile(r"^(?P<city>.*?[^\W\d_].*?)\s*\((?P<remark>[^()]*\s[^()]*)\)$")
PHONE = re.compile(r"\b(?:tel|telefon|fon|fax|mobil)\b|\b0\d{2,5}\s?[/-]?\s?\d{3,}",
                    re.IGNORECASE)
_VAGUE = "|".join(pattern for pattern, _ in NOT_A_PLACE)
SLASHED_REMARK = re.compile(rf"^(?P<city>.+?)\s+/\s+(?P<remark>.*(?:{_VAGUE}).*)$", re.IGNORECASE)
ALTERNATIVE_RE = re.compile(rf"^(?:{ALTERNATIVE})\b", re.IGNORECASE)
BRACKETED_STREET = re.compile(r"^(?P<name>[^()]*[^\W\d_][^()]*?)\s*"
                               r"\((?P<street>[^()]+\d[^()]*)\)$")
DISTRICT_PART = re.compile(rf"^(?:{DISTRICT_WORDS})\.?\s+(?P<district>[^\W\d_].*)$",
                            re.IGNORECASE)
MARKED_DISTRICT = re.compile(rf"^(?P<city>.+?)\s*[/,]?\s+(?:{DISTRICT_WORDS})\.?\s+"
                              r"(?P<district>[^\W\d_].*)$", re.IGNORECASE)
CITY_DISTRICT = re.compile(rf"^(?P<city>{'|'.join(DISTRICT_CITIES)})\s*(?:-\s*|/\s*|\()"
                            r"(?P<district>[^\W\d_][^()/]*?)\)?$")
#: A town and its district joined by a spaced dash ("Saarbrücken - St. Johann").
DASHED_TOWN = re.compile(r"^(?P<city>[^\W\d_][^–—-]*?)\s+[–—-]\s+(?P<district>[^\W\d_][^–—-]*)$")
#: A venue and, after "in", its town ("Kino CinePlanet5 in Bad Segeberg").
VENUE_IN_TOWN = re.compile(r"^(?P<venue>\S.*?)\s+in\s+(?P<town>[A-ZÄÖÜ][^()]*)$")
ABSTRACT = re.compile(rf"(?:{ABSTRACT_ENDINGS})$", re.IGNORECASE)
#: The municipality named after a village that belongs to it ("Fleestedt, Gemeinde Seevetal").
MUNICIPALITY = re.compile(r"^Gemeinde\s+(?P<town>[A-ZÄÖÜ].*)$")
SLASHED_STATE = re.compile(r"^(?P<city>.+?)\s+/\s+(?P<state>[^/]+)$")
#: A dot after a street word written in full ("Hemauerstraße. 8"); "Str. 8" keeps its dot.
DOTTED = re.compile(r"(?<=[^\W\d_])(straße|strasse|weg|platz|allee|gasse|ring|damm)\.(?=\s+\d)",
                     re.IGNORECASE)
#: A street opened by a lower-case preposition ("am Lustgarten", "an der Alster"); not "auf
#: Anfrage", "vor Ort", "über …".
LOWER_OPENER = re.compile(r"^(?:am|zum|zur|beim|an\s+(?:der|den|dem))\s+[A-ZÄÖÜ][^\W\d_]+$")
#: The town after the house number, opened by "in" ("Crailsheimstraße 6 in Traunstein").
IN_TOWN = re.compile(r"^in\s+(\S.*)$")
#: A full stop between the house number and the town ("Spieltordamm 9. Schwerin").
DOTTED_TOWN = re.compile(r"^(?P<street>.*\d[a-zA-Z]?)\.\s+(?P<town>[^\d.]+)$")
OLD_POSTCODE = re.compile(r"^(?:[WO]\s?-\s?)?\d{4}\s+([^\W\d_].*)$")
_NUM = r"[0-9]{1,4}(?:\s?[a-zA-Z](?![^\W\d_]))?"
_HOUSE = rf"{_NUM}(?:\s?[-–—/]\s?(?:{_NUM}|[a-zA-Z](?![^\W\d_])))?"
STREET_NO = re.compile(
    rf"^(?P<street>.*?[^\W\d_].*?)\s+(?:(?:Nr|Hausnr)\.?\s*)?(?P<no>{_HOUSE})"
    rf"(?P<rest>(?:[\s(,;].*)?)$", re.DOTALL)
GLUED = re.compile(rf"((?:{STREET_ENDINGS})\.?)(\d)", re.IGNORECASE)
EXTRA = re.compile(rf"(?<![^\W\d_])(?:{EXTRA_WORDS})(?![^\W\d_])|[^\W\d_]+raum\b|"
                    r"\d+\.\s?(?:og|etage|stock|obergeschoss)\b", re.IGNORECASE)
ENDING = re.compile(rf"[^\W\d_]-?(?:{STREET_ENDINGS})$", re.IGNORECASE)
VENUE = re.compile(rf"(?:{VENUE_ENDINGS})\b", re.IGNORECASE)
NOT_A_PLACE_RE = tuple((re.compile(p, re.IGNORECASE), note) for p, note in NOT_A_PLACE)
SMALL_WORD = re.compile(r"^(?:[a-zäöü]{1,3}\.?|[a-z]\.[a-z]\.|am|an|der|den|dem|im|in|bei|ob|"
                         r"auf|vor|unter|über|zu)$")
