"""Text hygiene: bidi controls, line and paragraph separators and other control characters
never reach a published text; emoji sequences joined by a zero-width joiner stay whole.

A bidi override (U+202E) makes a text show in another order than it is stored ("Trojan
Source"); U+2028 breaks a line where JavaScript and some CSV readers do not expect one. The
joiner inside "👨‍👩‍👧" or "🏳️‍🌈" is what makes one emoji of several; removed, a family becomes
three people and a rainbow flag a white flag and a rainbow.
"""

import json
from datetime import UTC, datetime

import pytest
import regex

from schema.normalise import to_listings
from schema.normalise.text import clean, one_line
from tests.factories import listings, record, source
from tests.release_scan import folder_texts
from warehouse.linkage.entities import link_entities
from warehouse.release.publish import publish
from warehouse.storage.db import connect
from warehouse.storage.runs import SourceRun, begin_run, commit_source_run, upsert_sources

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # man, woman, girl
RAINBOW = "\U0001f3f3\ufe0f\u200d\U0001f308"  # white flag, VS16, rainbow
HEALTH_WORKER = "\U0001f469\U0001f3fd\u200d\u2695\ufe0f"  # woman, skin tone, staff of Aesculapius
HEART_ON_FIRE = "\u2764\ufe0f\u200d\U0001f525"
KEYCAP = "1\ufe0f\u20e3"
SEQUENCES = (FAMILY, RAINBOW, HEALTH_WORKER, HEART_ON_FIRE, KEYCAP)
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
#: Characters no published text may hold: bidi controls, separators, C0 (but tab and line
#: breaks) and C1 controls.
FORBIDDEN = regex.compile(
    r"[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u2028\u2029"
    r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: A zero-width joiner anywhere but between two pictographs.
STRAY_ZWJ = regex.compile(r"(?<!\p{Extended_Pictographic}[\ufe0e\ufe0f\p{Emoji_Modifier}]*)"
                          r"\u200d|\u200d(?!\p{Extended_Pictographic})")
#: A hostile piece of text: every kind of invisible character, and emoji sequences to keep.
HOSTILE = (f"\u202eevil\u202c \u2066iso\u2069 \u200emark\u200f\u061c a\u2028b\u2029c "
           f"bell\x07 esc\x1b nel\x85 csi\x9b Mu\u200dt {FAMILY} {RAINBOW} {HEALTH_WORKER}")


@pytest.mark.parametrize("raw, cleaned", [
    ("Gruppe \u202eMut\u202c", "Gruppe Mut"),
    ("\u2066Angst\u2069 und \u2067Panik\u2068\u2069", "Angst und Panik"),
    ("\u200eLinks\u200f nach \u061crechts", "Links nach rechts"),
    ("Zeile eins\u2028Zeile zwei\u2029Absatz", "Zeile eins\nZeile zwei\nAbsatz"),
    ("Mo\x0bDi\x0cMi\x85Do", "Mo\nDi\nMi\nDo"),
    ("Sucht\x00hilfe\x07 \x1b[0m\x7f\x9b", "Suchthilfe [0m"),
    ("&#x202E;Kontakt&#8232;Stelle", "Kontakt\nStelle"),
    ("ohne\u200dJoiner", "ohneJoiner"),
    ("\u200d\U0001f44d\u200d", "\U0001f44d"),
    ("x\ud800y", "xy"),  # a lone surrogate, as json.loads gives for "\ud800"
    *((f"Familie {s} willkommen", f"Familie {s} willkommen") for s in SEQUENCES),
])
def test_clean(raw, cleaned):
    assert clean(raw) == cleaned


def test_one_line_turns_separators_into_commas():
    assert one_line("Rathausstraße 6\u2028Herne") == "Rathausstraße 6, Herne"
    assert one_line(f"{FAMILY}\u2029{RAINBOW}") == f"{FAMILY}, {RAINBOW}"


#: Every text field of a record; each gets the hostile text.
TEXT_FIELDS = ("name", "description", "carrier", "district", "hours_text", "meeting_text",
               "accessibility_text", "org_type")


def hostile_record(key: str = "h1"):
    return record(
        key, **{f: f"{f} {HOSTILE}" for f in TEXT_FIELDS},
        address_text=f"Rathausstraße 6{HOSTILE[:9]}, 44649 Herne",
        topics=[f"Sucht {HOSTILE}", f"Depression\u202e{FAMILY}"],
        contact_person=f"über das BüZ {HOSTILE}",
        web_text=["https://shg.example/\u202egro\u202cup", "https://mut.example/"],
        emails_text=["info\u202e@shg.example", "kontakt@mut.example"])


def _published_strings(value, path=""):
    """(path, string) of every string of a listing that a release may show: not the raw
    originals of phones, e-mails and web sites, the flags or the provenance."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            if k not in ("flags", "provenance") and not (k == "original" and path.startswith(
                    (".phones", ".emails", ".websites"))):
                yield from _published_strings(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _published_strings(v, f"{path}[{i}]")


def test_every_text_field_goes_through_clean():
    (listing,), rejected = to_listings([hostile_record()], "CC0-1.0")
    assert not rejected
    strings = list(_published_strings(listing.model_dump(mode="json")))
    assert len(strings) > 15
    bad = [(p, s) for p, s in strings if FORBIDDEN.search(s) or STRAY_ZWJ.search(s)]
    assert not bad
    emoji = f"{FAMILY} {RAINBOW} {HEALTH_WORKER}"
    assert listing.name == f"name evil iso mark a, b, c bell esc nel, csi Mut {emoji}"
    assert listing.description.splitlines() == [
        "description evil iso mark a", "b", "c bell esc nel", f"csi Mut {emoji}"]
    assert [t.label for t in listing.topics][-1] == f"Depression{FAMILY}"
    assert listing.contact_route.startswith("über das BüZ evil iso mark")
    assert [w.url for w in listing.websites] == [None, "https://mut.example/"]
    assert [e.address for e in listing.emails] == [None, "kontakt@mut.example"]


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    base = tmp_path_factory.mktemp("hygiene")
    now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    con = connect(base / "atlas.duckdb")
    upsert_sources(con, [source("herne")])
    begin_run(con, "r1", "live", now)
    commit_source_run(con, "r1", SourceRun("herne", now, now, listings=listings(
        hostile_record("h1"), hostile_record("h2"))))
    link_entities(con, "r1", now)
    publish(con, base / "public", "r1", now)
    con.close()
    return folder_texts(base / "public" / "releases" / "r1")


def test_no_file_of_the_release_holds_an_invisible_control(release):
    assert len(release) > 20
    bad = {name: sorted({f"U+{ord(m.group()):04X}" for m in FORBIDDEN.finditer(text)})
           for name, text in release.items()}
    assert not {name: found for name, found in bad.items() if found}
    stray = [name for name, text in release.items() if STRAY_ZWJ.search(text)]
    assert not stray


def test_emoji_sequences_stay_whole_in_every_format(release):
    for name in ("listings.csv", "listings-excel.csv", "listings.json", "listings.parquet",
                 "groups.csv", "groups.json", "groups.parquet", "atlas.duckdb",
                 "hsds/services.json", "hsds/services.csv", "index.html"):
        for sequence in (FAMILY, RAINBOW, HEALTH_WORKER):
            assert sequence in release[name], (name, sequence)
    groups = json.loads(release["groups.json"])["groups"]
    assert {g["name"] for g in groups} == {
        f"name evil iso mark a, b, c bell esc nel, csi Mut {FAMILY} {RAINBOW} {HEALTH_WORKER}"}
