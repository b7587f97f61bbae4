"""Places for a synthetic Germany: real town names with their real telephone area codes, read
from the geocoding data that ships with `phonenumbers` (no download, no hand-typed list), and
postcodes drawn from the Leitregionen that match the area code's region.

Area codes and postcodes follow different maps, so the region table below is approximate (an
area code region -> the two-digit postcode regions mostly covering it). That is enough for the
benchmark: the phone normaliser sees real area codes, the address normaliser real-looking
postcodes across all sixteen states, and the linkage many distinct postcode and city blocks.
"""

from __future__ import annotations

import functools
import random
import re
import sys

from bench.vocab import CITIES, City

#: First two digits of an area code (after the 0) -> postcode regions (first two digits).
_POSTCODE_REGIONS: dict[str, tuple[str, ...]] = {
    "20": ("45",), "21": ("40", "41", "42", "47"), "22": ("50", "51", "53"),
    "23": ("44", "45", "58", "59"), "24": ("52", "41"), "25": ("48", "59"), "26": ("56", "57"),
    "27": ("57", "51"), "28": ("46", "47"), "29": ("59", "34"), "30": ("10", "12", "13"),
    "33": ("14", "15", "16"), "34": ("04", "06"), "35": ("01", "02", "03"), "36": ("07", "99"),
    "37": ("08", "09"), "38": ("18", "19"), "39": ("39", "17"), "40": ("20", "21", "22"),
    "41": ("21", "27"), "42": ("27", "28"), "43": ("24", "23"), "44": ("26", "27"),
    "45": ("23",), "46": ("24", "25"), "47": ("27",), "48": ("25",), "49": ("26",),
    "50": ("31", "29"), "51": ("30", "31"), "52": ("33", "32"), "53": ("38",), "54": ("49",),
    "55": ("37",), "56": ("34",), "57": ("32",), "58": ("29",), "59": ("48", "49"),
    "60": ("63", "61"), "61": ("61", "65"), "62": ("68", "69", "67"), "63": ("67", "66"),
    "64": ("35",), "65": ("54",), "66": ("36",), "67": ("55",), "68": ("66",), "69": ("60",),
    "70": ("74", "71"), "71": ("70", "71", "73"), "72": ("76", "75"), "73": ("89", "73"),
    "74": ("72", "78"), "75": ("72", "73"), "76": ("79",), "77": ("77", "78"), "78": ("88",),
    "79": ("74",), "80": ("83", "85"), "81": ("82", "86"), "82": ("86", "82"), "83": ("87",),
    "84": ("94", "84"), "85": ("93", "94"), "86": ("83", "84"), "87": ("85", "84"),
    "88": ("82", "87"), "89": ("80", "81"), "90": ("91", "92"), "91": ("90", "91"),
    "92": ("95", "92"), "93": ("97", "96"), "94": ("93", "94"), "95": ("96", "95"),
    "96": ("96",), "97": ("97", "36"), "98": ("91", "86"), "99": ("94",),
}
_GENERIC_DISTRICTS = ("Mitte", "Nord", "Süd", "Ost", "West", "Altstadt", "Innenstadt",
                      "Neustadt", "Oberdorf", "Unterdorf", "Bahnhofsviertel", "Am Markt")
_PARENS = re.compile(r"\s*\(.*?\)")
_TWO_WORDS = ("Bad", "St", "St.", "Sankt", "Groß", "Klein", "Preussisch", "Alt", "Neu")


def _town(name: str) -> str:
    """"Oberhausen Rheinland" -> "Oberhausen", "Koblenz am Rhein" -> "Koblenz", "Bad Kreuznach"
    stays: the geocoder adds the region after the town to tell namesakes apart."""
    words = _PARENS.sub("", name).split()
    if not words:
        return ""
    return " ".join(words[:2]) if words[0] in _TWO_WORDS and len(words) > 1 else words[0]


@functools.cache
def towns() -> tuple[City, ...]:
    """Every German area code with a single town (no "Velbert-Langenberg" district codes),
    with districts from its district codes, in area-code order. The 18 cities of
    `bench.vocab` (hand-checked postcodes) replace their entries."""
    import phonenumbers
    from phonenumbers.geodata import GEOCODE_DATA

    names: dict[str, str] = {}
    for prefix, labels in GEOCODE_DATA.items():
        label = labels.get("de") or labels.get("en")
        if prefix.startswith("49") and len(prefix) in (4, 5, 6) and label:
            names["0" + prefix[2:]] = label
    # the world's geocoding data is ~100 MB in every bench process (server, collect workers):
    # only German towns are needed, so let the rest go
    del GEOCODE_DATA
    for name in [m for m in sys.modules if m.startswith("phonenumbers.geodata")]:
        del sys.modules[name]
    phonenumbers.__dict__.pop("geodata", None)
    districts: dict[str, list[str]] = {}
    for name in names.values():
        town, sep, district = name.partition("-")
        if sep and district and " " not in town:
            districts.setdefault(town, []).append(district)
    known = {c.area_code: c for c in CITIES}
    seen: set[str] = set()
    result = []
    for code, label in sorted(names.items()):
        if "-" in label or code[1:3] not in _POSTCODE_REGIONS:
            continue
        town = _town(label)
        if not town or town in seen or not town[0].isupper():
            continue
        seen.add(town)
        if code in known:
            result.append(known[code])
            continue
        rng = random.Random(f"places:{code}")
        regions = _POSTCODE_REGIONS[code[1:3]]
        lead = rng.choice(regions) + str(rng.randrange(10))
        postcodes = tuple(sorted({f"{lead}{rng.randrange(100):02d}" for _ in range(4)}))
        own = districts.get(town, [])
        extra = rng.sample(_GENERIC_DISTRICTS, max(0, 4 - len(own)))
        result.append(City(town, code, postcodes, tuple(own[:6]) + tuple(extra)))
    return tuple(result)


def pick(count: int, seed: int, first: tuple[str, ...] = ()) -> list[City]:
    """`count` distinct towns: those named in `first` (in that order), then a seeded sample."""
    pool = towns()
    by_name = {c.name: c for c in pool}
    chosen = [by_name[name] for name in first if name in by_name][:count]
    rest = [c for c in pool if c not in chosen]
    rng = random.Random(f"germany-places:{seed}")
    return chosen + rng.sample(rest, count - len(chosen))
