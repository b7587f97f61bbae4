"""Persons in free text: names after a salutation, homes ("c/o Frau X"), mobile numbers."""

import functools

import phonenumbers
import regex
from phonenumbers import Leniency, PhoneNumberMatcher, PhoneNumberType

from schema.normalise.address.words import STREET_ENDINGS
from schema.normalise.personal.kinds import Finding
from schema.normalise.text import MEMO

# --- names with a salutation ---------------------------------------------------------------

_NAME = r"(?!(?:Frau|Herrn?|Familie|Ehepaar)(?![\p{L}\-]))\p{Lu}[\p{Ll}'’]+(?:-\p{Lu}[\p{Ll}'’]+)*"
_INITIAL = r"\p{Lu}\."
_SALUTATION = r"(?:Frau|Herrn?|Fr\.|Hr\.)"
_SALUTATION_LEAD = regex.compile(_SALUTATION)
_TITLE = (r"(?:Dr\.|Prof\.|Dipl\.-\p{L}+\.?|med\.|dent\.|vet\.|rer\.\s?nat\.|phil\.|habil\.|"
          r"h\.\s?c\.|PD|Mag\.)")
_PARTICLE = r"(?:von|van|de|del|da|zu|vom|von\s+der|van\s+der|van\s+den|ten|ter)"
#: A person's name after a salutation: "Petra Beispiel", "P. Beispiel", "Beispiel", "M.".
_FULL = rf"(?:(?:{_NAME}|{_INITIAL})\s+){{0,2}}(?:{_PARTICLE}\s+)?{_NAME}|{_INITIAL}"
_PERSON = regex.compile(
    rf"(?<![\p{{L}}\-])(?P<lead>{_SALUTATION}(?:\s+(?:und|u\.|&)\s+{_SALUTATION})?"
    rf"(?:\s+{_TITLE})*|{_TITLE}(?:\s+{_TITLE})*)[ \t\u00a0]+(?P<name>{_FULL})(?![\p{{L}}\-])")
#: The home of a person: "c/o Frau X", "c/o Erika Mustermann", "bei Familie Y", "Fam. Z".
_HOME = regex.compile(
    rf"(?<![\p{{L}}/])(?:(?P<via>c/o|c\.\s?o\.|z\.\s?Hd\.?|zu\s+Händen(?:\s+von)?)\s+"
    rf"(?:(?P<family>Familie|Fam\.|Ehepaar|Eheleute)\s+(?P<fname>{_FULL})"
    rf"|(?P<sal>{_SALUTATION}(?:\s+(?:und|u\.|&)\s+{_SALUTATION})?(?:\s+{_TITLE})*)\s+"
    rf"(?P<sname>{_FULL})"
    rf"|(?P<bare>{_NAME}(?:\s+(?:{_PARTICLE}\s+)?{_NAME}){{1,2}}))"
    rf"|(?:\bbei\s+(?:Familie|Ehepaar|Eheleuten)|Fam\.)\s+(?P<aname>{_FULL}))(?![\p{{L}}\-])")
#: A street and house number right after a person's name: part of that person's home.
_HOME_STREET = regex.compile(
    rf"[ \t]*,?[ \t]*(?:\p{{L}}[\p{{L}}.\- ]{{0,40}}?(?:{STREET_ENDINGS})|"
    r"(?:Am|An|Auf|Im|In|Zum|Zur|Unter|Hinter)\s+\p{L}[\p{L}.\- ]{0,30}?)\.?\s*"
    r"\d{1,4}(?:\s?[a-zA-Z](?!\p{L}))?(?:\s?[-/]\s?\d{1,4})?(?!\d)", regex.IGNORECASE)
#: Words that are no name after "Frau"/"Herr": "eine Frau Mitte 40", "Fr. Nachmittag". An
#: article before "Frau" proves nothing ("die Frau Müller" is a person too).
_NOT_A_NAME = frozenset({
    "Der", "Die", "Das", "Den", "Dem", "Des", "Ein", "Eine", "Und", "Oder", "Sie", "Ihr", "Ihre",
    "Ihrer", "Ihren", "Ihrem", "Mitte", "Anfang", "Ende", "Montag", "Dienstag", "Mittwoch",
    "Donnerstag", "Freitag", "Samstag", "Sonntag", "Montags", "Dienstags", "Mittwochs",
    "Donnerstags", "Freitags", "Samstags", "Sonntags", "Vormittag", "Nachmittag", "Abend",
    "Morgen", "Mittag", "Tel", "Telefon", "Mobil", "Handy", "Fax", "Mail", "E-Mail", "Email",
    "Kontakt", "Anmeldung", "Info", "Infos", "Treffen", "Uhr", "Januar", "Februar", "März",
    "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"})
#: A word that makes "Dr. X …" a place or an institution ("Dr. Mildred Scheel Haus",
#: "Dr. Ruer Platz"), or stands before a doctor's practice named after him ("Praxis Dr. X").
_PLACE_WORDS = frozenset({
    "haus", "platz", "straße", "strasse", "str.", "weg", "allee", "gasse", "ring", "damm",
    "ufer", "park", "stiftung", "klinik", "klinikum", "krankenhaus", "schule", "gymnasium",
    "realschule", "gesamtschule", "zentrum", "institut", "akademie", "saal", "halle", "heim",
    "hospiz", "kaserne", "bad", "brücke", "markt", "siedlung", "stift", "preis", "gesellschaft",
    "praxis"})
_PRACTICE = regex.compile(r"(?:praxis|kanzlei|klinik|apotheke|ordination)\s*$", regex.IGNORECASE)
_WEEKDAY_BEFORE = regex.compile(r"(?:\b(?:Mo|Di|Mi|Do|Sa|So)\.?|tag)\s*(?:[-–,/&+]|bis|und)\s*$")
#: Institution words that make a bare "c/o X Y" an organisation's address, not a person's.
_INSTITUTION = regex.compile(
    r"(?:verein|verband|stelle|büro|buero|amt|zentrum|klinik|klinikum|schule|gemeinde|"
    r"beratung|hilfe|stiftung|verwaltung|kirche|praxis|haus|heim|bund|werk|dienst|treff|"
    r"treffpunkt|tafel|laden|café|cafe|akademie|institut|netzwerk|forum|gruppe|e\.\s?v\.|gmbh|"
    r"ggmbh|ag|caritas|diakonie|awo|drk|paritätische[r]?|lebenshilfe|kiss|büz|buez|vhs|"
    r"universität|hochschule|bibliothek|rathaus|kreis|stadt|landkreis|ische[rns]?|liche[rns]?)$",
    regex.IGNORECASE)


def _names_a_person(text: str, match: regex.Match) -> bool:
    """False for the look-alikes: "eine Frau Mitte 40", "Mo, Fr. Nachmittag", "Dr. Mildred
    Scheel Haus", "Praxis Dr. Müller"."""
    lead, name = match.group("lead"), match.group("name")
    tokens = name.split()
    if tokens[0] in _NOT_A_NAME:
        return False
    before = text[:match.start()]
    if _SALUTATION_LEAD.match(lead):
        return not (lead.startswith(("Fr.", "Hr.")) and _WEEKDAY_BEFORE.search(before))
    after = text[match.end():].split(maxsplit=1)
    parts = [p.casefold() for t in tokens[1:] for p in t.split("-")]
    parts += [p.casefold() for p in tokens[0].split("-")[1:]]
    if after:
        parts.append(after[0].strip(",.;:").casefold())
    return not (_PLACE_WORDS.intersection(parts) or _PRACTICE.search(before))


def _names(text: str) -> list[Finding]:
    """Names after a salutation or title; a match that is no person ("Dr. Treffen …") does
    not hide one that starts inside it."""
    found = []
    for m in _PERSON.finditer(text, overlapped=True):  # "Dr. Treffen Frau X": "Frau X"
        if not _names_a_person(text, m):
            continue
        end = m.end()
        tokens = m.group("name").split()
        while len(tokens) > 1 and tokens[-1] in _NOT_A_NAME:  # "Frau Müller Montags"
            end = m.start("name") + m.group("name").rfind(tokens.pop())
        found.append(Finding("salutation", m.start(), end, "named"))
    return found


def _homes(text: str) -> list[Finding]:
    """A person's home: the person and the street and number right after them."""
    found = []
    for m in _HOME.finditer(text, overlapped=True):
        if m.group("bare"):
            tokens = m.group("bare").split()
            if any(_INSTITUTION.search(t) or t in _NOT_A_NAME or t.isupper() for t in tokens):
                continue
        end = m.end()
        if street := _HOME_STREET.match(text, end):
            end = street.end()
        found.append(Finding("private_address", m.start(), end, "home"))
    return found


# --- mobile numbers --------------------------------------------------------------------------

#: A German mobile number by its prefix (015x, 016x, 017x) in any notation, also when its
#: length is wrong: a mistyped private number is still a private number.
_MOBILE_PREFIX = regex.compile(
    r"(?<![\d+])(?:(?:\+|00)[ ]?49[ \-./]*(?:\(0\)[ \-./]*)?(?:\(1[5-7]\d\)|1[ ]?[5-7][ ]?\d)"
    r"|\(0[ ]?1[5-7]\d\)|(?:\(0\)[ ]?|0[ ]?)1[ ]?[5-7][ ]?\d)(?:[ \-./]{0,3}\d){5,10}(?!\d)")
_IBAN = regex.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[0-9A-Z]{4}){3,7}(?:[ ]?[0-9A-Z]{1,3})?\b")
#: What a text must hold to be searched for mobile numbers at all (phonenumbers' matcher is
#: slow): an international prefix, or a German mobile prefix in any spacing.
_MAYBE_MOBILE = regex.compile(r"\+[ ]?\d|(?<!\d)00[ ]?\d|(?<!\d)\(?0[ \-./()]{0,3}1[ ]?[5-7]")


def _mobiles(text: str) -> list[Finding]:
    """Mobile numbers: valid ones of any country by phonenumbers' matcher, German ones by
    their prefix whatever their length; never digits inside an IBAN."""
    if not _MAYBE_MOBILE.search(text):
        return []
    spans = [(m.start, m.end) for m in PhoneNumberMatcher(text, "DE", Leniency.VALID)
             if phonenumbers.number_type(m.number) == PhoneNumberType.MOBILE]
    spans += [m.span() for m in _MOBILE_PREFIX.finditer(text)]
    ibans = [m.span() for m in _IBAN.finditer(text)]
    return [Finding("mobile", *_balanced(text, a, b), "member") for a, b in spans
            if not any(a < e and s < b for s, e in ibans)]


def _balanced(text: str, start: int, end: int) -> tuple[int, int]:
    """A number's span without an opening bracket it does not close ("(0171/2345678)"): the
    bracket pair is then removed around the cut as a whole."""
    if text[start] == "(" and text.count("(", start, end) > text.count(")", start, end):
        start += 1
    return start, end


# --- the scan ----------------------------------------------------------------------------------

@functools.lru_cache(maxsize=MEMO)
def person_findings(text: str) -> tuple[Finding, ...]:
    """Homes, names and mobile numbers: what needs no context to be found."""
    return tuple(merged([*_homes(text), *_names(text), *_mobiles(text)]))


_STRENGTH = {"home": 0, "named": 1, "member": 2}


def merged(found: list[Finding], any_kind: bool = False) -> list[Finding]:
    """Overlapping findings as one (of one kind, or of `any_kind`): its span the union, its
    kind and holder those of the strongest (a home before a name before a number)."""
    out: list[Finding] = []
    for f in sorted(found, key=lambda f: (f.start, -f.end)):
        same = [i for i, g in enumerate(out) if g.start < f.end and f.start < g.end
                and (any_kind or g.kind == f.kind)]
        if not same:
            out.append(f)
            continue
        g = out[same[-1]]
        strong = min((g, f), key=lambda x: _STRENGTH[x.holder])
        out[same[-1]] = Finding(strong.kind, min(g.start, f.start), max(g.end, f.end),
                                strong.holder)
    return out
