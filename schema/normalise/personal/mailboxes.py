"""Whose a mailbox is: a person's name or free-mail box, or an office's, a group's own."""

import functools

import regex

from schema.normalise.emails import find_addresses
from schema.normalise.personal.kinds import FREEMAIL_DOMAINS, Holder
from schema.normalise.personal.people import person_findings
from schema.normalise.text import MEMO
from schema.normalise.topics import topic

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
            spans = [(f.start, f.end) for f in person_findings(text)]
            spans += [(a, b) for a, b, _ in addresses(text)]
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
def addresses(text: str) -> tuple[tuple[int, int, str | None], ...]:
    """The mailboxes spelled in `text`, read as the e-mail field reads them."""
    return tuple(find_addresses(text)) if _SPELLED_AT.search(text) else ()
