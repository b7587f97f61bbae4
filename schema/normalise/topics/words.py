"""Folding a label to its key, and the word tables labels are read with (endings, heads,
filler, prepositions, audience words)."""

import re
import unicodedata
from collections.abc import Iterable
from typing import get_args

from schema.listing import Area

# --- folding -----------------------------------------------------------------------------

GENDER = re.compile(r"(?<=[^\W\d_])(?:[*:_/·]in(?:nen)?|Innen)\b")
PAREN = re.compile(r"\(([^()]*)\)")
SPLIT = re.compile(r"\s*(?:[/,;|·•+&]|\s(?:und|u\.|oder|sowie|bzw\.?)\s|\s[-–—]\s)\s*",
                    re.IGNORECASE)
TOKEN = re.compile(r"[^\W_]+")
_UMLAUT = re.compile(r"([aou])e")
CODE = re.compile(r"^[a-z]+\.[a-z0-9]+(?:-[a-z0-9]+)*$")
AREAS = frozenset(get_args(Area))


def label_words(text: str) -> list[str]:
    """Lower-case words without accents, umlauts or gender endings: "Mütter", "Muetter" ->
    "mutter"; "Migrant*innen" -> "migrant"."""
    text = unicodedata.normalize("NFKD", GENDER.sub("", text).casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return [_UMLAUT.sub(r"\1", w) for w in TOKEN.findall(text)]


def joined_key(words: Iterable[str]) -> str:
    return "".join(words)


def key(text: str) -> str:
    """The matching key of a label: "Eß-Störungen" and "Essstoerungen" -> "essstorungen"."""
    return joined_key(label_words(text))


def forms(k: str) -> list[str]:
    """The key and its stems without one plain ending."""
    return [k] + [k[: -len(e)] for e in ENDINGS if k.endswith(e) and len(k) - len(e) >= MIN_STEM]


def wordset(text: str) -> frozenset[str]:
    return frozenset(map(key, text.split()))


# --- tables ------------------------------------------------------------------------------

#: Endings a key may carry or lack and still be the same word: plurals ("Allergie-n",
#: "Depression-en", "Tumor-e"), adjective endings ("Alleinerziehende-r"). The stem that is
#: left must keep MIN_STEM letters, so short words ("Leber"/"Leben") never meet.
ENDINGS = ("en", "n", "e", "s", "r")
MIN_STEM = 5

#: Trailing heads that add nothing to the concept: "Parkinson-Erkrankung" is "Parkinson",
#: "Schlaganfallbetroffene" is "Schlaganfall", "Trauergruppe" is "Trauer". Longest first.
HEADS = tuple(sorted(wordset("""
    erkrankungen erkrankung erkrankten erkrankter erkrankte krankheiten krankheit kranken
    kranker kranke syndrome syndrom störungen störung leiden betroffenen betroffener
    betroffene patientinnen patienten selbsthilfegruppen selbsthilfegruppe selbsthilfe
    gruppen gruppe gesprächskreis kontaktgruppe stammtisch treff verein
"""), key=len, reverse=True))

#: Words that say who or what kind of group, not which topic ("Menschen mit", "Gruppe für").
FILLER = wordset("""
    selbsthilfe selbsthilfegruppe selbsthilfegruppen shg gruppe gruppen gesprächskreis
    gesprächskreise gesprächsgruppe treff treffpunkt stammtisch austausch initiative
    für von mit bei nach und oder sowie der die das des den dem ein eine einer einem eines
    im in am an zu zum zur aus um über u v e ev bzw insbesondere speziell vor allem auch
    menschen personen leben allgemein thema themen
    kind kinder kindern jugendliche jugendlichen jugendlicher erwachsene erwachsenen
    junge jungen junger frauen männer männern senioren
""")

#: Where a part falls into phrases when it is not one concept as a whole.
PREPOSITIONS = wordset("von v mit bei nach für im in am an aus um über gegen ohne durch")

#: Relatives named as partners ("Partner von Suchtkranken"); "Partnerschaft" is a topic.
PARTNERS = wordset("""
    partner partnerin partnerinnen partnern lebenspartner lebenspartnerin lebenspartnern
    ehepartner ehepartnerin ehepartnern
""")

#: Words that only name an audience: a part made of them and filler ("Demenz / Angehörige")
#: tags the label's audience and is no topic of its own. Compounds ("Angehörigengruppe",
#: "Schlaganfallbetroffene") still set the audience but are read as topics.
AUDIENCE_WORDS = PARTNERS | wordset("""
    betroffene betroffenen betroffener selbstbetroffene angehörige angehörigen angehöriger
    zugehörige zugehörigen eltern elternteil elternteile mütter müttern mutter väter vätern vater
    elternkreis elterngruppe elterninitiative elternselbsthilfe angehörigengruppe
    angehörigenkreis angehörigenselbsthilfe familien
""")
