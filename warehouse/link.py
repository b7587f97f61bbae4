"""Link: listings of different sources that describe one real group, centre or organisation.

`score_pair` compares two listings (normalised name, address, E.164 phones, e-mails, web host)
and returns a score with its evidence; `same_entity` turns the evidence into a decision with
rules per kind. `link_entities` blocks the active listings by postcode, city, core name and
(for centres and organisations only) shared contact data, decides the cross-source pairs
inside a block that a rule can link, and clusters the matches greedily, best score first,
never joining two listings of one source (a source's keys are distinct by construction).
Components then get stable entity ids: an id already held by members is kept (the oldest wins,
the others are retired with a redirect `retired_into`), a new component gets uuid5 of its
smallest listing id.

At Germany scale a city block holds thousands of groups, so not every pair of a block is
scored: `candidate_pairs` uses what the rules require (a name similarity of 80, which the
name comparison caps at 75 unless one name's words all reappear in the other; or shared
contact data) to find exactly the pairs that can pass, through an index of name prefixes;
`_worth_comparing` drops, with rapidfuzz's own ratios, the pairs that still cannot.
tests/link/test_blocking.py checks the result against scoring every pair of every block.
`link_state` remembers what the last linkage read, so an unchanged night computes nothing.

Why hand-set rules rather than Splink: on the real pairs of tests/real/pairs.toml a Splink
model (estimated once, saved; tests/real/linkage_compare.py) links fewer of them at the same
precision, and a rule names why a pair is linked. The labelled pairs in tests/link/pairs.toml
and tests/real/pairs.toml pin precision and recall of the rules. A person's decisions
(`warehouse.link_decisions`, linkage-decisions.toml) come before any rule, and the pairs whose
score lies in an uncertain band go to a review queue (`warehouse.link_review`).

Shared contact data is weak for groups: every group a contact centre lists may carry the
centre's address, phone and mailbox ("im BüZ, Rathausstraße 6"), so groups must agree on their
names; for centres and organisations the address plus a shared phone or mailbox is strong.
A contact centre's name often says no more than its kind, a carrier and a seat ("Selbsthilfe-
Kontaktstelle des Paritätischen", "Selbsthilfebüro im Hardtwaldzentrum"): such a name is no
evidence by itself; two of them are one centre only with a shared house, phone or mailbox,
one town where one side gives nothing to disagree, a name that holds the other's town, or one
carrier or seat of their own (not a welfare association or authority that runs many centres).
A working group or umbrella of groups or centres ("Arbeitsgemeinschaft der Selbsthilfe …",
"Landesarbeitskreis …") is never the contact centre, whatever it shares with it.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import multiprocessing
import re
import sys
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import combinations
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pyarrow as pa
import rapidfuzz
from rapidfuzz import fuzz

from schema.listing import Listing
from warehouse.link_address import same_house, same_street
from warehouse.link_decisions import NONE, Decisions
from warehouse.link_review import review_row, uncertain, write_queue
from warehouse.storage.db import arrow_schema

_DDL_PATH = Path(__file__).with_name("link.sql")

#: Namespace of entity ids: uuid5(ENTITY_NS, smallest member listing id).
ENTITY_NS = uuid.UUID("6f1c2a52-3f0e-5d4b-9a51-5e1b7c0e4e11")

#: Blocks of contact data larger than this are a switchboard, not evidence worth a block.
MAX_CONTACT_BLOCK = 50

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
_KIND = re.compile(r"kontaktstelle|informationsstelle|beratungsstelle|selbsthilfebuero|"
                   r"selbsthilfezentrum")
_CARRIER_BRACKET = re.compile(r"\([^()]*\b(?:ggmbh|gmbh|gbr|e\.\s*v\b\.?|ev)(?=\W|$)[^()]*\)")
#: Short names many centres share: not one centre's own name.
_CENTRE_ACRONYMS = frozenset(("kiss", "kis", "kibis", "kisa", "skis", "sks", "shk", "shz",
                              "sekis", "seko", "ikos"))
#: Words that name a body of many groups or centres (a working group, an umbrella): such a
#: body is not a contact centre, even at the centre's address or under its name.
_UMBRELLA = re.compile(r"arbeitsgemeinschaft|arbeitskreis|dachverband")
#: Carriers and seats that run or house many centres (welfare associations, authorities): two
#: centres naming one of them may still be two centres.
_MANY_CENTRES = re.compile(r"paritaet|awo$|arbeiterwohlfahrt|caritas|diakon|drk$|kreuz|"
                           r"gesundheitsamt|landratsamt|volkssolidaritaet|stadt|gemeinde")
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
_HOST_WORDS = re.compile(r"[.-]")
_CARE_OF = re.compile(r"\bc\s*/\s*o\b.*$")
_NUMBER = re.compile(r"^(?:\d+|i{1,3}|iv|vi{0,3}|ix|x)$")
_STREET = re.compile(r"(?:strasse|strase|stasse|str\.?)$")


#: The one empty set of every `Features` without qualifiers, numbers or e-mail: linkage
#: holds 100,000 of them, and an empty set each cost 216 bytes (with `__slots__` and
#: interned tokens, ids and kinds: 290 -> 205 MB of features, 634 -> 546 MB at its peak).
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


def _carrier_free(name: str) -> str:
    """A contact centre's name without its carrier or seat ("Selbsthilfebüro der AWO" ->
    "selbsthilfebüro"); folded."""
    return _CARRIER_PHRASE.sub(" ", _CARRIER_BRACKET.sub(" ", fold(name)))


def _tokens(text: str | None) -> list[str]:
    """The name's words, without what follows "c/o" (the host, not the listing)."""
    text = _CARE_OF.sub(" ", _LEGAL.sub(" ", fold(text)))
    return [sys.intern(t) for t in _NON_ALNUM.split(text) if t]


@functools.cache
def _strip_suffix(token: str) -> str:
    for suffix in _GENERIC_SUFFIXES:
        if token.endswith(suffix) and len(token) > len(suffix) + 2:
            return token[: -len(suffix)].rstrip("s") if suffix != "gruppe" else token[:-6]
    return token


@functools.cache
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
                    bare, _AREA_WORDS, _CENTRE_WORDS, _CENTRE_ACRONYMS) or _NONE
        self.words = frozenset(self.own[0]) or _NONE
        self.main_city = _main_city(self.city)

    def _bare(self) -> list[str]:
        """The core without carrier, seat and area words; of a name of two ("Ehrenamtszentrale/
        Kontaktstelle für Selbsthilfegruppen"), the one that names a contact centre."""
        names = [self.name, *(self.name.split("/") if "/" in self.name else ())]
        cores = [[t for t in map(_strip_suffix, _tokens(_carrier_free(name)))
                  if t not in _GENERIC and t not in _AREA_WORDS and t not in self.city_tokens]
                 for name in names]
        return next((core for name, core in zip(names[1:], cores[1:], strict=True)
                     if _KIND.search(fold(name)) and _says_centre(core)), cores[0])

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


@functools.lru_cache(maxsize=1 << 16)
def _number(token: str) -> bool:
    return bool(_NUMBER.match(token))


@functools.lru_cache(maxsize=1 << 16)
def _norm_street(street: str | None) -> str | None:
    if not street:
        return None
    s = _NON_ALNUM.sub("", _STREET.sub("str", fold(street).strip()))
    return s or None


def _norm_number(number: str | None) -> str | None:
    """Folded, separators as "-" ("13 a/b" -> "13-a-b"): `link_address.house` reads the
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
        tokens=_tokens(name), city_tokens=city_tokens, street=_norm_street(street),
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


@functools.lru_cache(maxsize=1 << 16)
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


@functools.lru_cache(maxsize=1 << 16)
def _main_city(city: str | None) -> str | None:
    return re.split(r"[-/(,]| bei | an der | am ", city)[0].strip() if city else None


def _initials(tokens: list[str]) -> str:
    return "".join(t[0] for t in tokens if t not in {"und", "fuer", "der", "die", "das", "e", "v"})


def name_similarity(a: Features, b: Features) -> tuple[float, bool, bool]:
    """(similarity 0–100, conflict, generic): `conflict` when qualifiers or numbers differ
    ("Angehörige", "Landesverband", "Gruppe II"), `generic` when a name says nothing itself.
    Two contact centres' names are also compared without their carriers and seats: one
    publisher names the carrier, the other does not."""
    found = _similarity(a, b, a.core(b), b.core(a))
    if a.kind == b.kind == "contact_centre" and (a.bare is not a.own or b.bare is not b.own):
        bare = _similarity(a, b, a.bare_core(b), b.bare_core(a))
        if bare[0] > found[0]:
            return bare
    return found


def _similarity(a: Features, b: Features, core_a: tuple, core_b: tuple
                ) -> tuple[float, bool, bool]:
    (core_a, qual_a, num_a), (core_b, qual_b, num_b) = core_a, core_b
    conflict = qual_a != qual_b or bool(num_a and num_b and num_a != num_b)
    if not core_a and not core_b and a.kind != "group" and _town_named(a, b):
        return TOWN_NAMED, conflict, False
    if not core_a or not core_b:
        return 0.0, conflict, True
    heads_differ = bool(_unmatched(core_a, core_b) and _unmatched(core_b, core_a))
    sa, sb = " ".join(core_a), " ".join(core_b)
    sim = max(fuzz.token_sort_ratio(sa, sb),
              fuzz.ratio("".join(sorted(core_a)), "".join(sorted(core_b))),
              fuzz.ratio(sa.replace(" ", ""), sb.replace(" ", "")))
    for short, full in ((core_a, a.tokens), (core_b, b.tokens)):
        other = b.tokens if full is a.tokens else a.tokens
        if len(short) == 1 and 2 < len(short[0]) <= 6 and short[0] == _initials(other):
            return 95.0, conflict, False
    if a.kind != "group" and (acronym := _acronym_within(core_a, core_b)):
        within = ACRONYM_WITHIN if acronym in _CENTRE_ACRONYMS else OWN_ACRONYM_WITHIN
        return float(max(sim, within)), conflict, False
    if heads_differ:
        # both names hold a word the other lacks ("Angst-" vs "Zwangsstörungen"): a character
        # ratio over German compounds would call them near-equal
        sim = min(sim, 75.0)
    return float(sim), conflict, False


#: A centre's short name inside the other's long one ("KISS" / "Kontakt- und
#: Informationsstelle für Selbsthilfe (KISS)"): as similar as names that differ by a word.
ACRONYM_WITHIN = 85.0
#: ... unless the short name is one of its own, not one many centres share ("KOBES" /
#: "Kontakt- und Beratungsstelle für Selbsthilfegruppen (Kobes)"): as good as the full name.
OWN_ACRONYM_WITHIN = 90.0
#: Two centres named only by their kind and one town ("Selbsthilfe-Kontaktstelle Köln").
TOWN_NAMED = 90.0


def _acronym_within(core_a: list[str], core_b: list[str]) -> str | None:
    """The word, when one core is a single short word (3–6 letters) that the other, longer
    core holds."""
    for short, long in ((core_a, core_b), (core_b, core_a)):
        if len(short) == 1 and len(long) > 1 and 2 < len(short[0]) <= 6 and short[0] in long:
            return short[0]
    return None


def _town_named(a: Features, b: Features) -> bool:
    """Both names say only what the listing is and where, and the place is the same: a word
    of one name is the other's town (the cores are empty once the towns are taken out)."""
    return bool(set(a.tokens) & b.city_tokens or set(b.tokens) & a.city_tokens)


def _close(t: str, u: str) -> bool:
    return t[:3] == u[:3]


def _unmatched(core: list[str], other: list[str]) -> list[str]:
    return [t for t in core if len(t) > 2 and not any(_close(t, u) for u in other)]


def _compatible(a: str, b: str) -> bool:
    return a == b or {a, b} == {"contact_centre", "organisation"}


def compare(a: Features, b: Features) -> tuple[float, dict]:
    """Score (0–1) and evidence of one pair."""
    sim, conflict, generic = name_similarity(a, b)
    shared_phones = shared_numbers(a.phones, b.phones)
    shared_emails = sorted(a.emails & b.emails)
    same_host = bool(a.hosts.keys() & b.hosts.keys())
    # one site: the same host and first path segment (a carrier's home page is not the
    # centre's page under it)
    same_site = any(a.hosts[h] == b.hosts[h] for h in a.hosts.keys() & b.hosts.keys())
    both_street = bool(a.street and b.street)
    same_place = bool((a.postcode and a.postcode == b.postcode)
                      or (a.main_city and a.main_city == b.main_city))
    unplaced = not (a.postcode or a.main_city) or not (b.postcode or b.main_city)
    same_address = bool(both_street and _same_house(a, b) and (same_place or unplaced))
    other_city = bool(a.city and b.city and a.main_city != b.main_city
                      and a.postcode != b.postcode)
    evidence = {
        "name_similarity": sim, "name_conflict": conflict, "generic_name": generic,
        "branch_conflict": conflict and _branch_only(a, b),
        "same_address": same_address, "address_conflict": both_street and not same_address,
        "both_generic": not a.core(b)[0] and not b.core(a)[0],
        "names_town": _names_town(a, b) or _names_town(b, a),
        "town_unnamed": _town_unnamed(a, b) or _town_unnamed(b, a),
        "kind_only": _kind_only(a, b) or _kind_only(b, a),
        # ... also when the carrier or seat is left out ("Selbsthilfebüro der AWO")
        "bare_kind_only": _says_centre(a.bare_core(b)[0]) or _says_centre(b.bare_core(a)[0]),
        "both_bare_kind_only": (_says_centre(a.bare_core(b)[0])
                                and _says_centre(b.bare_core(a)[0])),
        "both_kind_only": _kind_only(a, b) and _kind_only(b, a),
        "name_in_contacts": _name_in_contacts(a, b) or _name_in_contacts(b, a),
        # both give a phone (or both a mailbox, or both a web site) and none is the other's
        "contacts_disagree": bool((a.phones and b.phones and not shared_phones)
                                  or (a.emails and b.emails and not shared_emails)
                                  or (a.hosts and b.hosts and not same_host)),
        "same_place": same_place, "unplaced": unplaced,
        "same_town": bool(a.city and a.city == b.city),
        "same_street": both_street and any(same_street(sa, sb) for sa, _ in _houses(a)
                                           for sb, _ in _houses(b)),
        "both_centre_named": bool(_KIND.search(fold(a.name)) and _KIND.search(fold(b.name))),
        # both name a carrier (left out of `bare`), and not one word of it is the same
        "carrier_conflict": bool(a.carrier - b.city_tokens and b.carrier - a.city_tokens
                                 and (a.carrier - b.city_tokens).isdisjoint(b.carrier)),
        # an address of a street alone names the other's street
        "street_named": _street_named(a, b) or _street_named(b, a),
        # both name the same carrier or seat of their own ("… im Netzwerk e.V.")
        "same_own_carrier": _same_own_carrier(a, b),
        # one names a working group or umbrella and the other is a contact centre that does not
        "umbrella_conflict": _umbrella(a.name) != _umbrella(b.name) and (
            "contact_centre" in (a.kind, b.kind)),
        # one side gives no phone, mailbox or web site: nothing of it can disagree
        "silent": not (a.phones or a.emails or a.hosts) or not (b.phones or b.emails or b.hosts),
        "other_city": other_city,
        "shared_phones": shared_phones, "shared_emails": shared_emails,
        "same_web_domain": same_host, "same_web_site": same_site,
        "kinds": sorted({a.kind, b.kind}), "compatible_kinds": _compatible(a.kind, b.kind),
    }
    contacts = bool(shared_phones) + bool(shared_emails) + same_site
    score = (0.5 * (0 if conflict else sim / 100) + 0.2 * same_address + 0.1 * same_place
             + 0.1 * bool(shared_phones) + 0.06 * bool(shared_emails) + 0.04 * same_site)
    evidence["contacts"] = contacts
    evidence["rule"] = _rule(evidence)
    return round(score, 4), evidence


@functools.lru_cache(maxsize=1 << 16)
def _umbrella(name: str) -> bool:
    """Does the name (its carrier or seat aside, and what follows "c/o") say it is a working
    group or umbrella ("Landesarbeitskreis Selbsthilfe-Kontaktstellen c/o …")?"""
    return any(_UMBRELLA.search(t) for t in _tokens(_carrier_free(name)))


def _street_named(a: Features, b: Features) -> bool:
    """Does a's address, a street without a house number, name b's street?"""
    return any(same_street(w, street) for w in a.loose_streets
               for street, _ in _houses(b) if street)


def _same_own_carrier(a: Features, b: Features) -> bool:
    """Do both name the same carrier or seat, and is it not one that runs many centres?"""
    return bool(a.carrier and a.carrier == b.carrier
                and not any(_MANY_CENTRES.search(w) for w in a.carrier))


def _kind_only(a: Features, b: Features) -> bool:
    """Does a's name say only that it is a contact centre (in b's town)?"""
    return _says_centre(a.core(b)[0])


def _says_centre(core: list[str]) -> bool:
    """A core of words every centre is called ("Informationsstelle", "KISS"), or none."""
    return all(w in _CENTRE_WORDS or w in _CENTRE_ACRONYMS for w in core)


def _name_in_contacts(a: Features, b: Features) -> bool:
    """Is a word of a's name (an acronym of its own) b's mailbox name or web host
    ("REKOSI" / rekosi@…)?"""
    words = {t for t in a.own[0] if 4 <= len(t) <= 8 and t not in _CENTRE_ACRONYMS}
    if not words:
        return False
    labels = {e.split("@", 1)[0] for e in b.emails} | {h.split(".", 1)[0] for h in b.hosts}
    return not words.isdisjoint(labels)


def _town_unnamed(a: Features, b: Features) -> bool:
    """Is a without a place, while b's name holds b's own town and a's does not
    ("Selbsthilfebüro der AWO" / "Selbsthilfebüro Forchheim" in Forchheim): b's name says
    which town's it is, a's says another or none."""
    if a.postcode or a.main_city or not b.city_tokens.intersection(b.tokens):
        return False
    return not _names_town(a, b)


def _names_town(a: Features, b: Features) -> bool:
    """Does a listing without a town name the other's town ("Kiss Mainz" / one in Mainz), or
    its adjective ("Heidelberger"), in its name or web host?"""
    if a.postcode or a.main_city or not b.city_tokens:
        return False
    words = [*a.tokens, *(w for h in a.hosts for w in _HOST_WORDS.split(h))]  # …mannheim.de
    return any(t in b.city_tokens or (t.endswith("er") and t[:-2] in b.city_tokens)
               for t in words)  # "Heidelberger Selbsthilfebüro"


def shared_numbers(a: dict[str, str | None], b: dict[str, str | None]) -> list[str]:
    """Phones both list (same extension or none), and a number printed without its area
    code ("52 90 97") that ends the other's ("0231 52 90 97")."""
    shared = {e for e, x in a.items()
              if e in b and (x is None or b[e] is None or x == b[e])}
    for short, full in ((a, b), (b, a)):
        for e in short:
            if e.startswith("+49") and len(e) - 3 <= LOCAL_DIGITS:
                shared |= {f for f in full if f.startswith("+49") and len(f) > len(e)
                           and f.endswith(e[3:])}
    return sorted(shared)


#: A German number of at most this many digits after +49 lacks its area code.
LOCAL_DIGITS = 7


def _same_house(a: Features, b: Features) -> bool:
    return any(same_street(sa, sb) and same_house(na, nb)
               for sa, na in _houses(a) for sb, nb in _houses(b))


def _houses(f: Features) -> list[tuple[str | None, str | None]]:
    return [(f.street, f.number)] + ([f.other_house] if f.other_house else [])


#: The qualifier of an office of a centre (an "Außenstelle"), not of another body.
_BRANCH = frozenset({"branch"})


def _branch_only(a: Features, b: Features) -> bool:
    """Is the names' conflict only that one is a branch office ("Außenstelle")?"""
    (_, qual_a, num_a), (_, qual_b, num_b) = a.core(b), b.core(a)
    return bool(qual_a ^ qual_b) and (qual_a ^ qual_b) <= _BRANCH and not (
        num_a and num_b and num_a != num_b)


def _rule(ev: dict) -> str | None:
    """The rule that makes the pair one entity, or None."""
    if not ev["compatible_kinds"] or ev["umbrella_conflict"]:
        return None  # a working group or umbrella is another body than the centre
    sim, contacts, addr = ev["name_similarity"], ev["contacts"], ev["same_address"]
    if ev["name_conflict"]:
        sim = min(sim, 60.0)
    settled = addr or (ev["same_place"] and not ev["address_conflict"])
    if ev["other_city"] and ev["address_conflict"]:
        # another town at another address: a branch unless phone and mailbox/web agree too
        if sim >= 90 and ev["shared_phones"] and contacts >= 2:
            return "moved"
        return None
    if ev["kinds"] == ["group"]:
        # the centre's address and phone are shared by all its groups: names must agree
        if sim >= 90 and (settled or contacts >= 1):
            return "name+place"
        if sim >= 85 and addr:
            return "name+address"
        return None
    # centres and organisations: their address, phone and mailbox are their own
    if sim >= 88 and (settled or contacts >= 1):
        return "name+place"
    if sim >= 80 and (addr or contacts >= 2):
        return "name+address"
    if sim >= 80 and ev["shared_phones"] and not ev["other_city"]:
        return "name+phone"  # a centre keeps its number when it moves
    if (ev["same_place"] or ev["names_town"]) and sim >= 95 and not ev["generic_name"]:
        return "name+town"  # the same centre's name in the same town: moved within it
    if ev["unplaced"] and not ev["address_conflict"] and not ev["contacts_disagree"] and (
            not ev["town_unnamed"]) and (not ev["bare_kind_only"] or ev["names_town"]) and (
            sim >= 90 or (sim >= 80 and ev["names_town"]) or ev["name_in_contacts"]):
        return "name only"  # one side says no more than the name, and nothing disagrees
    if ev["name_conflict"] and not (ev["branch_conflict"] and addr and ev["shared_phones"]):
        return None  # ... but a branch at its own address with its own phone is that branch
    if addr and contacts >= 1:
        return "address+contact"
    if (ev["same_place"] or ev["unplaced"]) and contacts >= 2 and (
            ev["shared_phones"] or ev["shared_emails"]):
        return "contacts"
    if ev["kinds"] == ["contact_centre"] and ev["both_bare_kind_only"] and (
            ev["shared_phones"] or ev["shared_emails"]) and not ev["address_conflict"] and (
            not ev["carrier_conflict"]):
        return "kind+contact"  # both say "the contact centre" and share a number or mailbox
    if ev["kinds"] == ["contact_centre"] and addr and (ev["kind_only"] or (
            ev["bare_kind_only"] and ev["same_place"])) and not ev["contacts_disagree"]:
        return "address+kind"  # "the contact centre" at the other's house (in its town)
    if ev["kinds"] == ["contact_centre"] and ev["bare_kind_only"] and ev["same_street"] and (
            ev["both_centre_named"] and (ev["same_place"] or ev["names_town"])
            and not (ev["other_city"] or ev["contacts_disagree"] or ev["carrier_conflict"])):
        return "kind+street"
    if ev["kinds"] == ["contact_centre"] and ev["both_bare_kind_only"] and (
            not ev["carrier_conflict"]):
        if addr:
            return "kind+address"  # both say "the contact centre", in one house
        if ev["same_town"] and ev["silent"]:
            return "kind+town"  # ... in one town, and one side has no contact to disagree
    if ev["kinds"] == ["contact_centre"] and ev["both_bare_kind_only"] and (
            ev["same_own_carrier"] and ev["silent"] and not ev["other_city"]):
        return "kind+seat"  # "the contact centre" of one carrier or seat of its own
    if ev["kinds"] == ["contact_centre"] and ev["bare_kind_only"] and ev["street_named"] and (
            ev["silent"] and not (ev["other_city"] or ev["contacts_disagree"]
                                  or ev["carrier_conflict"])):
        return "kind+street named"  # "the contact centre in the X-Straße" and the centre there
    if ev["kinds"] == ["contact_centre"] and ev["both_kind_only"] and ev["same_web_domain"] and (
            ev["same_place"] or ev["names_town"]):
        return "kind+town"  # "the KISS" of one town on one web domain, before and after a move
    if ev["kinds"] == ["contact_centre"] and ev["unplaced"] and ev["names_town"] and (
            ev["generic_name"] and not ev["address_conflict"] and not ev["contacts_disagree"]):
        return "kind+town"  # "Selbsthilfe-Kontaktstelle Walsrode" and the one in Walsrode
    return None


def score_pair(a: Listing, b: Listing) -> tuple[float, dict]:
    """Score (0–1) and evidence (name_similarity, same_address, shared_phones, shared_emails,
    same_web_domain, rule, …) of two listings."""
    return compare(listing_features(a), listing_features(b))


def same_entity(a: Listing, b: Listing) -> bool:
    """Do two listings of different sources describe the same group / centre / organisation?"""
    if a.source_id == b.source_id:
        return False
    return score_pair(a, b)[1]["rule"] is not None


# -- the warehouse step ------------------------------------------------------------------------


def ensure_link_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_DDL_PATH.read_text("utf-8"))


def _active_table(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """The columns linkage needs of every active listing."""
    return con.sql("""
        SELECT id::VARCHAR AS id, source_id, kind, name,
               address.street AS street, address.house_number AS number,
               address.postcode AS postcode, address.extra AS extra,
               CASE WHEN address.district IS NULL OR address.city IS NULL
                         OR strpos(lower(address.city), lower(address.district)) > 0
                    THEN address.city ELSE address.city || '-' || address.district END AS city,
               list_transform(phones, p -> p.e164) AS e164,
               list_transform(phones, p -> p.extension) AS extension,
               list_transform(phones, p -> p.original) AS phone_original,
               list_transform(emails, e -> e.address) AS emails,
               list_transform(websites, w -> w.url) AS urls,
               CASE WHEN kind = 'contact_centre' AND address.street IS NULL
                    THEN address.original END AS raw_address
        FROM listings WHERE active ORDER BY id
    """).to_arrow_table()


def _features(table: pa.Table) -> list[Features]:
    """`Features` of each row of `_active_table`, column by column through Arrow."""
    cols = {name: table.column(name).to_pylist() for name in table.column_names}
    return [features(id=id, source_id=source, kind=kind, name=name, street=street,
                     number=number, postcode=postcode, city=city,
                     phones=[(e or local_number(o), x) for e, x, o in zip(
                         e164 or (), extension or (), originals or (), strict=True)],
                     emails=emails or (), urls=urls or (), extra=extra, raw_address=raw)
            for id, source, kind, name, street, number, postcode, extra, city, e164, extension,
            originals, emails, urls, raw in zip(*cols.values(), strict=True)]


_CONTACT_BLOCKS = ("tel", "mail", "web")


def _contact_keys(f: Features) -> set[str]:
    return ({f"tel:{p}" for p in f.phones} | {f"mail:{e}" for e in f.emails}
            | {f"web:{h}" for h in f.hosts})


def _towns(items: list[Features]) -> set[str]:
    """Every word of every listing's town: a name may lose any of them in a pair."""
    towns: set[str] = set()
    for f in items:
        towns |= f.city_tokens
    return towns


def _blocks(items: list[Features]) -> dict[str, list[int]]:
    """Postcode, main city, core name and (centres, organisations) contact data. The name key
    leaves out town words, as the comparison does: "SHG Parkinson Leipzig" without an address
    keeps "leipzig" in its core, the same group at a Leipzig address drops it. A contact
    centre without a place joins the block of a town its name holds ("… der Stadt Halle"),
    and the block of its carrier or seat; one whose address names a street alone meets the
    centres on that street."""
    towns = _towns(items)
    mains = {f.main_city for f in items if f.main_city}
    loose = any(f.loose_streets for f in items)
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, f in enumerate(items):
        keys = set()
        if f.postcode:
            keys.add(f"pc:{f.postcode}")
        if f.main_city:
            keys.add(f"city:{f.main_city}")
        elif f.kind == "contact_centre" and not f.postcode:
            keys |= {f"city:{t}" for t in f.tokens if t in mains}
        if f.words:
            keys.add(f"name:{' '.join(sorted(f.words - towns or f.words))}")
        if f.bare is not f.own and (bare := frozenset(f.bare[0])):
            keys.add(f"name:{' '.join(sorted(bare - towns or bare))}")  # carrier left out
        if f.carrier:
            keys.add(f"name:{' '.join(sorted(f.carrier))}")  # the carrier or seat alone
        if f.kind != "group":
            keys |= _contact_keys(f)
        if f.kind == "contact_centre":  # a centre known by its street alone meets those on it
            keys |= {f"street:{w}" for w in f.loose_streets}
            if f.street and loose:
                keys.add(f"street:{f.street}")
        for key in keys:
            blocks[key].append(i)
    return blocks


@dataclass(frozen=True, slots=True)
class _Name:
    """A listing's name as the candidate search sees it (see `_place_pairs`)."""

    prefixes: frozenset[str]  # first three letters of the core words of 3+ letters
    length: int               # letters of the core, and with the spaces between words
    spaced: int
    drops: tuple[tuple[frozenset[str], frozenset[str]], ...]  # (town words, prefixes left)
    short: int | None         # core may shrink to words of 1–2 letters: their spaced length
    least: int                # letters of the core no town can drop: a floor of its length
    abbrevs: frozenset[str]   # core words of 3–6 letters: could be an acronym
    initials: str | None      # the initials of the whole name, when 3–6 letters
    texts: tuple[str, str, str]  # the three strings `name_similarity` compares
    single: str | None        # the core's only word, when it could be an acronym


def _names(items: list[Features]) -> list[_Name]:
    towns = _towns(items)
    names = []
    for f in items:
        core = f.own[0]
        long = {t for t in core if len(t) > 2}
        drops = []
        if placed := sorted(long & towns)[:8]:
            for size in range(1, min(len(placed), 4) + 1):
                for dropped in combinations(placed, size):
                    if rest := frozenset(t[:3] for t in long.difference(dropped)):
                        drops.append((frozenset(dropped), rest))
        short = [t for t in core if len(t) <= 2]
        initials = _initials(f.tokens)
        length = sum(map(len, core))
        names.append(_Name(
            prefixes=frozenset(t[:3] for t in long), length=length,
            spaced=length + len(core) - 1, drops=tuple(drops),
            short=sum(map(len, short)) + len(short) - 1 if short and long <= towns else None,
            least=sum(len(t) for t in core if t not in towns),
            abbrevs=frozenset(t for t in core if 3 <= len(t) <= 6),
            initials=initials if 3 <= len(initials) <= 6 else None,
            texts=_texts(core), single=_single(core)))
    return names


def _texts(core: list[str]) -> tuple[str, str, str]:
    spaced = " ".join(core)
    return spaced, "".join(sorted(core)), spaced.replace(" ", "")


def _single(core: list[str]) -> str | None:
    return core[0] if len(core) == 1 and 2 < len(core[0]) <= 6 else None


def _worth_comparing(a: Features, b: Features, m: _Name, n: _Name) -> bool:
    """False only for pairs `_rule` cannot link. Two contact centres are always compared
    (their rules weigh carrier, seat and kind, not only the name); centres and organisations
    that share a phone, mailbox or web host are compared, and so is an acronym that spells the
    other's initials. Otherwise every rule needs names of at least 80 (groups: 85) by the same three
    ratios `name_similarity` takes the best of, no qualifier or number conflict, and, without
    shared contact data, no two different streets."""
    if _towns_meet(a, b):  # the cores shrink by the other's town: take the pair's cores
        (core_a, quals_a, nums_a), (core_b, quals_b, nums_b) = a.core(b), b.core(a)
        texts_a, texts_b, single_a, single_b = (_texts(core_a), _texts(core_b),
                                                _single(core_a), _single(core_b))
    else:
        (core_a, quals_a, nums_a), (core_b, quals_b, nums_b) = a.own, b.own
        texts_a, texts_b, single_a, single_b = m.texts, n.texts, m.single, n.single
    if (single_a and single_a == n.initials) or (single_b and single_b == m.initials):
        return True
    group = a.kind == "group"
    if not group and (_acronym_within(core_a, core_b) or (
            not core_a and not core_b and _town_named(a, b))):
        return True
    if a.kind == b.kind == "contact_centre":
        return True  # few per town; named with or without their carrier (`Features.bare`)
    if not (a.phones.keys().isdisjoint(b.phones) and a.emails.isdisjoint(b.emails)
            and a.hosts.keys().isdisjoint(b.hosts)):
        if not group:
            return True
    elif group and a.street and b.street and not _same_house(a, b):
        return False  # (a centre keeps its name when it moves: rule name+town)
    if not core_a or not core_b or quals_a != quals_b or (
            nums_a and nums_b and nums_a != nums_b):
        return False
    cutoff = 85 if group else 80
    (sa, ta, ua), (sb, tb, ub) = texts_a, texts_b
    return bool(fuzz.token_sort_ratio(sa, sb, score_cutoff=cutoff)
                or fuzz.ratio(ta, tb, score_cutoff=cutoff)
                or fuzz.ratio(ua, ub, score_cutoff=cutoff))


def candidate_pairs(items: list[Features], names: list[_Name] | None = None,
                    blocks: dict[str, list[int]] | None = None) -> set[tuple[int, int]]:
    """The cross-source pairs worth scoring: every pair some rule in `_rule` can link.

    A rule links two listings only if they share a place (postcode or main city) or a phone,
    mailbox or web host (see `_rule`), and, unless contact data decides (centres and
    organisations), only if their names reach a similarity of 80. So instead of every pair
    of a postcode or city block (quadratic: a city holds thousands of groups):
    - inside a place block, the pairs whose names can reach 80 (`_place_pairs`), the
      centres and organisations that share contact data, and every two contact centres (a
      centre without a place is in the block of a town its name holds);
    - inside a name block, the pairs that also share contact data (a name alone, in another
      town, is never enough), unless more than MAX_CONTACT_BLOCK listings of that name share
      it (a federation's hotline: in one town they still meet in the place block);
    - the contact blocks of centres and organisations, as before (a switchboard of more than
      MAX_CONTACT_BLOCK listings is not evidence);
    - inside a street block (contact centres only, when one names its street alone), every
      pair.
    """
    names = names or _names(items)
    blocks = _blocks(items) if blocks is None else blocks
    bound = max((n.short for n in names if n.short is not None), default=0) * 1.5
    pairs: set[tuple[int, int]] = set()
    for key, members in blocks.items():
        if len(members) < 2:
            continue
        kind = key.split(":", 1)[0]
        if kind in _CONTACT_BLOCKS:
            if len(members) <= MAX_CONTACT_BLOCK:
                _all_pairs(items, members, pairs)
        elif kind == "street":
            _all_pairs(items, members, pairs)  # contact centres only: a few per street
        elif kind == "name":
            _placeless_pairs(items, members, pairs)
            shared: dict[str, list[int]] = defaultdict(list)
            for i in members:
                for contact in _contact_keys(items[i]):
                    shared[contact].append(i)
            for group in shared.values():
                if len(group) <= MAX_CONTACT_BLOCK:  # else a hotline, not evidence
                    _all_pairs(items, group, pairs)
        else:
            _place_pairs(items, names, members, bound, pairs)
    return pairs


def _placeless_pairs(items: list[Features], members: list[int],
                     pairs: set[tuple[int, int]]) -> None:
    """A centre or organisation known only by its name (no postcode, no town) meets the
    others of its name block: the name is all there is to compare (rule "name only")."""
    for i in members:
        a = items[i]
        if a.kind == "group" or a.postcode or a.main_city:
            continue
        for j in members:
            b = items[j]
            if j != i and a.source_id != b.source_id and _compatible(a.kind, b.kind):
                pairs.add((i, j) if i < j else (j, i))


def _all_pairs(items: list[Features], members: list[int], pairs: set[tuple[int, int]]) -> None:
    for x, i in enumerate(members):
        a = items[i]
        for j in members[x + 1:]:
            b = items[j]
            if a.source_id != b.source_id and _compatible(a.kind, b.kind):
                pairs.add((i, j) if i < j else (j, i))


def _place_pairs(items: list[Features], names: list[_Name], members: list[int], bound: float,
                 pairs: set[tuple[int, int]]) -> None:
    """Pairs of one postcode or city whose names can reach a similarity of 80, found through
    an index of name prefixes instead of comparing all pairs.

    `name_similarity` caps a pair at 75 when both names hold a word (3+ letters) whose first
    three letters the other lacks. So a pair above 75 has one side A whose every core word is
    matched in B: B holds the prefixes of all A's words, which the index finds (the
    intersection of their posting sets, smallest first). A's core loses the words of B's
    town ("Kreuzbund Herne-Wanne" vs a group in Herne-Wanne), so every set of town words in
    A's name gets its own lookup of the prefixes left and the town words.
    A core that may shrink to 1–2 letter words ("MS-Gruppe") meets every short enough name;
    an acronym ("KISS") meets the names whose initials it spells. Pairs where neither side's
    words can be dropped must also pass a length bound: `fuzz.ratio` is at most
    2·shorter/(both lengths), so for 80 one of the compared strings is at most 1.5× the other.
    """
    shared: dict[str, list[int]] = defaultdict(list)
    postings: dict[str, set[int]] = defaultdict(set)
    towns: dict[str, set[int]] = defaultdict(set)
    by_initials: dict[str, list[int]] = defaultdict(list)
    short = []
    for i in members:
        f, n = items[i], names[i]
        if f.kind != "group":
            for contact in _contact_keys(f):
                shared[contact].append(i)
        for prefix in n.prefixes:
            postings[prefix].add(i)
        for town in f.city_tokens:
            towns[town].add(i)
        if n.initials:
            by_initials[n.initials].append(i)
        if n.least <= bound:
            short.append(i)
    for group in shared.values():
        _all_pairs(items, group, pairs)
    # centres named by kind and town only ("Selbsthilfe-Kontaktstelle Köln"): see _town_named
    _all_pairs(items, [i for i in members if items[i].kind != "group"
                       and all(w in towns for w in items[i].own[0])], pairs)
    # the block's contact centres meet each other: a town has a few, and their names may
    # differ by a carrier or seat one publisher leaves out (`Features.bare`)
    _all_pairs(items, [i for i in members if items[i].kind == "contact_centre"], pairs)

    def holding(prefixes: frozenset[str], dropped: frozenset[str] = frozenset()) -> set[int]:
        """Members whose core holds every prefix and whose town holds every dropped word."""
        sets = sorted([postings[p] for p in prefixes] + [towns[t] for t in dropped], key=len)
        return sets[0].intersection(*sets[1:])

    words: dict[str, set[int]] = defaultdict(set)  # town word -> members whose core holds it
    for i in members:
        for word in items[i].words:
            if word in towns:
                words[word].add(i)
    for i in members:
        a, n = items[i], names[i]
        found: list[int] = []
        if n.prefixes:
            lo, hi, lo_s, hi_s = n.length / 1.5, n.length * 1.5, n.spaced / 1.5, n.spaced * 1.5
            held = holding(n.prefixes)
            found += [j for j in held if lo <= names[j].length <= hi
                      or lo_s <= names[j].spaced <= hi_s]
            meet = set().union(*(towns[w] for w in a.words if w in towns),
                               *(words[c] for c in a.city_tokens if c in words))
            found += held & meet
        for dropped, rest in n.drops:
            found += holding(rest, dropped)
        if n.short is not None:
            found += short
        if n.single and a.kind != "group":  # "KISS" inside the other's long name
            found += held
        for word in n.abbrevs:
            found += by_initials.get(word, ())
        for j in found:
            b = items[j]
            if j != i and a.source_id != b.source_id and _compatible(a.kind, b.kind):
                pairs.add((i, j) if i < j else (j, i))


def _towns_meet(a: Features, b: Features) -> bool:
    """Does either core hold a word of the other's town (so it shrinks in the pair)?"""
    return not (a.words.isdisjoint(b.city_tokens) and b.words.isdisjoint(a.city_tokens))


def cluster(items: list[Features], counts: LinkCounts | None = None,
            decided: dict[tuple[int, int], bool] | None = None,
            review: list[dict] | None = None,
            ) -> tuple[list[list[int]], dict[int, list[dict]]]:
    """Components of matched pairs (best score first; never two listings of one source) and
    the evidence of the links used, per listing index. `decided` (index pair -> same), a
    person's word, comes before any score: its "same" pairs are joined first, its "not the
    same" pairs never end up in one component. Undecided pairs whose score lies in the
    uncertain band are appended to `review`."""
    decided = decided or {}
    blocks, names = _blocks(items), _names(items)
    pairs = candidate_pairs(items, names, blocks)
    matches, compared = [], 0
    for i, j in pairs:
        a, b = items[i], items[j]
        if (i, j) in decided or not _worth_comparing(a, b, names[i], names[j]):
            continue
        compared += 1
        score, ev = compare(a, b)
        if ev["rule"]:
            matches.append((-score, a.id, b.id, i, j, ev))
        if review is not None and uncertain(score, ev):
            review.append(review_row(a.id, b.id, score, ev))
    if counts is not None:
        counts.blocks, counts.pairs_scored, counts.pairs_compared = (len(blocks), len(pairs),
                                                                     compared)
    matches.sort(key=lambda m: m[:3])
    joined = [(-1.0, "", "", i, j, {"rule": "decision"})
              for (i, j), same in sorted(decided.items()) if same]
    parent = list(range(len(items)))
    sources = [{f.source_id} for f in items]
    apart: dict[int, set[int]] = defaultdict(set)  # root -> listings it must never meet
    for (i, j), same in decided.items():
        if not same:
            apart[i].add(j)
            apart[j].add(i)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    links: dict[int, list[dict]] = defaultdict(list)
    for neg, _, _, i, j, ev in joined + matches:
        ri, rj = find(i), find(j)
        if ri == rj or (ev["rule"] != "decision" and sources[ri] & sources[rj]) or any(
                find(x) == rj for x in apart.get(ri, ())):
            continue
        keep, gone = (ri, rj) if ri < rj else (rj, ri)
        parent[gone] = keep
        sources[keep] |= sources[gone]
        if gone in apart:
            apart[keep] |= apart.pop(gone)
        for me, other in ((i, j), (j, i)):
            links[me].append(_link_evidence(items[other].id, -neg, ev))
    if counts is not None:
        counts.links = sum(map(len, links.values())) // 2
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(items)):
        groups[find(i)].append(i)
    return sorted(groups.values(), key=lambda g: min(items[i].id for i in g)), links


def _link_evidence(other: str, score: float, ev: dict) -> dict:
    """One member's record of a link it holds (a decision's: score 1, rule "decision")."""
    if ev["rule"] == "decision":
        return {"other_listing": other, "score": 1.0, "rule": "decision",
                "name_similarity": None, "same_address": None, "shared_phones": [],
                "shared_emails": [], "same_web_domain": None}
    return {"other_listing": other, "score": score, "rule": ev["rule"],
            "name_similarity": ev["name_similarity"], "same_address": ev["same_address"],
            "shared_phones": ev["shared_phones"], "shared_emails": ev["shared_emails"],
            "same_web_domain": ev["same_web_domain"]}


@dataclass
class LinkCounts:
    listings: int = 0
    entities: int = 0
    linked: int = 0      # entities with members from more than one source
    created: int = 0
    retired: int = 0
    members_changed: int = 0
    blocks: int = 0      # postcode, city, name and contact blocks
    pairs_scored: int = 0  # candidate pairs, scored by rapidfuzz (0: input unchanged)
    pairs_compared: int = 0  # of which a rule could link: compared with full evidence
    links: int = 0       # matched pairs the clustering used
    reused: bool = False  # input unchanged since the last linkage: nothing computed
    decided: int = 0     # pairs a person's decision settled (both listings active)
    #: decisions naming a listing that is not active (gone, or never existed), reported
    stale_decisions: list[str] = field(default_factory=list)
    review: int = 0      # uncertain pairs left for a person (`shg review`)


#: What the decisions depend on besides the data: this module and the scorer's version.
_CODE = hashlib.sha256(Path(__file__).read_bytes() + rapidfuzz.__version__.encode()).hexdigest()


def _fingerprint(con: duckdb.DuckDBPyConnection, decisions: Decisions = NONE) -> str:
    """The linkage's whole input: the code, every active listing's content hash, the entity
    tables as the last linkage left them, and a person's decisions."""
    row = con.execute("""
        SELECT (SELECT md5(coalesce(string_agg(id::VARCHAR || ':' || coalesce(record_hash, ''),
                                               ',' ORDER BY id), ''))
                FROM listings WHERE active),
               (SELECT md5(coalesce(string_agg(listing_id::VARCHAR || ':' || entity_id::VARCHAR,
                                               ',' ORDER BY listing_id), ''))
                FROM entity_members),
               (SELECT md5(coalesce(string_agg(concat_ws(':', entity_id, members, retired_into),
                                               ',' ORDER BY entity_id), ''))
                FROM entities)
    """).fetchone()
    return hashlib.sha256("|".join((_CODE, *row, decisions.digest())).encode()).hexdigest()


def link_entities(con: duckdb.DuckDBPyConnection, run_id: str, now: datetime,
                  decisions: Decisions = NONE) -> LinkCounts:
    """Group the active listings into entities; one transaction. `decisions` (a person's,
    from linkage-decisions.toml) come before any score. Unchanged data writes nothing
    (no new entity rows, no member rows with a new run); when neither the listings nor the
    entity tables nor the decisions nor this code changed since the last linkage
    (`link_state`), the result would be the same, so nothing is computed either."""
    ensure_link_schema(con)
    fingerprint = _fingerprint(con, decisions)
    state = con.execute("SELECT fingerprint, listings, entities, linked FROM link_state"
                        ).fetchone()
    if state and state[0] == fingerprint:
        return LinkCounts(listings=state[1], entities=state[2], linked=state[3], reused=True)
    return _link(con, run_id, now, decisions=decisions)


@contextmanager
def _paused_gc() -> Iterator[None]:
    """Linkage allocates millions of small, acyclic objects (features, sets, evidence); the
    cyclic collector would rescan the growing heap again and again without freeing any of
    them (reference counting does), so it waits until the step is done."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


#: From this many active listings, matching and assigning run in a child process (spawned:
#: a fork of the writer could inherit a DuckDB lock). They make millions of small objects,
#: and the heap they leave behind, freed but fragmented, would stay with the writer into
#: publishing: 230 MB at 100,000 listings, a fifth of the run's peak memory. Below, the
#: start of an interpreter (about a second) costs more than the memory is worth.
CHILD_FROM = 20_000


def _link(con: duckdb.DuckDBPyConnection, run_id: str, now: datetime,
          child_from: int = CHILD_FROM, decisions: Decisions = NONE) -> LinkCounts:
    active = _active_table(con)
    current = con.execute("SELECT listing_id::VARCHAR, entity_id::VARCHAR FROM entity_members"
                          ).to_arrow_table()
    known = con.execute("SELECT entity_id::VARCHAR, created_at, retired_into::VARCHAR "
                        "FROM entities").to_arrow_table()
    task = (active, current, known, (arrow_schema(con, "entity_members"),
                                     arrow_schema(con, "entities")), run_id, now,
            {pair: d.same for pair, d in decisions.by_pair().items()})
    if active.num_rows >= child_from:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            members, entities, retire, counts, review = pool.submit(_decide, *task).result()
    else:
        members, entities, retire, counts, review = _decide(*task)
    counts.stale_decisions = [f"{d.a} / {d.b}" for pair, d in decisions.by_pair().items()
                              if pair in counts.stale_decisions]
    con.execute("BEGIN")
    try:
        _write(con, run_id, now, members, entities, retire, counts)
        write_queue(con, run_id, review)
        con.execute("DELETE FROM link_state")
        con.execute("INSERT INTO link_state VALUES (?, ?, ?, ?, ?, ?)",
                    [_fingerprint(con, decisions), run_id, now, counts.listings, counts.entities,
                     counts.linked])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return counts


def _decide(active: pa.Table, current: pa.Table, known: pa.Table,
            schemas: tuple[pa.Schema, pa.Schema], run_id: str, now: datetime,
            decided: dict[tuple[str, str], bool] | None = None,
            ) -> tuple[pa.Table, pa.Table, dict[str, str], LinkCounts, list[dict]]:
    """Everything linkage decides, from the warehouse's tables as Arrow (in this process or
    a child's): the member and entity rows to write, the ids to retire, the counts, the
    review queue. `decided`: listing-id pair -> a person's "same"."""
    with _paused_gc():
        items = _features(active)
        stats, review = LinkCounts(), []
        index = {f.id: i for i, f in enumerate(items)}
        by_index, stale = _decided_indices(decided or {}, index)
        components, links = cluster(items, stats, by_index, review)
        member_rows, entity_rows, retire, counts = _assign(
            dict(zip(*(col.to_pylist() for col in current.columns), strict=True)),
            {e: (c, r) for e, c, r in zip(*(col.to_pylist() for col in known.columns),
                                          strict=True)},
            run_id, now, items, components, links)
        counts.blocks, counts.pairs_scored, counts.pairs_compared, counts.links = (
            stats.blocks, stats.pairs_scored, stats.pairs_compared, stats.links)
        counts.decided, counts.stale_decisions, counts.review = len(by_index), stale, len(review)
        return (pa.Table.from_pylist(member_rows, schema=schemas[0]),
                pa.Table.from_pylist(entity_rows, schema=schemas[1]), retire, counts, review)


def _decided_indices(decided: dict[tuple[str, str], bool], index: dict[str, int]
                     ) -> tuple[dict[tuple[int, int], bool], list[tuple[str, str]]]:
    """The decisions on listing indices (smaller first), and the pairs naming a listing that
    is not active: reported, not fatal (a listing may be gone for good)."""
    by_index, stale = {}, []
    for (x, y), same in decided.items():
        if x in index and y in index:
            i, j = sorted((index[x], index[y]))
            by_index[(i, j)] = same
        else:
            stale.append((x, y))
    return by_index, stale


def _assign(current: dict[str, str], entities: dict[str, tuple[datetime, str | None]],
            run_id: str, now: datetime, items: list[Features],
            components: list[list[int]], links: dict[int, list[dict]]
            ) -> tuple[list[dict], list[dict], dict[str, str], LinkCounts]:
    """Entity ids for the components: an existing entity stays with the component holding
    most of its members, the others are retired into it, new ones get a seeded id."""

    def live(entity: str) -> str:
        seen = set()
        while entities.get(entity, (None, None))[1] and entity not in seen:
            seen.add(entity)
            entity = entities[entity][1]
        return entity

    counts = LinkCounts(listings=len(items), entities=len(components))
    # claims: which components hold members of which existing entity
    claims: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for c, comp in enumerate(components):
        held: dict[str, int] = defaultdict(int)
        for i in comp:
            if (e := current.get(items[i].id)) is not None:
                held[live(e)] += 1
        for e, n in held.items():
            claims[e].append((c, n))
    # a split: the entity stays with the component holding most of its members
    owned: dict[int, list[str]] = defaultdict(list)
    for e, cs in claims.items():
        owned[max(cs, key=lambda cn: (cn[1], -cn[0]))[0]].append(e)
    chosen: dict[int, str] = {}
    taken: set[str] = set()
    retire: dict[str, str] = {}
    for c, comp in enumerate(components):
        mine = sorted(owned.get(c, ()), key=lambda e: (entities[e][0], e))
        if mine:
            chosen[c] = mine[0]
            taken.add(mine[0])
            retire |= {e: mine[0] for e in mine[1:]}
            continue
        seed = min(items[i].id for i in comp)
        new, n = str(uuid.uuid5(ENTITY_NS, seed)), 0
        while new in entities or new in taken:
            n += 1
            new = str(uuid.uuid5(ENTITY_NS, f"{seed}#{n}"))
        chosen[c] = new
        taken.add(new)
    counts.created = sum(1 for e in chosen.values() if e not in entities)
    counts.retired = len(retire)
    counts.linked = sum(1 for comp in components if len({items[i].source_id for i in comp}) > 1)

    member_rows, entity_rows = [], []
    for c, comp in enumerate(components):
        entity = chosen[c]
        first = min(comp, key=lambda i: items[i].id)
        for i in comp:
            evidence = sorted(links.get(i, []), key=lambda e: e["other_listing"])
            member_rows.append({
                "listing_id": items[i].id, "entity_id": entity, "source_id": items[i].source_id,
                "score": max((e["score"] for e in evidence), default=None),
                "evidence": evidence, "linked_run": run_id})
        entity_rows.append({
            "entity_id": entity, "kind": items[first].kind, "name": items[first].name,
            "members": len(comp), "sources": sorted({items[i].source_id for i in comp}),
            "created_run": run_id, "created_at": now, "updated_run": run_id,
            "retired_into": None, "retired_at": None})
    return member_rows, entity_rows, retire, counts


def _write(con, run_id: str, now: datetime, members: pa.Table, entities: pa.Table,
           retire: dict[str, str], counts: LinkCounts) -> None:
    con.register("_members_in", members)
    con.register("_entities_in", entities)
    try:
        # typed copies: Arrow carries the UUIDs as strings, INSERT casts them to the DDL's types
        for name, table in (("_members", "entity_members"), ("_entities", "entities")):
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS FROM {table} LIMIT 0")
            con.execute(f"INSERT INTO {name} FROM {name}_in")
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _changed AS
            SELECT n.* FROM _members n LEFT JOIN entity_members o USING (listing_id)
            WHERE o.listing_id IS NULL OR o.entity_id <> n.entity_id
               OR o.evidence IS DISTINCT FROM n.evidence
        """)
        counts.members_changed = con.execute("SELECT count(*) FROM _changed").fetchone()[0]
        con.execute("DELETE FROM entity_members WHERE listing_id IN "
                    "(SELECT listing_id FROM _changed)")
        con.execute("INSERT INTO entity_members SELECT * FROM _changed")
        # entities: new ones inserted; known ones updated only when their summary changed
        con.execute("""
            INSERT INTO entities SELECT * FROM _entities
            WHERE entity_id NOT IN (SELECT entity_id FROM entities)
        """)
        con.execute("""
            UPDATE entities e SET name = n.name, kind = n.kind, members = n.members,
                   sources = n.sources, updated_run = $run, retired_into = NULL,
                   retired_at = NULL
            FROM _entities n
            WHERE e.entity_id = n.entity_id AND (e.name <> n.name OR e.kind <> n.kind
                  OR e.members <> n.members OR e.sources <> n.sources
                  OR e.retired_into IS NOT NULL)
        """, {"run": run_id})
        if retire:
            con.execute("""
                UPDATE entities e SET retired_into = r.survivor::UUID, retired_at = $now,
                       updated_run = $run, members = 0, sources = []
                FROM (SELECT unnest($old) AS old, unnest($new) AS survivor) r
                WHERE e.entity_id = r.old::UUID
            """, {"now": now, "run": run_id, "old": list(retire), "new": list(retire.values())})
        # flatten redirect chains: a retired id always points at a live entity
        con.execute("""
            UPDATE entities e SET retired_into = r.retired_into, updated_run = $run
            FROM entities r WHERE e.retired_into = r.entity_id AND r.retired_into IS NOT NULL
        """, {"run": run_id})
        # entities without active members and not retired keep their id but count none
        con.execute("""
            UPDATE entities SET members = 0, sources = [], updated_run = $run
            WHERE retired_into IS NULL AND members > 0
              AND entity_id NOT IN (SELECT entity_id FROM _entities)
        """, {"run": run_id})
    finally:
        for name in ("_changed", "_members", "_entities"):
            con.execute(f"DROP TABLE IF EXISTS {name}")
        con.unregister("_members_in")
        con.unregister("_entities_in")


def resolve(con: duckdb.DuckDBPyConnection, entity_id: str | uuid.UUID) -> str:
    """The live entity an id stands for (following a redirect)."""
    row = con.execute("SELECT coalesce(retired_into, entity_id)::VARCHAR FROM entities "
                      "WHERE entity_id = ?::UUID", [str(entity_id)]).fetchone()
    return row[0] if row else str(entity_id)
