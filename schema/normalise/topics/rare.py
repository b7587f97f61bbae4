"""Named rare conditions ("Lowe-Syndrom", "Morbus Osler") and elided compounds
("Pflege- und Adoptivkinder")."""

from rapidfuzz import process
from rapidfuzz.distance import OSA

from schema.normalise.topics.concepts import Taxonomy
from schema.normalise.topics.words import AUDIENCE_WORDS, joined_key, wordset

#: The code a rare condition takes when the taxonomy has no concept of its own for it.
RARE = "selten.allgemein"

#: Endings that make a name a syndrome or an inherited condition ("Niemann-Pick-Syndrom",
#: "Fox P1-Gendefekt", "Ektodermale Dysplasie", "Mikrodeletion 22q11" once its band is
#: dropped), and the words that lead one ("Morbus Osler", "Trisomie 18").
RARE_ENDINGS = tuple(sorted(wordset("""
    syndrom syndrome syndroms gendefekt gendefekte gendefekts dysplasie dysplasien
    deletion deletionen mikrodeletion
"""), key=len, reverse=True))
RARE_LEADS = wordset("morbus trisomie")

#: Names that take one of those shapes but are common, not rare (the name before "-Syndrom",
#: after "Morbus", before "Dysplasie" starts with one of these). Those with a concept of their
#: own reach it first; they are listed too, so a variant of them is never filed as rare.
#: Sjögren stays rare (the taxonomy's selten.sjoegren); Tourette and Down are common.
NOT_RARE = wordset("""
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


def rare(tax: Taxonomy, words: list[str]) -> str | None:
    """RARE when the words name a condition shaped like a rare one ("Lowe-Syndrom",
    "Morbus Niemann-Pick Typ C", "Deletionssyndrom 22q11") whose name is neither a common
    condition nor a misspelt concept; else None. A trailing type or band ("Typ C", "22q11")
    names the condition only when nothing else does ("Mikrodeletion 1p36")."""
    words, band = _without_band(words)
    k = joined_key(words)
    if words and words[0] in RARE_LEADS:
        name = joined_key(words[1:]) if len(words) <= 4 else ""
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
    return words[:cut], joined_key(words[cut:])


def _near_a_name(tax: Taxonomy, name: str) -> bool:
    """Whether a name of MIN_NEAR letters or more is within two edits of a concept's name as
    long ("Chron" of "Crohn"); short names and acronyms ("FOP" for "FoxP1") never are."""
    return len(name) >= MIN_NEAR and any(
        len(known) >= MIN_NEAR for known, _, _ in
        process.extract(name, tax.index.keys(), scorer=OSA.distance, score_cutoff=2, limit=None))


def elided(tax: Taxonomy, prefix: list[str], following: list[str]) -> str | None:
    """The concept of an elided compound completed with the tail of the next word: "Pflege-
    und Adoptivkinder" -> "Pflegekinder". The longest tail that makes a known name wins."""
    if not prefix or not following:
        return None
    head, word = joined_key(prefix), following[0]
    for cut in range(1, len(word) - 2):
        if head + word[cut:] not in AUDIENCE_WORDS and (code := tax.find(head + word[cut:])):
            return code
    return None
