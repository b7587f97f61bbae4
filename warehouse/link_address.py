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


@functools.lru_cache(maxsize=1 << 16)
def same_street(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return a == b or fuzz.ratio(a, b, score_cutoff=STREET_SIMILARITY) > 0


@functools.lru_cache(maxsize=1 << 16)
def house(number: str | None) -> tuple[str, frozenset[str]] | None:
    """(first number, its letters): "21-21a" -> ("21", {"a"}), "13a-b" -> ("13", {"a", "b"})."""
    if not number:
        return None
    m = _HOUSE.match(number)
    if not m:
        return number, frozenset()
    return m.group(1), frozenset(c for c in m.group(2) if c.isalpha())


def same_house(a: str | None, b: str | None) -> bool:
    """One house: the same first number, and one side's letters among the other's (a
    building "13 a/b" holds "13b"; "13a/c" and "13a/b" are two buildings)."""
    if a == b:
        return True
    ha, hb = house(a), house(b)
    if ha is None or hb is None or ha[0] != hb[0]:
        return False
    return ha[1] <= hb[1] or hb[1] <= ha[1]
