"""Is it the same house? Street and house-number comparison for linkage, tolerant of how
publishers write them: a dropped letter ("Bahnhofsstaße"), the dative ("Neuen Straße"), a
building's number range or letters ("21-21a" / "21", "13 a/b" / "13b")."""

from __future__ import annotations

import functools
import re

from rapidfuzz import fuzz

#: Two street names at least this similar (after "straße" -> "str") are one street: typos
#: and inflections differ by a letter or two; other streets differ by more ("Bergstr" /
#: "Burgstr" 86, "Kirchstr" / "Kirchenstr" 89).
STREET_SIMILARITY = 90

_HOUSE = re.compile(r"^(\d+)(.*)$")
_RANGE = re.compile(r"-\d")


@functools.lru_cache(maxsize=1 << 16)
def same_street(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return a == b or fuzz.ratio(a, b, score_cutoff=STREET_SIMILARITY) > 0


@functools.lru_cache(maxsize=1 << 16)
def house(number: str | None) -> tuple[str, frozenset[str], bool] | None:
    """(first number, its letters, a range?): "21-21a" -> ("21", {"a"}, True),
    "13-a-b" (13 a/b) -> ("13", {"a", "b"}, False)."""
    if not number:
        return None
    m = _HOUSE.match(number)
    if not m:
        return number, frozenset(), False
    rest = m.group(2)
    return m.group(1), frozenset(c for c in rest if c.isalpha()), bool(_RANGE.match(rest))


def same_house(a: str | None, b: str | None) -> bool:
    """One house: the same first number and letters; or one side's letters among the
    other's ("13 a/b" holds "13b"); or a range holding the other ("21-21a" holds "21").
    "118" and "118b" are two houses, as are "13 a/c" and "13 a/b"."""
    if a == b:
        return True
    ha, hb = house(a), house(b)
    if ha is None or hb is None or ha[0] != hb[0]:
        return False
    (_, la, ra), (_, lb, rb) = ha, hb
    if la == lb or (la and lb and (la <= lb or lb <= la)):
        return True
    return (ra and lb <= la) or (rb and la <= lb)
