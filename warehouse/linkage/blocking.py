"""Blocking: the candidate pairs of the active listings, every pair some rule can link and as
few others as can be told apart cheaply.

Listings meet in blocks of one postcode, city, core name and (for centres and organisations
only) shared contact data; at Germany scale a city block holds thousands of groups, so not
every pair of a block is scored: `candidate_pairs` uses what the rules require (a name
similarity of 80, which the name comparison caps at 75 unless one name's words all reappear in
the other; or shared contact data) to find exactly the pairs that can pass, through an index of
name prefixes; `worth_comparing` drops, with rapidfuzz's own ratios, the pairs that still
cannot. tests/link/test_blocking.py checks the result against scoring every pair of every
block.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

from rapidfuzz import fuzz

from warehouse.linkage.evidence import acronym_within, at_same_house, town_named
from warehouse.linkage.features import Features, compatible, initials

#: Blocks of contact data larger than this are a switchboard, not evidence worth a block.
MAX_CONTACT_BLOCK = 50

_CONTACT_BLOCKS = ("tel", "mail", "web")


def _contact_keys(f: Features) -> set[str]:
    return ({f"tel:{p}" for p in f.phones} | {f"mail:{e}" for e in f.emails}
            | {f"web:{h}" for h in f.hosts})


def _towns(items: list[Features]) -> set[str]:
    """Every word of every listing's town: a name may lose any of them in a pair."""
    return set().union(*(f.city_tokens for f in items))


def blocks_of(items: list[Features]) -> dict[str, list[int]]:
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
    """A listing's name as the candidate search sees it (see `_PlaceIndex`)."""

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


def names_of(items: list[Features]) -> list[_Name]:
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
        spelled = initials(f.tokens)
        length = sum(map(len, core))
        names.append(_Name(
            prefixes=frozenset(t[:3] for t in long), length=length,
            spaced=length + len(core) - 1, drops=tuple(drops),
            short=sum(map(len, short)) + len(short) - 1 if short and long <= towns else None,
            least=sum(len(t) for t in core if t not in towns),
            abbrevs=frozenset(t for t in core if 3 <= len(t) <= 6),
            initials=spelled if 3 <= len(spelled) <= 6 else None,
            texts=_texts(core), single=_single(core)))
    return names


def _texts(core: list[str]) -> tuple[str, str, str]:
    spaced = " ".join(core)
    return spaced, "".join(sorted(core)), spaced.replace(" ", "")


def _single(core: list[str]) -> str | None:
    return core[0] if len(core) == 1 and 2 < len(core[0]) <= 6 else None


def worth_comparing(a: Features, b: Features, m: _Name, n: _Name) -> bool:
    """False only for pairs no rule of `RULES` can link. Two contact centres are always compared
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
    if not group and (acronym_within(core_a, core_b) or (
            not core_a and not core_b and town_named(a, b))):
        return True
    if a.kind == b.kind == "contact_centre":
        return True  # few per town; named with or without their carrier (`Features.bare`)
    if not (a.phones.keys().isdisjoint(b.phones) and a.emails.isdisjoint(b.emails)
            and a.hosts.keys().isdisjoint(b.hosts)):
        if not group:
            return True
    elif group and a.street and b.street and not at_same_house(a, b):
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
    """The cross-source pairs worth scoring: every pair some rule of `RULES` can link.

    A rule needs a shared place or shared contact data and, unless contact data decides,
    names that can reach 80; so a place block (quadratic: a city holds thousands of groups)
    gives only the pairs `_place_pairs` finds, a name block only those that also share
    contact data (a name alone, in another town, is never enough; more than
    MAX_CONTACT_BLOCK sharing it is a federation's hotline, not evidence).
    """
    names = names or names_of(items)
    blocks = blocks_of(items) if blocks is None else blocks
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
            for i in members:  # known by its name alone: it meets its name block (rule "name only")
                if items[i].kind != "group" and not items[i].postcode and not items[i].main_city:
                    _add_pairs(items, i, members, pairs)
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


def _add_pairs(items: list[Features], i: int, others: Iterable[int],
               pairs: set[tuple[int, int]]) -> None:
    """Add (i, j), smaller index first, for every j of another source whose kind can be one
    entity with i's."""
    a = items[i]
    for j in others:
        b = items[j]
        if j != i and a.source_id != b.source_id and compatible(a.kind, b.kind):
            pairs.add((i, j) if i < j else (j, i))


def _all_pairs(items: list[Features], members: list[int], pairs: set[tuple[int, int]]) -> None:
    for x, i in enumerate(members):
        _add_pairs(items, i, members[x + 1:], pairs)


def _place_pairs(items: list[Features], names: list[_Name], members: list[int], bound: float,
                 pairs: set[tuple[int, int]]) -> None:
    """Pairs of one postcode or city whose names can reach a similarity of 80, found through
    an index of name prefixes (`_PlaceIndex`) instead of comparing all pairs; and the pairs
    a rule may link whatever their names (shared contact data, contact centres)."""
    index = _PlaceIndex.of(items, names, members, bound)
    for group in index.shared.values():
        _all_pairs(items, group, pairs)
    # centres named by kind and town only ("Selbsthilfe-Kontaktstelle Köln"): see town_named
    _all_pairs(items, [i for i in members if items[i].kind != "group"
                       and all(w in index.towns for w in items[i].own[0])], pairs)
    # the block's contact centres meet each other: a town has a few, and their names may
    # differ by a carrier or seat one publisher leaves out (`Features.bare`)
    _all_pairs(items, [i for i in members if items[i].kind == "contact_centre"], pairs)
    for i in members:
        _add_pairs(items, i, index.named_alike(items[i], names[i], names), pairs)


@dataclass(frozen=True, slots=True)
class _PlaceIndex:
    """The members of one place block by what their names can share with another's.

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

    shared: dict[str, list[int]]  # contact key -> centres and organisations giving it
    postings: dict[str, set[int]]  # name prefix -> members whose core holds it
    towns: dict[str, set[int]]  # town word -> members in that town
    words: dict[str, set[int]]  # town word -> members whose core holds it
    by_initials: dict[str, list[int]]
    short: list[int]  # members whose core may be short enough to meet a 1–2 letter name

    @classmethod
    def of(cls, items: list[Features], names: list[_Name], members: list[int],
           bound: float) -> _PlaceIndex:
        index = cls(defaultdict(list), defaultdict(set), defaultdict(set), defaultdict(set),
                    defaultdict(list), [])
        for i in members:
            f, n = items[i], names[i]
            if f.kind != "group":
                for contact in _contact_keys(f):
                    index.shared[contact].append(i)
            for prefix in n.prefixes:
                index.postings[prefix].add(i)
            for town in f.city_tokens:
                index.towns[town].add(i)
            if n.initials:
                index.by_initials[n.initials].append(i)
            if n.least <= bound:
                index.short.append(i)
        for i in members:
            for word in items[i].words:
                if word in index.towns:
                    index.words[word].add(i)
        return index

    def holding(self, prefixes: frozenset[str], dropped: frozenset[str] = frozenset()
                ) -> set[int]:
        """Members whose core holds every prefix and whose town holds every dropped word."""
        sets = sorted([self.postings[p] for p in prefixes] + [self.towns[t] for t in dropped],
                      key=len)
        return sets[0].intersection(*sets[1:])

    def named_alike(self, a: Features, n: _Name, names: list[_Name]) -> list[int]:
        """The members whose name may reach a similarity of 80 with a's (and a itself)."""
        found: list[int] = []
        held: set[int] = set()
        if n.prefixes:
            lo, hi, lo_s, hi_s = n.length / 1.5, n.length * 1.5, n.spaced / 1.5, n.spaced * 1.5
            held = self.holding(n.prefixes)
            found += [j for j in held if lo <= names[j].length <= hi
                      or lo_s <= names[j].spaced <= hi_s]
            meet = set().union(*(self.towns[w] for w in a.words if w in self.towns),
                               *(self.words[c] for c in a.city_tokens if c in self.words))
            found += held & meet
        for dropped, rest in n.drops:
            found += self.holding(rest, dropped)
        if n.short is not None:
            found += self.short
        if n.single and a.kind != "group":  # "KISS" inside the other's long name
            found += held
        for word in n.abbrevs:
            found += self.by_initials.get(word, ())
        return found


def _towns_meet(a: Features, b: Features) -> bool:
    """Does either core hold a word of the other's town (so it shrinks in the pair)?"""
    return not (a.words.isdisjoint(b.city_tokens) and b.words.isdisjoint(a.city_tokens))


