"""Topic labels -> controlled codes from the German self-help taxonomy (taxonomy.toml).

Sources label groups in their own words: "Essstörungen", "Eßstörung", "Angst, Panik und
Depression", "Angehörige psychisch Erkrankter", "Psychosoziale Themen/Sucht". `topics` maps
each label onto the concepts of the shipped taxonomy, one `Topic` per concept recognised,
every one keeping the source's label, and reads the audience the label names (Betroffene,
Angehörige, Eltern). Only when confident: a label (or a part of one) that matches no concept
is kept as `Topic(code=None, label=…)`, never dropped and never guessed, and
`unknown_topics` lists those labels so the taxonomy can grow from real data.

How a label is read:

1. Folded to a key: case, accents and umlauts ("oe" = "ö"), "ß"/"ss", gender forms
   ("Migrant*innen"), spaces, hyphens and punctuation all vanish, so "Down Syndrom",
   "Down-Syndrom" and "downsyndrom" are one key.
2. The whole label is looked up first (so "Angst und Panik", "HIV/AIDS" or the compound
   "Psychosoziale Themen/Sucht" are not torn apart); a key also matches with a plain plural or
   adjective ending ("Allergien", "Alleinerziehender"), a leading "Morbus" or a trailing
   "-erkrankung", "-syndrom", "-störung", "-kranke", "-betroffene", "-gruppe".
   A register's inverted form is read the right way round: "Behinderung, geistige" and
   "Herzfehler angeborener" are "geistige Behinderung" and "angeborene Herzfehler".
3. Otherwise the label is split at "/", ",", ";", "+", "&", "und", "oder", "sowie", spaced
   dashes; bracketed text is read apart. Each part is looked up as it is, then without filler
   ("Selbsthilfegruppe", "für", "Menschen mit", "v.", "e. V.") and audience words
   ("Angehörige von"), then phrase by phrase between its prepositions ("Pflegende Angehörige |
   von Menschen | mit Demenz" names two concepts). A phrase that is no concept as a whole
   gives the longest runs of its words that are ("Sarkoidose Dresden", "Brustkrebs Pink
   Ladies"); a run of ten or more letters may be one typing slip from its concept
   ("Netzhauterkrankunegn"), of twenty or more two ("Guilliam-Barré-Syndrom"). A phrase
   with no concept in it that is shaped like the name of a rare condition ("Lowe-Syndrom",
   "Morbus Osler", "Fox P1-Gendefekt", "Ektodermale Dysplasie", "Trisomie 18") is the
   rare-condition area's general code, unless its name is a common condition
   ("Karpaltunnelsyndrom", "Morbus Scheuermann": NOT_RARE) or a misspelt concept ("Morbus
   Chron"). Elided compounds take the tail of the next word ("Pflege- und
   Adoptivkinder": "Pflegekinder"); a lone adjective takes the next part's noun ("geistig
   und körperlich behinderte Kinder").
4. Recognised parts give their topics; a part not recognised adds one `Topic(code=None)`
   for the label. Parts that only qualify are not counted as unknown: bracketed remarks,
   parts starting in lower case ("…, vaskulärer Typ"), elided compounds ("Herz- und …"),
   parts that only name an audience ("Demenz / Angehörige") or hold only filler. A remark
   beside a recognised topic is read only whole, so "Rollstuhl (junges Alter)" is no age
   topic.

The audience comes from the whole label: Betroffene -> "affected"; Angehörige, Zugehörige,
Partner -> "relatives"; Eltern, Mütter, Väter -> "parents" ("relatives" when the label is
about children of parents: "Kinder psychisch kranker Eltern"). Parents and relatives together
are "relatives"; the affected together with anybody else is no single audience (None).
"""

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from typing import get_args

from rapidfuzz import process
from rapidfuzz.distance import OSA

from schema.listing import Area, Audience, Topic
from schema.normalise.text import MEMO, one_line

__all__ = ["Concept", "Taxonomy", "TaxonomyError", "load_taxonomy", "taxonomy", "topic",
           "topics", "unknown_topics"]


# --- folding -----------------------------------------------------------------------------

_GENDER = re.compile(r"(?<=[^\W\d_])(?:[*:_/·]in(?:nen)?|Innen)\b")
_PAREN = re.compile(r"\(([^()]*)\)")
_SPLIT = re.compile(r"\s*(?:[/,;|·•+&]|\s(?:und|u\.|oder|sowie|bzw\.?)\s|\s[-–—]\s)\s*",
                    re.IGNORECASE)
_TOKEN = re.compile(r"[^\W_]+")
_UMLAUT = re.compile(r"([aou])e")
_CODE = re.compile(r"^[a-z]+\.[a-z0-9]+(?:-[a-z0-9]+)*$")
_AREAS = frozenset(get_args(Area))


def _words(text: str) -> list[str]:
    """Lower-case words without accents, umlauts or gender endings: "Mütter", "Muetter" ->
    "mutter"; "Migrant*innen" -> "migrant"."""
    text = unicodedata.normalize("NFKD", _GENDER.sub("", text).casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return [_UMLAUT.sub(r"\1", w) for w in _TOKEN.findall(text)]


def _key(words: Iterable[str]) -> str:
    return "".join(words)


def key(text: str) -> str:
    """The matching key of a label: "Eß-Störungen" and "Essstoerungen" -> "essstorungen"."""
    return _key(_words(text))


def _forms(k: str) -> list[str]:
    """The key and its stems without one plain ending."""
    return [k] + [k[: -len(e)] for e in ENDINGS if k.endswith(e) and len(k) - len(e) >= MIN_STEM]


def _wordset(text: str) -> frozenset[str]:
    return frozenset(map(key, text.split()))


# --- tables ------------------------------------------------------------------------------

#: Endings a key may carry or lack and still be the same word: plurals ("Allergie-n",
#: "Depression-en", "Tumor-e"), adjective endings ("Alleinerziehende-r"). The stem that is
#: left must keep MIN_STEM letters, so short words ("Leber"/"Leben") never meet.
ENDINGS = ("en", "n", "e", "s", "r")
MIN_STEM = 5

#: Trailing heads that add nothing to the concept: "Parkinson-Erkrankung" is "Parkinson",
#: "Schlaganfallbetroffene" is "Schlaganfall", "Trauergruppe" is "Trauer". Longest first.
HEADS = tuple(sorted(_wordset("""
    erkrankungen erkrankung erkrankten erkrankter erkrankte krankheiten krankheit kranken
    kranker kranke syndrome syndrom störungen störung leiden betroffenen betroffener
    betroffene patientinnen patienten selbsthilfegruppen selbsthilfegruppe selbsthilfe
    gruppen gruppe gesprächskreis kontaktgruppe stammtisch treff verein
"""), key=len, reverse=True))

#: Words that say who or what kind of group, not which topic ("Menschen mit", "Gruppe für").
FILLER = _wordset("""
    selbsthilfe selbsthilfegruppe selbsthilfegruppen shg gruppe gruppen gesprächskreis
    gesprächskreise gesprächsgruppe treff treffpunkt stammtisch austausch initiative
    für von mit bei nach und oder sowie der die das des den dem ein eine einer einem eines
    im in am an zu zum zur aus um über u v e ev bzw insbesondere speziell vor allem auch
    menschen personen leben allgemein thema themen
    kind kinder kindern jugendliche jugendlichen jugendlicher erwachsene erwachsenen
    junge jungen junger frauen männer männern senioren
""")

#: Where a part falls into phrases when it is not one concept as a whole.
PREPOSITIONS = _wordset("von v mit bei nach für im in am an aus um über gegen ohne durch")

#: Relatives named as partners ("Partner von Suchtkranken"); "Partnerschaft" is a topic.
PARTNERS = _wordset("""
    partner partnerin partnerinnen partnern lebenspartner lebenspartnerin lebenspartnern
    ehepartner ehepartnerin ehepartnern
""")

#: Words that only name an audience: a part made of them and filler ("Demenz / Angehörige")
#: tags the label's audience and is no topic of its own. Compounds ("Angehörigengruppe",
#: "Schlaganfallbetroffene") still set the audience but are read as topics.
AUDIENCE_WORDS = PARTNERS | _wordset("""
    betroffene betroffenen betroffener selbstbetroffene angehörige angehörigen angehöriger
    zugehörige zugehörigen eltern elternteil elternteile mütter müttern mutter väter vätern vater
    elternkreis elterngruppe elterninitiative elternselbsthilfe angehörigengruppe
    angehörigenkreis angehörigenselbsthilfe familien
""")


# --- the taxonomy ------------------------------------------------------------------------

class TaxonomyError(ValueError):
    """taxonomy.toml is inconsistent: a code twice, an unknown area, a name for two codes."""


@dataclass(frozen=True)
class Concept:
    code: str
    preferred: str
    area: Area


@dataclass(frozen=True)
class Taxonomy:
    concepts: Mapping[str, Concept]
    #: every key form of every name -> its one code
    index: Mapping[str, str]
    #: whole-label keys that name several codes at once
    compounds: Mapping[str, tuple[str, ...]]

    def find(self, k: str) -> str | None:
        """The code for a key: as it is or with an ending; else without "Morbus" or a head."""
        code = self._plain(k)
        if code or len(k) < 2:
            return code
        if k.startswith("morbus") and len(k) > 8:
            return self._plain(k[6:])
        for head in HEADS:
            rest = k[: -len(head)]
            if k.endswith(head) and len(rest) >= 2 and rest not in FILLER \
                    and (code := self._plain(rest)):
                return code
        return None

    def _plain(self, k: str) -> str | None:
        return next((self.index[f] for f in _forms(k) if f in self.index), None)


def load_taxonomy(text: str) -> Taxonomy:
    """Parse and validate taxonomy TOML; raises `TaxonomyError` on any inconsistency."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TaxonomyError(f"not TOML: {exc}") from exc
    concepts: dict[str, Concept] = {}
    index: dict[str, str] = {}
    for entry in data.get("concept", []):
        concept = _concept(entry)
        if concept.code in concepts:
            raise TaxonomyError(f"code twice: {concept.code}")
        concepts[concept.code] = concept
        for name in [concept.preferred, *entry["synonyms"]]:
            _add(index, name, concept.code)
    compounds: dict[str, tuple[str, ...]] = {}
    for entry in data.get("compound", []):
        codes = tuple(entry.get("codes", ()))
        if len(codes) < 2 or not set(codes) <= concepts.keys():
            raise TaxonomyError(f"compound needs two or more known codes: {codes}")
        for label in entry.get("labels", ()):
            k = key(label)
            if not k or k in compounds or k in index:
                raise TaxonomyError(f"compound label empty or already taken: {label!r}")
            compounds[k] = codes
    if unexpected := data.keys() - {"concept", "compound"}:
        raise TaxonomyError(f"unexpected tables: {sorted(unexpected)}")
    return Taxonomy(concepts, index, compounds)


def _concept(entry: object) -> Concept:
    if not isinstance(entry, dict) or entry.keys() != {"code", "preferred", "area", "synonyms"}:
        raise TaxonomyError(f"a concept has code, preferred, area, synonyms: {entry}")
    code, preferred, area, synonyms = (entry[k] for k in ("code", "preferred", "area",
                                                           "synonyms"))
    if not isinstance(code, str) or not _CODE.match(code):
        raise TaxonomyError(f"bad code: {code!r}")
    if area not in _AREAS:
        raise TaxonomyError(f"{code}: unknown area {area!r}")
    if not isinstance(preferred, str) or not isinstance(synonyms, list) \
            or not all(isinstance(s, str) for s in synonyms):
        raise TaxonomyError(f"{code}: preferred is a string, synonyms a list of strings")
    return Concept(code, preferred, area)


def _add(index: dict[str, str], name: str, code: str) -> None:
    k = key(name)
    if not k:
        raise TaxonomyError(f"{code}: name without letters: {name!r}")
    for form in _forms(k):
        if index.setdefault(form, code) != code:
            raise TaxonomyError(f"{name!r} ({code}) and {index[form]} share the key {form!r}")


@cache
def taxonomy() -> Taxonomy:
    """The shipped taxonomy, read and validated once per process."""
    return load_taxonomy(files("schema.normalise").joinpath("taxonomy.toml").read_text("utf-8"))


# --- labels ------------------------------------------------------------------------------

def _audience(words: list[str]) -> Audience | None:
    found: set[Audience] = set()
    for i, w in enumerate(words):
        role = _role(w)
        if role == "parents" and any(v.startswith("kind") for v in words[:i]):
            role = "relatives"  # "Kinder psychisch kranker Eltern"
        if role:
            found.add(role)
    if found == {"parents", "relatives"}:
        return "relatives"
    return found.pop() if len(found) == 1 else None


def _role(word: str) -> Audience | None:
    if "betroffen" in word:
        return "affected"
    if "angehorig" in word or "zugehorig" in word or word in PARTNERS:
        return "relatives"
    if word.startswith(("eltern", "mutter", "vater")) or word.endswith("eltern"):
        return "parents"
    return None


def _read_part(tax: Taxonomy, words: list[str], acronyms: frozenset[str] = frozenset(),
               runs: bool = True) -> tuple[list[str], bool]:
    """(codes, something unknown) for one part of a label. The part is read whole first
    ("Trauer nach Suizid" is one concept); else as the phrases between its prepositions
    ("Pflegende Angehörige | von Menschen | mit Demenz"), with the known runs of words in
    them unless `runs` is off (a remark beside a known topic only qualifies it)."""
    codes, unknown = _read_phrase(tax, words, acronyms, runs=False)
    if codes or not unknown:
        return codes, False
    phrases: list[list[str]] = [[]]
    for w in words:
        if w in PREPOSITIONS:
            phrases.append([])
        else:
            phrases[-1].append(w)
    read = [_read_phrase(tax, phrase, acronyms, runs) for phrase in phrases]
    return [c for cs, _ in read for c in cs], any(u for _, u in read)


def _read_phrase(tax: Taxonomy, words: list[str], acronyms: frozenset[str] = frozenset(),
                 runs: bool = True) -> tuple[list[str], bool]:
    """(codes, unknown): read as it is, then without filler ("für pflegende Angehörige"), then
    without audience words too ("Angehörige psychisch Erkrankter"), then with a trailing
    adjective put first ("Herzfehler angeborener"); else the known runs of words in it
    ("Sarkoidose Dresden"). Only filler or audience words: no code, and nothing unknown."""
    content = [w for w in words if w not in FILLER and w not in AUDIENCE_WORDS]
    if not content:
        return [], False
    no_filler = [w for w in words if w not in FILLER]
    unnumbered = [w for w in words if not w.isdigit()]  # "Frauen 50+": an age qualifies
    for candidate in (words, no_filler, content, unnumbered, *_inversions(no_filler)):
        if code := tax.find(_key(candidate)):
            return [code], False
    if not runs:
        return [], True
    codes, unknown = _runs(tax, no_filler, acronyms)
    if not codes and (code := _rare(tax, content)):
        return [code], False
    return codes, unknown


#: The forms an adjective takes before its noun: "angeborener" -> "angeborene", "angeboren".
_ADJECTIVE_END = re.compile(r"(?:er|es|em|en|e)$")
_ADJECTIVE_FORMS = ("", "e", "en", "er")


def _inversions(words: list[str]) -> list[list[str]]:
    """The words with the last one put first as an adjective: lists write "Herzfehler
    angeborener" or "Medienkonsum exzessiver" for "angeborene Herzfehler"."""
    if len(words) < 2 or words[-1] in AUDIENCE_WORDS:
        return []
    stem = _ADJECTIVE_END.sub("", words[-1])
    return [[stem + end, *words[:-1]] for end in _ADJECTIVE_FORMS]


def _runs(tax: Taxonomy, words: list[str], acronyms: frozenset[str]) -> tuple[list[str], bool]:
    """(codes, unknown) of the longest runs of words that name a concept, in label order:
    "Brustkrebs Pink Ladies Dresden" -> Brustkrebs; "seltene rheumatische Erkrankungen" ->
    seltene (Erkrankungen), rheumatische Erkrankungen. A run of audience words names nothing;
    a run shorter than MIN_STEM letters counts only as an acronym written in capitals."""
    found: dict[int, str] = {}
    used = [False] * len(words)
    for size in range(len(words), 0, -1):
        for start in range(len(words) - size + 1):
            run = words[start:start + size]
            k = _key(run)
            if any(used[start:start + size]) or all(w in AUDIENCE_WORDS for w in run) \
                    or (len(k) < MIN_STEM and not (size == 1 and k in acronyms)):
                continue
            if code := tax.find(k) or _misspelt(tax, k):
                found[start] = code
                used[start:start + size] = [True] * size
    unknown = any(not u and w not in AUDIENCE_WORDS for w, u in zip(words, used, strict=True))
    return [found[i] for i in sorted(found)], unknown


#: Keys this long may carry one typing slip ("Netzhauterkrankunegn", "Defibrilator") and
#: still name the one concept within one edit of them; keys twice as long, two slips
#: ("Guilliam-Barré-Syndrom").
MIN_MISSPELT = 10


def _misspelt(tax: Taxonomy, k: str) -> str | None:
    """The code of the one concept whose name is one edit (a letter added, dropped, changed
    or two swapped) from a long key, two from a very long one; None when none or several
    are."""
    if len(k) < MIN_MISSPELT:
        return None
    codes = {tax.index[name] for form in _forms(k)
             for name, _, _ in process.extract(form, tax.index.keys(), scorer=OSA.distance,
                                               score_cutoff=len(k) // MIN_MISSPELT, limit=None)}
    return codes.pop() if len(codes) == 1 else None


# --- named rare conditions ---------------------------------------------------------------

#: The code a rare condition takes when the taxonomy has no concept of its own for it.
RARE = "selten.allgemein"

#: Endings that make a name a syndrome or an inherited condition ("Niemann-Pick-Syndrom",
#: "Fox P1-Gendefekt", "Ektodermale Dysplasie", "Mikrodeletion 22q11" once its band is
#: dropped), and the words that lead one ("Morbus Osler", "Trisomie 18").
RARE_ENDINGS = tuple(sorted(_wordset("""
    syndrom syndrome syndroms gendefekt gendefekte gendefekts dysplasie dysplasien
    deletion deletionen mikrodeletion
"""), key=len, reverse=True))
RARE_LEADS = _wordset("morbus trisomie")

#: Names that take one of those shapes but are common, not rare (the name before "-Syndrom",
#: after "Morbus", before "Dysplasie" starts with one of these). Those with a concept of their
#: own reach it first; they are listed too, so a variant of them is never filed as rare.
#: Sjögren stays rare (the taxonomy's selten.sjoegren); Tourette and Down are common.
NOT_RARE = _wordset("""
    burnout burn fibromyalgie restless tourette asperger borderline down reizdarm reizmagen
    prämenstruell metabolisch karpaltunnel hws bws lws halswirbelsäulen wirbelsäulen
    schulterarm impingement lumbal zervikal cervikal schmerz chronisch fatigue müdigkeit
    erschöpfung helfer emptynest postthrombotisch psychoorganisch hyperventilation
    hyperkinetisch messie apallisch pco polyzystisch schlafapnoe postcovid longcovid postvac
    chronic
    postpolio fetal alkohol aufmerksamkeitsdefizit
    crohn bechterew basedow parkinson alzheimer menière sudeck hodgkin boeck scheuermann
    dupuytren paget osgood ledderhose hashimoto
    hüft zervix cervix portio bronchopulmonal
""")

#: A name this long that comes within two edits of a concept's name is a misspelt common
#: name ("Morbus Chron"), never a new rare condition.
MIN_NEAR = 5


def _rare(tax: Taxonomy, words: list[str]) -> str | None:
    """RARE when the words name a condition shaped like a rare one ("Lowe-Syndrom",
    "Morbus Niemann-Pick Typ C", "Deletionssyndrom 22q11") whose name is neither a common
    condition nor a misspelt concept; else None. A trailing type or band ("Typ C", "22q11")
    names the condition only when nothing else does ("Mikrodeletion 1p36")."""
    words, band = _without_band(words)
    k = _key(words)
    if words and words[0] in RARE_LEADS:
        name = _key(words[1:]) if len(words) <= 4 else ""
    else:
        name = next((k[: -len(e)] for e in RARE_ENDINGS if k.endswith(e)), "")
    name = name or (band if k in RARE_ENDINGS or k in RARE_LEADS else "")
    if len(name) < 2 or name.startswith(tuple(NOT_RARE)) or _near_a_name(tax, name):
        return None
    return RARE


def _without_band(words: list[str]) -> tuple[list[str], str]:
    """The words without a trailing type ("Typ C") or bands and numbers ("22q11"), and the
    key of what was cut."""
    cut = len(words)
    if cut >= 2 and words[-2] == "typ":
        cut -= 2
    while cut and any(c.isdigit() for c in words[cut - 1]):
        cut -= 1
    return words[:cut], _key(words[cut:])


def _near_a_name(tax: Taxonomy, name: str) -> bool:
    """Whether a name of MIN_NEAR letters or more is within two edits of a concept's name as
    long ("Chron" of "Crohn"); short names and acronyms ("FOP" for "FoxP1") never are."""
    return len(name) >= MIN_NEAR and any(
        len(known) >= MIN_NEAR for known, _, _ in
        process.extract(name, tax.index.keys(), scorer=OSA.distance, score_cutoff=2, limit=None))


def _elided(tax: Taxonomy, prefix: list[str], following: list[str]) -> str | None:
    """The concept of an elided compound completed with the tail of the next word: "Pflege-
    und Adoptivkinder" -> "Pflegekinder". The longest tail that makes a known name wins."""
    if not prefix or not following:
        return None
    head, word = _key(prefix), following[0]
    for cut in range(1, len(word) - 2):
        if head + word[cut:] not in AUDIENCE_WORDS and (code := tax.find(head + word[cut:])):
            return code
    return None


def _shared_head(tax: Taxonomy, words: list[str], following: list[str]) -> str | None:
    """The concept of a lone adjective that shares the next part's noun: "geistig und
    körperlich behinderte Kinder" -> "geistig behinderte Kinder"."""
    content = [w for w in words if w not in FILLER and w not in AUDIENCE_WORDS]
    if len(content) != 1 or len(following) < 2:
        return None
    codes, unknown = _read_phrase(tax, [*words, *following[1:]], runs=False)
    return codes[0] if codes and not unknown else None


#: "Behinderung, geistige": a noun, a comma and its adjective, read as "geistige Behinderung".
_COMMA_INVERTED = re.compile(r"^([^,()]+),\s*([a-zäöüß][^,()-]*)$")


def _parts(text: str) -> list[tuple[str, bool]]:
    """(part, qualifier) pairs: split parts of the label, then its bracketed remarks."""
    main = [p for p in _SPLIT.split(_GENDER.sub("", _PAREN.sub(" ", text))) if _TOKEN.search(p)]
    parts = [(p, (i > 0 and p[:1].islower()) or p.rstrip().endswith("-"))
             for i, p in enumerate(main)]
    remarks = [p for r in _PAREN.findall(text) for p in _SPLIT.split(r) if _TOKEN.search(p)]
    return parts + [(p, True) for p in remarks]


def topic(label: str | None) -> list[Topic]:
    """The topics one label names; [] for an empty label, else at least one `Topic`."""
    return list(_topic(label))


@lru_cache(maxsize=MEMO)
def _topic(label: str | None) -> tuple[Topic, ...]:
    text = one_line(label) if isinstance(label, str) else None
    if not text:
        return ()
    tax = taxonomy()
    words = _words(text)
    whole = _key(words)
    acronyms = frozenset(_key(_words(t)) for t in _TOKEN.findall(text)
                         if len(t) > 1 and t.isupper())
    unknown = False
    inverted = _COMMA_INVERTED.match(text)
    if whole in tax.compounds:
        codes = list(tax.compounds[whole])
    elif code := tax.find(whole) or (inverted and tax.find(key(f"{inverted[2]} {inverted[1]}"))):
        codes = [code]
    else:
        codes = []
        parts = _parts(text)
        for i, (part, qualifier) in enumerate(parts):
            part_words = _words(part)
            following = _words(parts[i + 1][0]) if i + 1 < len(parts) else []
            if part.rstrip().endswith("-") and (code := _elided(tax, part_words, following)):
                codes.append(code)
                continue
            part_codes, unread = _read_part(tax, part_words, acronyms,
                                            runs=not (qualifier and codes))
            if unread and not part_codes and (code := _shared_head(tax, part_words, following)):
                part_codes, unread = [code], False
            codes += part_codes
            unknown = unknown or (unread and not qualifier)
    audience = _audience(words)
    found = [Topic(code=c, label=text, preferred=tax.concepts[c].preferred,
                   area=tax.concepts[c].area, audience=audience) for c in dict.fromkeys(codes)]
    if unknown or not found:
        found.append(Topic(label=text, audience=audience))
    return tuple(found)


def topics(labels: Iterable[str | None] | None) -> list[Topic]:
    """All topics of a record's labels, in label order; identical topics once."""
    if labels is None or isinstance(labels, str):
        labels = [labels]
    return list(dict.fromkeys(t for label in labels for t in topic(label)))


def unknown_topics(labels: Iterable[str | None] | None) -> list[str]:
    """The labels (cleaned, once each) holding something the taxonomy does not know."""
    return list(dict.fromkeys(t.label for t in topics(labels) if t.code is None))
