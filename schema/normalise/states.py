"""Postcode -> Bundesland, from a range table of the Deutsche Post's postcode regions.

German postcodes follow delivery regions, not state borders: "21039" is Hamburg-Neuengamme
and Börnsen (Schleswig-Holstein), "07919" is Kirschkau (Thüringen) and Mühltroff (Sachsen),
"59969" is Hallenberg (Nordrhein-Westfalen) and Bromskirchen (Hessen). So the table
(states.toml) holds explicit ranges, down to single postcodes near the borders; a postcode
that is shared by two states, or that falls in no range, gives None — a wrong state is worse
than none.
"""

import functools
import tomllib
from bisect import bisect_right
from difflib import SequenceMatcher
from importlib.resources import files

from schema.normalise.text import MEMO

#: The two-letter codes of states.toml -> Bundesland ("both": a postcode used in two states).
STATES = {"BW": "Baden-Württemberg", "BY": "Bayern", "BE": "Berlin", "BB": "Brandenburg",
          "HB": "Bremen", "HH": "Hamburg", "HE": "Hessen", "MV": "Mecklenburg-Vorpommern",
          "NI": "Niedersachsen", "NW": "Nordrhein-Westfalen", "RP": "Rheinland-Pfalz",
          "SL": "Saarland", "SN": "Sachsen", "ST": "Sachsen-Anhalt", "SH": "Schleswig-Holstein",
          "TH": "Thüringen"}
#: (first, last, state) in ascending order, not overlapping (states.toml).
RANGES: tuple[tuple[str, str, str | None], ...] = tuple(
    (first, last, None if code == "both" else STATES[code]) for first, last, code in
    tomllib.loads(files("schema.normalise").joinpath("states.toml").read_text("utf-8"))["ranges"])
_STARTS = [int(first) for first, _, _ in RANGES]


def state_for_postcode(plz: str | None) -> str | None:
    """The Bundesland of a five-digit postcode; None when shared, unknown or malformed."""
    if not plz or len(plz) != 5 or not plz.isascii() or not plz.isdigit():
        return None
    code = int(plz)
    i = bisect_right(_STARTS, code) - 1
    if i < 0:
        return None
    _, last, state = RANGES[i]
    return state if code <= int(last) else None


# --- state names as publishers write them after the town ----------------------------------

NAMES = tuple(STATES.values())
#: Acronyms in common use -> code; the dotted short forms ("Schlesw.-H.", "Rheinl.Pf.") are
#: matched by shape in `_abbreviates`, a slip of one letter ("Baden-Würtemberg") by similarity.
ACRONYMS = {"nrw": "NW", "bw": "BW", "bawü": "BW", "rlp": "RP", "mv": "MV", "m-v": "MV",
            "lsa": "ST", "sh": "SH", "by": "BY", "nds": "NI"}
#: How close a full name must be to count as a misspelling of a state name.
SIMILAR = 0.93


def state_names(text: str) -> set[str]:
    """The Bundesländer that `text` names ("NRW", "Schlesw.-H.", "Berlin/Brand.brg"), each
    piece of a slashed text counted; empty when a piece names no state."""
    found: set[str] = set()
    for piece in text.split("/"):
        named = _state_name(piece.strip())
        if not named:
            return set()
        found |= named
    return found


@functools.lru_cache(maxsize=MEMO)
def _state_name(piece: str) -> frozenset[str]:
    """Cached: every address asks of its town, and a source has few towns."""
    key = piece.casefold()
    if key in ACRONYMS:
        return frozenset({STATES[ACRONYMS[key]]})
    exact = frozenset(name for name in NAMES if name.casefold() == key)
    if exact or len(key) < 4:
        return exact
    if "." in key:
        return frozenset(name for name in NAMES if _abbreviates(key, name.casefold()))
    return frozenset(name for name in NAMES
                     if SequenceMatcher(None, key, name.casefold()).ratio() >= SIMILAR)


def _abbreviates(short: str, name: str) -> bool:
    """"schlesw.-h." abbreviates "schleswig-holstein": it begins like the name and its letters
    follow in the name's order."""
    letters = [c for c in short if c.isalpha()]
    if letters[:3] != list(name[:3]):
        return False
    rest = iter(name)
    return all(c in rest for c in letters)
