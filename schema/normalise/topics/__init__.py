"""Topic labels -> controlled codes from the German self-help taxonomy (taxonomy.toml).

Sources label groups in their own words: "Essstörungen", "Eßstörung", "Angst, Panik und
Depression", "Angehörige psychisch Erkrankter", "Psychosoziale Themen/Sucht". `topics` maps
each label onto the concepts of the shipped taxonomy, one `Topic` per concept recognised,
every one keeping the source's label, and reads the audience the label names (Betroffene,
Angehörige, Eltern). Only when confident: a label (or a part of one) that matches no concept
is kept as `Topic(code=None, label=…)`, never dropped and never guessed, and
`unknown_topics` lists those labels so the taxonomy can grow from real data.

How a label is read: folded to a key (`words.label_words`: case, accents, umlauts, "ß",
gender forms, spaces and punctuation vanish, so "Down-Syndrom" and "downsyndrom" meet), then
looked up whole first, so "Angst und Panik", "HIV/AIDS" or "Psychosoziale Themen/Sucht" are
not torn apart (`Taxonomy.find`: with a plain ending, "Morbus" or a head like "-erkrankung";
a register's inverted "Behinderung, geistige" the right way round). Otherwise it is split
into parts (`_parts`), each read as it is, without filler and audience words, phrase by
phrase and by its known runs of words (`_read_phrase`, `_runs`, `_misspelt`), as a rare
condition's name (`rare.rare`), an elided compound or a lone adjective sharing the next
part's noun (`rare.elided`, `_shared_head`). A part not recognised adds one
`Topic(code=None)`, unless it only qualifies (a bracketed remark, a lower-case part, an
audience, filler).

The audience comes from the whole label: Betroffene -> "affected"; Angehörige, Zugehörige,
Partner -> "relatives"; Eltern, Mütter, Väter -> "parents" ("relatives" when the label is
about children of parents: "Kinder psychisch kranker Eltern"). Parents and relatives together
are "relatives"; the affected together with anybody else is no single audience (None).
"""

import re
from collections.abc import Iterable
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from schema.listing import Audience, Topic
from schema.normalise.text import MEMO, one_line
from schema.normalise.topics import words
from schema.normalise.topics.concepts import Taxonomy, taxonomy
from schema.normalise.topics.rare import elided, rare

__all__ = ["topic", "topics", "unknown_topics"]


# --- labels ------------------------------------------------------------------------------

def _audience(tokens: list[str]) -> Audience | None:
    found: set[Audience] = set()
    for i, w in enumerate(tokens):
        role = _role(w)
        if role == "parents" and any(v.startswith("kind") for v in tokens[:i]):
            role = "relatives"  # "Kinder psychisch kranker Eltern"
        if role:
            found.add(role)
    if found == {"parents", "relatives"}:
        return "relatives"
    return found.pop() if len(found) == 1 else None


def _role(word: str) -> Audience | None:
    if "betroffen" in word:
        return "affected"
    if "angehorig" in word or "zugehorig" in word or word in words.PARTNERS:
        return "relatives"
    if word.startswith(("eltern", "mutter", "vater")) or word.endswith("eltern"):
        return "parents"
    return None


def _read_part(tax: Taxonomy, tokens: list[str], acronyms: frozenset[str] = frozenset(),
               runs: bool = True) -> tuple[list[str], bool]:
    """(codes, something unknown) for one part of a label. The part is read whole first
    ("Trauer nach Suizid" is one concept); else as the phrases between its prepositions
    ("Pflegende Angehörige | von Menschen | mit Demenz"), with the known runs of words in
    them unless `runs` is off (a remark beside a known topic only qualifies it)."""
    codes, unknown = _read_phrase(tax, tokens, acronyms, runs=False)
    if codes or not unknown:
        return codes, False
    phrases: list[list[str]] = [[]]
    for w in tokens:
        if w in words.PREPOSITIONS:
            phrases.append([])
        else:
            phrases[-1].append(w)
    read = [_read_phrase(tax, phrase, acronyms, runs) for phrase in phrases]
    return [c for cs, _ in read for c in cs], any(u for _, u in read)


def _read_phrase(tax: Taxonomy, tokens: list[str], acronyms: frozenset[str] = frozenset(),
                 runs: bool = True) -> tuple[list[str], bool]:
    """(codes, unknown): read as it is, then without filler ("für pflegende Angehörige"), then
    without audience words too ("Angehörige psychisch Erkrankter"), then with a trailing
    adjective put first ("Herzfehler angeborener"); else the known runs of words in it
    ("Sarkoidose Dresden"). Only filler or audience words: no code, and nothing unknown."""
    content = [w for w in tokens if w not in words.FILLER and w not in words.AUDIENCE_WORDS]
    if not content:
        return [], False
    no_filler = [w for w in tokens if w not in words.FILLER]
    unnumbered = [w for w in tokens if not w.isdigit()]  # "Frauen 50+": an age qualifies
    for candidate in (tokens, no_filler, content, unnumbered, *_inversions(no_filler)):
        if code := tax.find(words.joined_key(candidate)):
            return [code], False
    if not runs:
        return [], True
    codes, unknown = _runs(tax, no_filler, acronyms)
    if not codes and (code := rare(tax, content)):
        return [code], False
    return codes, unknown


#: The forms an adjective takes before its noun: "angeborener" -> "angeborene", "angeboren".
_ADJECTIVE_END = re.compile(r"(?:er|es|em|en|e)$")
_ADJECTIVE_FORMS = ("", "e", "en", "er")


def _inversions(tokens: list[str]) -> list[list[str]]:
    """The words with the last one put first as an adjective: lists write "Herzfehler
    angeborener" or "Medienkonsum exzessiver" for "angeborene Herzfehler"."""
    if len(tokens) < 2 or tokens[-1] in words.AUDIENCE_WORDS:
        return []
    stem = _ADJECTIVE_END.sub("", tokens[-1])
    return [[stem + end, *tokens[:-1]] for end in _ADJECTIVE_FORMS]


def _runs(tax: Taxonomy, tokens: list[str], acronyms: frozenset[str]) -> tuple[list[str], bool]:
    """(codes, unknown) of the longest runs of words that name a concept, in label order:
    "Brustkrebs Pink Ladies Dresden" -> Brustkrebs; "seltene rheumatische Erkrankungen" ->
    seltene (Erkrankungen), rheumatische Erkrankungen. A run of audience words names nothing;
    a run shorter than MIN_STEM letters counts only as an acronym written in capitals."""
    found: dict[int, str] = {}
    used = [False] * len(tokens)
    for size in range(len(tokens), 0, -1):
        for start in range(len(tokens) - size + 1):
            run = tokens[start:start + size]
            k = words.joined_key(run)
            if any(used[start:start + size]) or all(w in words.AUDIENCE_WORDS for w in run) \
                    or (len(k) < words.MIN_STEM and not (size == 1 and k in acronyms)):
                continue
            if code := tax.find(k) or _misspelt(tax, k):
                found[start] = code
                used[start:start + size] = [True] * size
    unknown = any(not u and w not in words.AUDIENCE_WORDS
                  for w, u in zip(tokens, used, strict=True))
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
    codes = {tax.index[name] for form in words.forms(k)
             for name, _, _ in process.extract(form, tax.index.keys(), scorer=OSA.distance,
                                               score_cutoff=len(k) // MIN_MISSPELT, limit=None)}
    return codes.pop() if len(codes) == 1 else None


def _shared_head(tax: Taxonomy, tokens: list[str], following: list[str]) -> str | None:
    """The concept of a lone adjective that shares the next part's noun: "geistig und
    körperlich behinderte Kinder" -> "geistig behinderte Kinder"."""
    content = [w for w in tokens if w not in words.FILLER and w not in words.AUDIENCE_WORDS]
    if len(content) != 1 or len(following) < 2:
        return None
    codes, unknown = _read_phrase(tax, [*tokens, *following[1:]], runs=False)
    return codes[0] if codes and not unknown else None


#: "Behinderung, geistige": a noun, a comma and its adjective, read as "geistige Behinderung".
_COMMA_INVERTED = re.compile(r"^([^,()]+),\s*([a-zäöüß][^,()-]*)$")


def _parts(text: str) -> list[tuple[str, bool]]:
    """(part, qualifier) pairs: split parts of the label, then its bracketed remarks."""
    main = [p for p in words.SPLIT.split(words.GENDER.sub("", words.PAREN.sub(" ", text)))
            if words.TOKEN.search(p)]
    parts = [(p, (i > 0 and p[:1].islower()) or p.rstrip().endswith("-"))
             for i, p in enumerate(main)]
    remarks = [p for r in words.PAREN.findall(text) for p in words.SPLIT.split(r)
               if words.TOKEN.search(p)]
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
    tokens = words.label_words(text)
    whole = words.joined_key(tokens)
    acronyms = frozenset(words.joined_key(words.label_words(t)) for t in words.TOKEN.findall(text)
                         if len(t) > 1 and t.isupper())
    unknown = False
    inverted = _COMMA_INVERTED.match(text)
    if whole in tax.compounds:
        codes = list(tax.compounds[whole])
    elif code := tax.find(whole) or (
            inverted and tax.find(words.key(f"{inverted[2]} {inverted[1]}"))):
        codes = [code]
    else:
        codes, unknown = _codes_of_parts(tax, text, acronyms)
    audience = _audience(tokens)
    found = [Topic(code=c, label=text, preferred=tax.concepts[c].preferred,
                   area=tax.concepts[c].area, audience=audience) for c in dict.fromkeys(codes)]
    if unknown or not found:
        found.append(Topic(label=text, audience=audience))
    return tuple(found)


def _codes_of_parts(tax: Taxonomy, text: str,
                    acronyms: frozenset[str]) -> tuple[list[str], bool]:
    """(codes, whether a part that counts was not understood) of a label read part by part."""
    codes: list[str] = []
    unknown = False
    parts = _parts(text)
    for i, (part, qualifier) in enumerate(parts):
        part_words = words.label_words(part)
        following = words.label_words(parts[i + 1][0]) if i + 1 < len(parts) else []
        if part.rstrip().endswith("-") and (code := elided(tax, part_words, following)):
            codes.append(code)
            continue
        part_codes, unread = _read_part(tax, part_words, acronyms,
                                        runs=not (qualifier and codes))
        if unread and not part_codes and (code := _shared_head(tax, part_words, following)):
            part_codes, unread = [code], False
        codes += part_codes
        unknown = unknown or (unread and not qualifier)
    return codes, unknown


def topics(labels: Iterable[str | None] | None) -> list[Topic]:
    """All topics of a record's labels, in label order; identical topics once."""
    if labels is None or isinstance(labels, str):
        labels = [labels]
    return list(dict.fromkeys(t for label in labels for t in topic(label)))


def unknown_topics(labels: Iterable[str | None] | None) -> list[str]:
    """The labels (cleaned, once each) holding something the taxonomy does not know."""
    return list(dict.fromkeys(t.label for t in topics(labels) if t.code is None))
