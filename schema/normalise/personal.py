"""Personal data: which values belong to a private person, so publishing can withhold them.

Group contacts are usually private persons, and a group's topic reveals their health: a name
as contact, a mobile number or a private mailbox of a group must never reach a public file.
Free text carries them too ("über das BüZ, Frau Petra Beispiel, Mobil 0171 …"), so every text
that can be published goes through one scan (`findings`) and loses what it names of a person
(`redact`), the rest of the sentence kept readable. What is removed is recorded in
`personal_fields` as "<field>:<kind>" ("description:mobile"), for `withheld.json`; the raw page
stays in the WARC archive.

Per kind of listing:
- groups and rare conditions: every finding is removed (a name with a salutation, a mobile
  number, a private mailbox: free-mail or named, a person's home address: "c/o Frau X",
  "bei Familie Y");
- contact centres and organisations answer on their own landlines and mailboxes: a staff
  member's name or named mailbox (vorname.nachname@) is withheld unless the source's registry
  entry says `staff_contacts = "publish"`; a person's home address is always withheld.
"""

import functools
import re
from dataclasses import dataclass
from typing import Literal

import phonenumbers
import regex
from phonenumbers import Leniency, PhoneNumberMatcher, PhoneNumberType

from schema.listing import Address, EmailAddress, Listing, Meeting, OpeningHours, Phone
from schema.normalise.address.words import STREET_ENDINGS
from schema.normalise.emails import find_addresses
from schema.normalise.text import MEMO, one_line
from schema.normalise.topics import topic

#: Mailbox providers for private persons; an address there is never an organisation's own.
FREEMAIL_DOMAINS = frozenset({
    "gmx.de", "gmx.net", "gmx.at", "web.de", "t-online.de", "gmail.com", "googlemail.com",
    "yahoo.de", "yahoo.com", "outlook.de", "outlook.com", "hotmail.de", "hotmail.com",
    "live.de", "freenet.de", "aol.com", "aol.de", "icloud.com", "posteo.de", "mail.de",
    "arcor.de", "online.de", "email.de", "vodafone.de", "kabelmail.de", "mailbox.org",
})

StaffContacts = Literal["withhold", "publish"]
FindingKind = Literal["salutation", "mobile", "mailbox", "private_address"]
#: Who a finding belongs to, which decides where it is withheld: `home` a person's home
#: (always), `named` a named person, maybe an institution's staff (groups; centres and
#: organisations unless their staff contacts may be published), `member` a mobile number or
#: unnamed free-mail box (groups only: an institution may have those too).
Holder = Literal["home", "named", "member"]
#: Listing kinds whose contacts are private persons.
PRIVATE_KINDS = frozenset({"group", "rare_condition"})


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    start: int
    end: int
    holder: Holder


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


# --- mailboxes ---------------------------------------------------------------------------------

#: Local-part words of an office, a role or a group, never of a person's name.
_ROLE_WORDS = frozenset({
    "info", "kontakt", "kontaktstelle", "selbsthilfe", "shg", "kiss", "buez", "büz", "sks",
    "post", "poststelle", "mail", "email", "office", "buero", "büro", "team", "service",
    "verwaltung", "beratung", "gruppe", "gruppen", "verein", "verband", "stelle", "zentrale",
    "sekretariat", "presse", "anmeldung", "geschaeftsstelle", "vorstand", "leitung",
    "redaktion", "webmaster", "admin", "datenschutz", "hilfe", "netzwerk", "forum", "online",
    "newsletter", "termine", "treff", "stadt", "kreis", "amt", "gesundheitsamt", "landkreis",
    "noreply", "no", "reply", "mitglieder", "spenden", "bund", "landesverband", "bundesverband",
    "ortsverband", "kreisverband", "regionalgruppe", "orga", "moderation", "kasse", "schatzmeister",
    "vorsitz", "vorsitzende", "jugend", "senioren", "eltern", "angehoerige", "angehörige", "de"})
_ROLE_STEMS = regex.compile(
    r"^(?:selbsthilfe|kontakt|info|shg|kiss|bundes|landes|sucht|beratung)|"
    r"(?:stelle|gruppe|gruppen|verband|verein|hilfe|beratung|amt|buero|büro|zentrum|netz|"
    r"netzwerk|treff|team|dienst|liga|verwaltung)$")


_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_WORD = regex.compile(r"\p{L}{3,}")
_LOCAL_PARTS = regex.compile(r"[._]")
_NAME_PART = regex.compile(r"\p{L}+(?:-\p{L}+)?")
_DOMAIN_LABELS = regex.compile(r"[.\-]")


class Context:
    """The words of a listing's own name, topics, place and web sites ("Selbsthilfegruppe
    Aneurysma", "Herne"), as a mailbox's local part would spell them: such a word makes
    "aneurysma.herne@…" the group's own mailbox, not a person's. A person's name and the
    mailboxes in these texts are left out, so they cannot vouch for themselves. Read only
    when a mailbox looks like a name."""

    def __init__(self, *texts: str | None) -> None:
        self.texts = texts

    @functools.cached_property
    def words(self) -> frozenset[str]:
        words: set[str] = set()
        for text in self.texts:
            if not text:
                continue
            spans = [(f.start, f.end) for f in _person_findings(text)]
            spans += [(a, b) for a, b, _ in _addresses(text)]
            for a, b in spans:
                text = text[:a] + " " * (b - a) + text[b:]
            for word in _WORD.findall(text.casefold()):
                words |= {word, word.translate(_FOLD)}
        return frozenset(words)


NO_CONTEXT = Context()


@functools.lru_cache(maxsize=MEMO)
def _name_parts(local: str, domain: str) -> frozenset[str] | None:
    """The parts of a local part shaped like a person's name ("petra.beispiel",
    "p.beispiel", "petra_beispiel"), with their folded spellings; None for an office's or a
    group's ("selbsthilfe.herne", "kiss.mettmann" at kreis-mettmann.de, "depression.hamm")."""
    parts = _LOCAL_PARTS.split(local.casefold())
    if len(parts) not in (2, 3) or not all(_NAME_PART.fullmatch(p) for p in parts):
        return None
    if len(parts[-1]) < 2 or any(len(p) > 1 for p in parts[1:-1]) or len(parts[0]) > 20:
        return None
    labels = set(_DOMAIN_LABELS.split(domain.casefold()))
    words = {w for p in parts for w in (p, *p.split("-"))}
    for part in words:
        if (part in _ROLE_WORDS or _ROLE_STEMS.search(part) or part in labels
                or part.translate(_FOLD) in labels or (len(part) > 2 and _is_topic(part))):
            return None
    return frozenset(words | {w.translate(_FOLD) for w in words})


@functools.lru_cache(maxsize=MEMO)
def _is_topic(word: str) -> bool:
    return any(t.code for t in topic(word))


def mailbox_holder(address: str | None, context: Context = NO_CONTEXT) -> Holder | None:
    """`named` for a person's mailbox (vorname.nachname@ anywhere), `member` for another
    free-mail box, None for an office's or group's own mailbox ("info@", "selbsthilfe@")."""
    if not address or "@" not in address:
        return None
    local, domain = address.rsplit("@", 1)
    parts = _name_parts(local, domain)
    if parts is not None and not parts & context.words:
        return "named"
    return "member" if domain.casefold() in FREEMAIL_DOMAINS else None


_SPELLED_AT = regex.compile(r"@|[(\[{<]\s*(?:at|ät)\s*[)\]}>]|\sat\s|%40", regex.IGNORECASE)


@functools.lru_cache(maxsize=MEMO)
def _addresses(text: str) -> tuple[tuple[int, int, str | None], ...]:
    """The mailboxes spelled in `text`, read as the e-mail field reads them."""
    return tuple(find_addresses(text)) if _SPELLED_AT.search(text) else ()


# --- the scan ----------------------------------------------------------------------------------

@functools.lru_cache(maxsize=MEMO)
def _person_findings(text: str) -> tuple[Finding, ...]:
    """Homes, names and mobile numbers: what needs no context to be found."""
    return tuple(_merged([*_homes(text), *_names(text), *_mobiles(text)]))


def findings(text: str, context: Context = NO_CONTEXT) -> list[Finding]:
    """Every span of `text` that names a private person (or maybe an institution's staff),
    in text order, overlapping spans of one kind merged; `context` see `Context`."""
    mailboxes = [Finding("mailbox", start, end, holder) for start, end, address in
                 _addresses(text) if (holder := mailbox_holder(address, context))]
    return sorted([*_person_findings(text), *mailboxes], key=lambda f: (f.start, -f.end))


_STRENGTH = {"home": 0, "named": 1, "member": 2}


def _merged(found: list[Finding], any_kind: bool = False) -> list[Finding]:
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


def withheld(holder: Holder, kind: str, staff_contacts: StaffContacts = "withhold") -> bool:
    """Whether a finding of `holder` in a listing of `kind` is withheld (see module doc)."""
    if kind in PRIVATE_KINDS or holder == "home":
        return True
    return holder == "named" and staff_contacts == "withhold"


#: Marks a removed span while the text around it is tidied.
_CUT = "\x00"
_PREPOSITION = r"(?:bei|beim|an|von|mit|über|unter|per|via|durch|im|in|c/o|z\.\s?Hd\.?)"
_CONJUNCTION = r"(?:und|oder|sowie|bzw\.?|u\.)"
_WORD_END = r"(?![\p{L}])"
#: The label of a removed value, dangling before it: "Mobil <cut>", "E-Mail: <cut>",
#: "Ansprechpartnerin: <cut>".
_LABEL_BEFORE = regex.compile(
    r"(?<![\p{L}\-])(?:tel\.?|telefon(?:nummer)?|fon|mobil(?:nummer|telefon|funk)?|"
    r"handy(?:nummer)?|e-?mail(?:-?adresse)?|mail|kontakt(?:person|daten)?|"
    rf"ansprechpartner(?:in|\*in|/in|innen)?|ansprechperson){_WORD_END}[ \t]*:?[ \t]*\x00",
    regex.IGNORECASE)
#: A preposition that governed a removed person or number ("von <cut> begleitet", "bei <cut>"),
#: or a word that introduced a removed span ending its clause ("Anmeldung unter <cut>.",
#: "erreichbar: <cut>", "Peter und <cut>.").
_WORD_BEFORE = regex.compile(
    rf"(?<![\p{{L}}\-]){_PREPOSITION}{_WORD_END}[ \t]*:?[ \t]*\x00"
    rf"|(?:(?<![\p{{L}}\-])(?:{_CONJUNCTION}|erreichbar|zu erreichen|ist|sind|anmeldung|infos?)"
    rf"{_WORD_END}[ \t]*:?|&)[ \t]*\x00(?=[ \t]*(?:$|\n|[,;.!?)\]]|\x00))", regex.IGNORECASE)
#: A removed alternative: "bei <cut> oder in der Kontaktstelle" -> "in der Kontaktstelle",
#: "über <cut> oder das Büro" -> "über das Büro".
_ALTERNATIVE = regex.compile(
    rf"(?:(?<![\p{{L}}\-]){_PREPOSITION}[ \t]+)?\x00[ \t]*{_CONJUNCTION}[ \t]+"
    rf"(?={_PREPOSITION}{_WORD_END})|\x00[ \t]*{_CONJUNCTION}[ \t]+(?=[\p{{L}}\d])",
    regex.IGNORECASE)
_RIGHT = regex.compile(
    rf"\x00[ \t]*(?:{_CONJUNCTION}|&){_WORD_END}[ \t]*(?=$|[,;.]|\x00)",
    regex.IGNORECASE | regex.MULTILINE)
_RUN = regex.compile(r"\x00(?:[ \t,;:/|&\-–]*(?:(?:und|oder|sowie|bzw\.?|u\.)(?![\p{L}]))?"
                     r"[ \t,;:/|&\-–]*\x00)+", regex.IGNORECASE)
_BRACKETED = regex.compile(r"[(\[][ \t,;:/]*\x00[ \t,;:/]*[)\]]")
_AROUND = regex.compile(r"(?P<left>[ \t,;:/|\-–]*)\x00(?P<right>[ \t,;:/|\-–]*)"
                        r"(?P<stop>[.!?](?=\s|$))?")


def _join(match: regex.Match) -> str:
    """What stands where a span was removed: nothing at a line's start or end, else the
    strongest separator that stood beside it (", " for "X, <cut>, Y"), or a space; a full
    stop after the cut stays unless one ends the sentence before it ("Gut. <cut>.")."""
    line, stop = match.string, match.group("stop") or ""
    at_start = match.start() == 0 or line[match.start() - 1] == "\n"
    if stop:
        return "" if at_start or line[match.start() - 1] in ".!?" else stop
    at_end = match.end() == len(line) or line[match.end()] == "\n"
    if at_start or at_end:
        return ""
    seps = (match.group("left") + match.group("right")).replace(" ", "").replace("\t", "")
    for sep in (";", ",", ":"):
        if sep in seps:
            return f"{sep} "
    for sep in ("–", "-", "/", "|"):
        if sep in seps:
            return f" {sep} "
    return " "


#: Spaces before punctuation or after an opening bracket, a comma before a full stop, a
#: doubled comma: what a cut leaves.
_LOOSE = regex.compile(r"[ \t]+(?=[,;:.!?)\]])|(?<=[(\[])[ \t]+")
_STRAY_SEPARATOR = regex.compile(r"[,;:](?=[.!?])|(?<=[,;])[ \t]*[,;]")
_SPACES = regex.compile(r"[ \t]{2,}")


def _tidy(text: str) -> str:
    """`text` with its cut marks removed and no dangling word or punctuation beside them."""
    previous = None
    while previous != text:
        previous = text
        text = _BRACKETED.sub(_CUT, _RUN.sub(_CUT, _RIGHT.sub(_CUT, text)))
        text = _ALTERNATIVE.sub("", text)
        text = _WORD_BEFORE.sub(_CUT, _LABEL_BEFORE.sub(_CUT, text))
    text = _AROUND.sub(_join, text)
    text = _STRAY_SEPARATOR.sub("", _LOOSE.sub("", text))
    return "\n".join(_SPACES.sub(" ", line).strip(" \t,;:/|-–") for line in text.split("\n"))


def redact(text: str | None, kind: str, staff_contacts: StaffContacts = "withhold",
           context: Context = NO_CONTEXT) -> tuple[str | None, list[FindingKind]]:
    """(`text` without what it names of a private person, the kinds of findings removed);
    None when nothing readable is left. Repeated until nothing is found, because removing one
    name can join two words into a new one ("Herr Herr Aa ODER Aa" -> "Herr Aa")."""
    kinds: list[FindingKind] = []
    for _ in range(_MAX_PASSES):
        text, found = _redact_once(text, kind, staff_contacts, context)
        if not found:
            break
        kinds += found
    return text, kinds


_MAX_PASSES = 8


def _redact_once(text: str | None, kind: str, staff_contacts: StaffContacts,
                 context: Context) -> tuple[str | None, list[FindingKind]]:
    if not text or not (_person_findings(text) or _addresses(text)):  # most texts
        return text, []
    cut = _merged([f for f in findings(text, context)
                   if withheld(f.holder, kind, staff_contacts)], any_kind=True)
    if not cut:
        return text, []
    pieces, at = [], 0
    for f in cut:
        pieces += [text[at:f.start], _CUT]
        at = f.end
    pieces.append(text[at:])
    lines = [line for line in _tidy("".join(pieces)).split("\n") if line]
    return "\n".join(lines) or None, [f.kind for f in cut]


class Redactor:
    """Redacts the texts of one listing and collects "<field>:<kind>" for each finding."""

    def __init__(self, kind: str, staff_contacts: StaffContacts = "withhold",
                 context: Context = NO_CONTEXT) -> None:
        self.kind, self.staff_contacts, self.context = kind, staff_contacts, context
        self.found: list[str] = []

    def text(self, field: str, value: str | None) -> str | None:
        value, kinds = redact(value, self.kind, self.staff_contacts, self.context)
        self.found += [f"{field}:{k}" for k in kinds]
        return value

    def address(self, value: Address | None) -> Address | None:
        """The address without a person's name or home: when it names a person, its street
        and house number are that person's too and are dropped, postcode and town kept."""
        if value is None:
            return None
        before = len(self.found)
        parts = {name: self.text("address", getattr(value, name))
                 for name in ("extra", "street", "house_number", "city", "district", "original")}
        if len(self.found) > before:
            parts |= {"street": None, "house_number": None}
        return value.model_copy(update=parts)


# --- contacts --------------------------------------------------------------------------------

_ROUTE = re.compile(
    r"^(?:über|via|durch|bei|beim|im|in der)\b|kontaktstelle|selbsthilfebüro|service-büro|"
    r"\bbüz\b|\bbuez\b|geschäftsstelle|gesundheitsamt|netzwerk", re.IGNORECASE)


def contact(text: str | None) -> tuple[str | None, str | None]:
    """(route, person): "über das BüZ" is a public route through an institution; anything
    else in a contact field ("Renate", "Herr Brandt") is taken for a private person."""
    text = one_line(text)
    if text and _ROUTE.search(text):
        return text, None
    return None, text


def mark_private_contacts(
    phone_list: list[Phone], email_list: list[EmailAddress], kind: str = "group",
    staff_contacts: StaffContacts = "withhold", context: Context = NO_CONTEXT,
) -> tuple[list[Phone], list[EmailAddress]]:
    """A group's mobile number or private mailbox belongs to a private person; so does a
    named mailbox of an institution's staff member, unless the source publishes those.

    Contact centres and associations answer on landlines and their own domains; a group member
    who volunteers as contact uses their own phone or mailbox, and publishing it would tie a
    named person to a health topic.
    """
    private = kind in PRIVATE_KINDS
    phones_out = [p.model_copy(update={"personal": True})
                  if private and p.type == "mobile" else p for p in phone_list]
    emails_out = []
    for e in email_list:
        holder = mailbox_holder(e.address, context)
        if holder and withheld(holder, kind, staff_contacts):
            e = e.model_copy(update={"personal": True})
        emails_out.append(e)
    return phones_out, emails_out


def mark_personal(kind: str, contact_text: str | None, phone_list: list[Phone],
                  email_list: list[EmailAddress], staff_contacts: StaffContacts = "withhold",
                  context: Context = NO_CONTEXT,
                  ) -> tuple[str | None, str | None, list[Phone], list[EmailAddress], list[str]]:
    """(contact route, contact person, phones, e-mails, personal field paths) of one record:
    the values of a private person marked, a route through an institution kept public without
    the person it may name. A rare-condition entry (NAKOS BLAU) is never stored per person:
    its contacts are people with that condition, so they are dropped here, before anything is
    written."""
    if kind == "rare_condition":
        return None, None, [], [], []
    phone_list, email_list = mark_private_contacts(phone_list, email_list, kind, staff_contacts,
                                                   context)
    route, person = contact(contact_text)
    redactor = Redactor(kind, staff_contacts, context)
    route = redactor.text("contact_route", route)
    fields = ["contact_person"] if person else []
    fields += [f"phones[{i}]" for i, p in enumerate(phone_list) if p.personal]
    fields += [f"emails[{i}]" for i, e in enumerate(email_list) if e.personal]
    return route, person, phone_list, email_list, fields + redactor.found


#: The name of a listing whose whole name was a person's.
ANONYMOUS = {"group": "Selbsthilfegruppe", "rare_condition": "Seltene Erkrankung",
             "contact_centre": "Selbsthilfekontaktstelle", "organisation": "Organisation"}


def _original(value: Meeting | OpeningHours | None, field: str,
              redactor: Redactor) -> Meeting | OpeningHours | None:
    """A meeting or opening hours with its text redacted; None when none is left."""
    if value is None or not (text := redactor.text(field, value.original)):
        return None
    return value.model_copy(update={"original": text})


def redact_listing(listing: Listing, redactor: Redactor) -> dict:
    """The free-text fields of `listing` redacted (see `Redactor`), as model_copy updates."""
    return {
        "name": redactor.text("name", listing.name) or ANONYMOUS[listing.kind],
        "description": redactor.text("description", listing.description),
        "carrier": redactor.text("carrier", listing.carrier),
        "org_type": redactor.text("org_type", listing.org_type),
        "accessibility": redactor.text("accessibility", listing.accessibility),
        "topics": [t.model_copy(update={"label": label}) for t in listing.topics
                   if (label := redactor.text("topics", t.label))],
        "address": redactor.address(listing.address),
        "meeting": _original(listing.meeting, "meeting", redactor),
        "opening_hours": _original(listing.opening_hours, "opening_hours", redactor),
        "phone_hours": _original(listing.phone_hours, "phone_hours", redactor),
    }


def listing_context(listing: Listing) -> Context:
    """The `Context` of a listing."""
    place = listing.address
    return Context(listing.name, listing.carrier, *(t.label for t in listing.topics),
                   place and place.original, place and place.district,
                   *(w.url for w in listing.websites))


def personal(listing: Listing, staff_contacts: StaffContacts = "withhold") -> Listing:
    """`listing` with every value of a private person marked (and listed in
    `personal_fields`) and removed from its free text, so that publishing withholds them;
    idempotent: what an earlier pass removed from the text stays listed."""
    contact_text = listing.contact_person or listing.contact_route
    context = listing_context(listing)
    route, person, phone_list, email_list, fields = mark_personal(
        listing.kind, contact_text, listing.phones, listing.emails, staff_contacts, context)
    redactor = Redactor(listing.kind, staff_contacts, context)
    update = redact_listing(listing, redactor)
    earlier = [f for f in listing.personal_fields if ":" in f]
    return listing.model_copy(update=update | {
        "contact_route": route, "contact_person": person, "phones": phone_list,
        "emails": email_list, "personal_fields": fields + earlier + redactor.found})
