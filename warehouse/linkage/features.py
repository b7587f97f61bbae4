"""The comparison features of one listing, computed once: its name's words (folded, without
generic words, its town, a centre's carrier or seat), qualifiers and numbers, its address,
phones, mailboxes and web hosts. `warehouse.linkage.evidence` compares two of them.

A contact centre's name often says no more than its kind, a carrier and a seat ("Selbsthilfe-
Kontaktstelle des Paritätischen", "Selbsthilfebüro im Hardtwaldzentrum"): `Features.bare` is
its name without carrier and seat, `Features.carrier` what was left out.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pyarrow as pa

from schema.listing import Listing

_RUN_CACHES: list = []


def run_cache(fn):
    """Memoise within one linkage run (names, towns and streets repeat across listings);
    `forget_run` drops them after it, so the night's publishing does not carry them."""
    cached = functools.lru_cache(maxsize=1 << 16)(fn)
    _RUN_CACHES.append(cached)
    return cached


def forget_run() -> None:
    for cached in _RUN_CACHES:
        cached.cache_clear()

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_LEGAL = re.compile(r"\b(?:e\.\s*v\.?|ggmbh|gmbh|gbr|ev|eingetragener verein)(?=\W|$)")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
#: Words that every self-help listing may carry: they say nothing about which one it is.
_GENERIC = frozenset(" ".join((
    "selbsthilfegruppe selbsthilfegruppen shg sh selbsthilfe gruppe gruppen kontaktstelle",
    "selbsthilfekontaktstelle selbsthilfekontaktstellen kontakt stelle fuer und u der die",
    "das den dem des in im am an von zu zur zum mit bei e v ev betroffene betroffenen fuers",
    "ag treff treffen meeting",
)).split())
#: What every contact centre is called besides the generic words ("Kontakt-, Informations-
#: und Beratungsstelle im Selbsthilfebereich"): a name of only these says "the centre".
_CENTRE_WORDS = frozenset(("informationsstelle", "informationsstellen", "informations",
                           "beratungsstelle", "selbsthilfebereich", "selbsthilfebuero",
                           "selbsthilfezentrum"))
#: After a word of the name, these open the carrier or seat of a contact centre ("… des
#: Paritätischen", "… der Stadt Halle", "… im Gesundheitsamt"), up to a bracket, a spaced
#: dash or another separator; so does a bracket naming a legal body ("(Paritätische
#: Sozialdienste gGmbH)").
_CARRIER_PHRASE = re.compile(
    r"(?<=[\w)])\s+(?:des|der|vom|beim|am|im)\s(?:(?!\s[-–—]\s)[^()|,;/])*")
#: Words that say what kind of place follows ("Landkreis Traunstein", "Landeshauptstadt
#: Wiesbaden"): part of a centre's seat, not of its name.
_AREA_WORDS = frozenset(("stadt", "landeshauptstadt", "hansestadt", "kreis", "landkreis",
                         "region", "stadtverwaltung", "kreisverwaltung", "landratsamt"))
#: A word that says the listing is a contact centre.
CENTRE_KIND = re.compile(r"kontaktstelle|informationsstelle|beratungsstelle|selbsthilfebuero|"
                   r"selbsthilfezentrum")
_CARRIER_BRACKET = re.compile(r"\([^()]*\b(?:ggmbh|gmbh|gbr|e\.\s*v\b\.?|ev)(?=\W|$)[^()]*\)")
#: Short names many centres share: not one centre's own name.
CENTRE_ACRONYMS = frozenset(("kiss", "kis", "kibis", "kisa", "skis", "sks", "shk", "shz",
                              "sekis", "seko", "ikos"))
_GENERIC_SUFFIXES = ("selbsthilfegruppen", "selbsthilfegruppe", "selbsthilfe", "gruppe")
#: Who a group is for, and which level of an association: a difference here is a different group.
_QUALIFIERS = {
    "angeh": "relatives", "eltern": "parents", "mutter": "parents", "muetter": "parents",
    "vaeter": "parents", "frauen": "women", "maenner": "men", "jung": "young",
    "jugend": "young", "kinder": "children", "senior": "seniors", "partner": "partners",
    "trauer": "bereaved", "geschwister": "siblings", "online": "online", "paare": "couples",
    "bundesverband": "federal", "landesverband": "state", "kreisverband": "district",
    "ortsverband": "local", "bezirksverband": "region", "regionalgruppe": "region",
    "ortsgruppe": "local", "aussenstelle": "branch", "zweigstelle": "branch",
    "nebenstelle": "branch", "bundesgeschaeftsstelle": "federal",
}
_CARE_OF = re.compile(r"\bc\s*/\s*o\b.*$")
_NUMBER = re.compile(r"^(?:\d+|i{1,3}|iv|vi{0,3}|ix|x)$")
_STREET = re.compile(r"(?:strasse|strase|stasse|str\.?)$")

#: The one empty set of every `Features` without qualifiers, numbers or e-mail: most
#: listings have none, and linkage holds one `Features` per active listing (see
#: docs/performance.md, "Linkage").
_NONE: frozenset[str] = frozenset()


def fold(text: str | None) -> str:
    """Lower case, umlauts spelled out, accents dropped."""
    text = (text or "").casefold().translate(_FOLD)
    if text.isascii():
        return text  # nothing to decompose
    text = unicodedata.normalize("NFKD", text)
    if max(text) > "\uffff":
        return "".join(c for c in text if not unicodedata.combining(c))
    return text.translate(_combining())


@functools.cache
def _combining() -> dict[int, None]:
    """Deletes the combining marks of the BMP (what `unicodedata.combining` finds), at C speed."""
    return dict.fromkeys(c for c in range(0x10000) if unicodedata.combining(chr(c)))


def carrier_free(name: str) -> str:
    """A contact centre's name without its carrier or seat ("Selbsthilfebüro der AWO" ->
    "selbsthilfebüro"); folded."""
    return _CARRIER_PHRASE.sub(" ", _CARRIER_BRACKET.sub(" ", fold(name)))


def tokens_of(text: str | None) -> list[str]:
    """The name's words, without what follows "c/o" (the host, not the listing)."""
    text = _CARE_OF.sub(" ", _LEGAL.sub(" ", fold(text)))
    return [sys.intern(t) for t in _NON_ALNUM.split(text) if t]


@run_cache
def _strip_suffix(token: str) -> str:
    for suffix in _GENERIC_SUFFIXES:
        if token.endswith(suffix) and len(token) > len(suffix) + 2:
            return token[: -len(suffix)].rstrip("s") if suffix != "gruppe" else token[:-6]
    return token


@run_cache
def _qualifier(token: str) -> str | None:
    for prefix, label in _QUALIFIERS.items():
        if token.startswith(prefix) or (len(prefix) > 8 and token.endswith(prefix)):
            return label
    return None


@dataclass(slots=True)
class Features:
    """What the comparison needs of one listing, computed once."""

    id: str
    source_id: str
    kind: str
    name: str
    tokens: list[str]
    city_tokens: frozenset[str]
    street: str | None
    number: str | None
    postcode: str | None
    city: str | None
    phones: dict[str, str | None] = field(default_factory=dict)  # e164 -> extension
    emails: frozenset[str] = frozenset()
    hosts: dict[str, str] = field(default_factory=dict)  # host -> first path segment
    #: a second house the address names ("Postplatz 3 / Besucheradresse: Postplatz 2")
    other_house: tuple[str | None, str | None] | None = None
    #: streets an address kept raw names without a house number ("… an der Mühlenstraße")
    loose_streets: frozenset[str] = frozenset()
    #: derived once (see __post_init__): the listing's own core and its words, its main city
    own: tuple[list[str], frozenset[str], frozenset[str]] = field(init=False, repr=False)
    #: a contact centre's core without its carrier or seat (else `own`)
    bare: tuple[list[str], frozenset[str], frozenset[str]] = field(init=False, repr=False)
    carrier: frozenset[str] = field(init=False, repr=False)  # the words `bare` left out
    words: frozenset[str] = field(init=False, repr=False)
    main_city: str | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.own = _core([t for t in map(_strip_suffix, self.tokens)
                          if t not in _GENERIC and t not in self.city_tokens])
        self.bare, self.carrier = self.own, _NONE
        if self.kind == "contact_centre":
            bare = self._bare()
            if bare != self.own[0]:
                self.bare = _core(bare)
                self.carrier = frozenset(self.own[0]).difference(
                    bare, _AREA_WORDS, _CENTRE_WORDS, CENTRE_ACRONYMS) or _NONE
        self.words = frozenset(self.own[0]) or _NONE
        self.main_city = _main_city(self.city)

    def _bare(self) -> list[str]:
        """The core without carrier, seat and area words; of a name of two ("Ehrenamtszentrale/
        Kontaktstelle für Selbsthilfegruppen"), the one that names a contact centre."""
        names = [self.name, *(self.name.split("/") if "/" in self.name else ())]
        cores = [[t for t in map(_strip_suffix, tokens_of(carrier_free(name)))
                  if t not in _GENERIC and t not in _AREA_WORDS and t not in self.city_tokens]
                 for name in names]
        return next((core for name, core in zip(names[1:], cores[1:], strict=True)
                     if CENTRE_KIND.search(fold(name)) and says_centre(core)), cores[0])

    def core(self, other: Features) -> tuple[list[str], frozenset[str], frozenset[str]]:
        """Distinctive name tokens (without generic words and both cities), qualifiers,
        numbers."""
        if other is self or self.words.isdisjoint(other.city_tokens):
            return self.own  # the other's town is not in this name: the cached core holds
        return _core([t for t in self.own[0] if t not in other.city_tokens])

    def bare_core(self, other: Features) -> tuple[list[str], frozenset[str], frozenset[str]]:
        """`core` without the carrier or seat of a contact centre."""
        if self.bare is self.own:
            return self.core(other)
        return _core([t for t in self.bare[0] if t not in other.city_tokens])


def _core(tokens: list[str]) -> tuple[list[str], frozenset[str], frozenset[str]]:
    quals = frozenset(label for t in tokens if (label := _qualifier(t))) or _NONE
    nums = frozenset(t for t in tokens if _number(t)) or _NONE
    return tokens, quals, nums


@run_cache
def _number(token: str) -> bool:
    return bool(_NUMBER.match(token))


@run_cache
def _norm_street(street: str | None) -> str | None:
    if not street:
        return None
    s = _NON_ALNUM.sub("", _STREET.sub("str", fold(street).strip()))
    return s or None


def _norm_number(number: str | None) -> str | None:
    """Folded, separators as "-" ("13 a/b" -> "13-a-b"): `address.house` reads the
    first number and the letters."""
    return _NON_ALNUM.sub("-", fold(number)).strip("-") or None if number else None


def _host(url: str) -> tuple[str, str] | None:
    try:
        parts = urlsplit(url if "//" in url else f"//{url}")
    except ValueError:
        return None
    host = (parts.hostname or "").removeprefix("www.")
    if not host:
        return None
    segment = next((p for p in parts.path.lower().split("/") if p), "")
    return host, segment


def features(
    *, id: str, source_id: str, kind: str, name: str, street: str | None = None,
    number: str | None = None, postcode: str | None = None, city: str | None = None,
    phones: list[tuple[str | None, str | None]] = (), emails: list[str | None] = (),
    urls: list[str | None] = (), extra: str | None = None, raw_address: str | None = None,
) -> Features:
    city_folded, city_tokens = _town(city)
    other = _OTHER_HOUSE.search(extra) if extra else None
    hosts = dict(h for u in urls if u and (h := _host(u)))
    return Features(
        id=id, source_id=sys.intern(source_id), kind=sys.intern(kind), name=name,
        tokens=tokens_of(name), city_tokens=city_tokens, street=_norm_street(street),
        number=_norm_number(number), postcode=(postcode or "").strip() or None, city=city_folded,
        phones={e: x for e, x in phones if e},
        emails=frozenset(fold(e).strip() for e in emails if e) or _NONE,
        hosts=hosts,
        other_house=other and (_norm_street(other["street"]), _norm_number(other["number"])),
        loose_streets=(_loose_streets(raw_address)
                       if raw_address and not street and kind == "contact_centre" else _NONE),
    )


#: The last part of a German street name ("Rosenstraße", "Theatergassen", "Kirchplatz").
_STREET_WORD = re.compile(r"(?:str|weg|gassen?|platz|allee|ring|damm|ufer|stieg|markt)$")


def _loose_streets(text: str) -> frozenset[str]:
    """The street words of an address kept raw, normalised as `_norm_street` does: a place
    described by its street alone ("Treffpunkt Gesundheit an der Kleppingstraße")."""
    words = (_norm_street(w) for w in _NON_ALNUM.split(fold(text)) if len(w) > 4)
    return frozenset(w for w in words if w and _STREET_WORD.search(w)) or _NONE


#: A visitors' or postal address the normaliser keeps in `extra` beside the first one.
_OTHER_HOUSE = re.compile(
    r"(?:besucher|brief|post|liefer)(?:adresse|anschrift)\s*:\s*"
    r"(?P<street>[^\W\d][^\d,;]*?)\s*(?P<number>\d+\s?[a-z]?)\b", re.IGNORECASE)


@run_cache
def _town(city: str | None) -> tuple[str | None, frozenset[str]]:
    """Folded town and its words (3+ letters); towns repeat, so computed once each."""
    folded = fold(city).strip() or None
    return folded, frozenset(t for t in _NON_ALNUM.split(folded or "") if len(t) > 2)


def listing_features(item: Listing) -> Features:
    a = item.address
    return features(
        id=str(item.id), source_id=item.source_id, kind=str(item.kind), name=item.name,
        street=a and a.street, number=a and a.house_number, postcode=a and a.postcode,
        city=a and _with_district(a.city, a.district),
        phones=[(p.e164 or local_number(p.original), p.extension) for p in item.phones],
        emails=[e.address for e in item.emails], urls=[w.url for w in item.websites],
        extra=a and a.extra, raw_address=a and a.original,
    )


#: A number printed without its area code ("52 90 97"): kept raw by the normaliser, since
#: its area is unknown, but linkage may still find it at the end of another's number.
_LOCAL = re.compile(r"[1-9]\d{4,7}")
_SPACING = r"[\s/.\-]"


def local_number(original: str) -> str | None:
    """`+49<digits>` for a local number without its area code, as `shared_numbers` reads it."""
    digits = re.sub(_SPACING, "", original)
    return f"+49{digits}" if _LOCAL.fullmatch(digits) else None


def _with_district(city: str | None, district: str | None) -> str | None:
    """"Bochum" and "Wattenscheid" -> "Bochum-Wattenscheid": a district is a town word of the
    place (a name may carry it), while the main city stays the town."""
    if not city or not district or fold(district) in fold(city):
        return city
    return f"{city}-{district}"


@run_cache
def _main_city(city: str | None) -> str | None:
    return re.split(r"[-/(,]| bei | an der | am ", city)[0].strip() if city else None


def initials(tokens: list[str]) -> str:
    """The first letters of a name's words (small words aside): what an acronym spells."""
    return "".join(t[0] for t in tokens if t not in {"und", "fuer", "der", "die", "das", "e", "v"})


def compatible(a: str, b: str) -> bool:
    """Can listings of these kinds be one entity? (A centre may be listed as an organisation.)"""
    return a == b or {a, b} == {"contact_centre", "organisation"}


def says_centre(core: list[str]) -> bool:
    """A core of words every centre is called ("Informationsstelle", "KISS"), or none."""
    return all(w in _CENTRE_WORDS or w in CENTRE_ACRONYMS for w in core)


def table_features(table: pa.Table) -> list[Features]:
    """`Features` of each row of the active listings' columns (`warehouse.linkage.entities`),
    column by column through Arrow."""
    cols = {name: table.column(name).to_pylist() for name in table.column_names}
    return [features(id=id, source_id=source, kind=kind, name=name, street=street,
                     number=number, postcode=postcode, city=city,
                     phones=[(e or local_number(o), x) for e, x, o in zip(
                         e164 or (), extension or (), originals or (), strict=True)],
                     emails=emails or (), urls=urls or (), extra=extra, raw_address=raw)
            for id, source, kind, name, street, number, postcode, extra, city, e164, extension,
            originals, emails, urls, raw in zip(*cols.values(), strict=True)]
