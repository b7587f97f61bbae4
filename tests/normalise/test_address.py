"""Addresses: the labelled corpus in cases/address.toml, the postcode -> state table, fuzzing.

A case's `expected` table lists the fields that are set; every other field must be None and
`notes` empty. `none = true` marks input for which the normaliser returns None.
"""

import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schema.listing import Address
from schema.normalise.address import address
from schema.normalise.states import RANGES, state_for_postcode, state_names
from tests.normalise.corpus import mutations

CASES = tomllib.loads((Path(__file__).parent / "cases" / "address.toml")
                      .read_text("utf-8"))["case"]
FIELDS = ("street", "house_number", "extra", "postcode", "city", "district", "state", "notes")


def expected(case: dict) -> dict | None:
    if case.get("none"):
        return None
    want = case["expected"]
    return {name: want.get(name, [] if name == "notes" else None) for name in FIELDS}


def actual(case: dict) -> dict | None:
    result = address(case["input"], case.get("district"))
    return None if result is None else {name: getattr(result, name) for name in FIELDS}


def accuracy() -> tuple[int, int]:
    """(cases matching, total), for the team's per-step report."""
    return sum(actual(c) == expected(c) for c in CASES), len(CASES)


def test_corpus_is_big_enough_and_unique():
    inputs = [c["input"] for c in CASES]
    assert len(inputs) >= 50
    assert len(set(inputs)) == len(inputs)


@pytest.mark.parametrize("case", CASES, ids=[c["input"] for c in CASES])
def test_case(case):
    got, want = actual(case), expected(case)
    if want is None or got is None:
        assert got == want, case.get("note", "")
        return
    for name in FIELDS:
        assert got[name] == want[name], f"{name}: {case.get('note', '')}"


@pytest.mark.parametrize("case", [c for c in CASES if not c.get("none")],
                         ids=[c["input"] for c in CASES if not c.get("none")])
def test_original_is_kept(case):
    result = address(case["input"])
    assert result.original == "\n".join(
        " ".join(line.split()) for line in case["input"].splitlines() if line.strip())


def test_none_is_none():
    assert address(None) is None


# --- the state table -----------------------------------------------------------------------

def test_ranges_are_sorted_and_disjoint():
    previous = -1
    for first, last, _ in RANGES:
        assert len(first) == len(last) == 5
        assert previous < int(first) <= int(last)
        previous = int(last)


@pytest.mark.parametrize(("plz", "state"), [
    ("01067", "Sachsen"), ("01968", "Brandenburg"), ("04109", "Sachsen"), ("04600", "Thüringen"),
    ("04916", "Brandenburg"), ("06108", "Sachsen-Anhalt"), ("06556", "Thüringen"),
    ("07743", "Thüringen"), ("07952", "Sachsen"), ("07919", None), ("08056", "Sachsen"),
    ("10115", "Berlin"), ("12529", None), ("14728", None), ("14467", "Brandenburg"),
    ("14195", "Berlin"), ("17268", "Brandenburg"), ("17033", "Mecklenburg-Vorpommern"),
    ("19322", "Brandenburg"), ("19273", None), ("20095", "Hamburg"), ("21039", None),
    ("21423", "Niedersachsen"), ("21502", "Schleswig-Holstein"), ("22145", None),
    ("22846", "Schleswig-Holstein"), ("23966", "Mecklenburg-Vorpommern"),
    ("27498", "Schleswig-Holstein"), ("27499", "Hamburg"), ("27568", "Bremen"),
    ("27607", "Niedersachsen"), ("28195", "Bremen"), ("28816", "Niedersachsen"),
    ("29410", "Sachsen-Anhalt"), ("34346", "Niedersachsen"), ("34414", "Nordrhein-Westfalen"),
    ("36433", "Thüringen"), ("37671", "Nordrhein-Westfalen"), ("37691", "Niedersachsen"),
    ("38486", "Sachsen-Anhalt"), ("38855", "Sachsen-Anhalt"), ("44649", "Nordrhein-Westfalen"),
    ("48527", "Niedersachsen"), ("49477", "Nordrhein-Westfalen"), ("51598", "Rheinland-Pfalz"),
    ("53474", "Rheinland-Pfalz"), ("53604", "Nordrhein-Westfalen"), ("57518", "Rheinland-Pfalz"),
    ("59969", None), ("63739", "Bayern"), ("65582", "Rheinland-Pfalz"), ("66111", "Saarland"),
    ("66482", "Rheinland-Pfalz"), ("68519", "Hessen"), ("69239", "Hessen"), ("69434", None),
    ("76829", "Rheinland-Pfalz"), ("78266", "Baden-Württemberg"), ("80331", "Bayern"),
    ("87567", None), ("88131", "Bayern"), ("88147", "Baden-Württemberg"),
    ("89073", "Baden-Württemberg"), ("89231", "Bayern"), ("96515", "Thüringen"),
    ("97877", "Baden-Württemberg"), ("97892", "Bayern"), ("99084", "Thüringen"),
])
def test_state_for_postcode(plz, state):
    assert state_for_postcode(plz) == state


@pytest.mark.parametrize("plz", ["", "4464", "446490", "00000", "05123", "4464a", "٤٤٦٤٩", None])
def test_malformed_or_unknown_postcode_has_no_state(plz):
    assert state_for_postcode(plz) is None


# --- fuzzing -------------------------------------------------------------------------------

MUTATED = mutations([c["input"] for c in CASES], "0123456789 ,.;:/-–\n()DStraßeNr", 6)


def _check(text: str | None) -> None:
    result = address(text)
    assert result is None or isinstance(result, Address)
    if result is not None:
        assert result.original
        assert result.postcode is None or re.fullmatch(r"[0-9]{5}", result.postcode)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), st.text()))
def test_fuzz_any_text(text):
    _check(text)


@settings(max_examples=300, deadline=None)
@given(MUTATED)
def test_fuzz_mutated_corpus(text):
    _check(text)


@pytest.mark.parametrize(("text", "names"), [
    ("NRW", {"Nordrhein-Westfalen"}), ("Schlesw.-H.", {"Schleswig-Holstein"}),
    ("Rheinl.Pf.", {"Rheinland-Pfalz"}), ("Baden-Würtemberg", {"Baden-Württemberg"}),
    ("Berlin/Brand.brg", {"Berlin", "Brandenburg"}), ("Sachsen", {"Sachsen"}),
    ("Herne", set()), ("Bayreuth", set()), ("Berlin/Pankow", set()), ("Hochparterre", set()),
])
def test_state_names_as_publishers_write_them(text, names):
    assert state_names(text) == names


# --- conventions learnt from the first text holdout (issue 18); the strings are invented ---

def _fields(text: str) -> tuple:
    a = address(text)
    return (a.street, a.house_number, a.extra, a.postcode, a.city, a.district, a.state)


@pytest.mark.parametrize(("text", "fields"), [
    # a lone postcode between commas, the town hyphened with its district
    ("Lindenweg 4, 12627, Berlin-Hellersdorf",
     ("Lindenweg", "4", None, "12627", "Berlin", "Hellersdorf", "Berlin")),
    ("Marktplatz 2, 44575, Castrop-Rauxel",
     ("Marktplatz", "2", None, "44575", "Castrop-Rauxel", None, "Nordrhein-Westfalen")),
    # a place named before its town, no street: the town is kept, the name is the extra
    ("Nachbarschaftshaus Nord, Hamburg", (None, None, "Nachbarschaftshaus Nord", None,
                                          "Hamburg", None, "Hamburg")),
    ("Gemeindezentrum, Kleinstadt", (None, None, "Gemeindezentrum", None, "Kleinstadt", None,
                                     None)),
    # two towns, or a town alone: not read
    ("Herne, Bochum", (None,) * 7),
    ("Herne", (None,) * 7),
    # prose joins a venue and its street: "in (der)" is in neither
    ("Bürgerhaus Süd in der Gartenstraße 12", ("Gartenstraße", "12", "Bürgerhaus Süd", None,
                                               None, None, None)),
    ("Gemeindesaal im Lindenweg 3", ("Lindenweg", "3", "Gemeindesaal", None, None, None, None)),
    # prose names the town after the street with "in"
    ("Im Saal der Gemeinde, Kirchweg 4 in Kleinstadt", ("Kirchweg", "4", "Im Saal der Gemeinde",
                                                        None, "Kleinstadt", None, None)),
])
def test_conventions_of_real_publishers(text, fields):
    assert _fields(text) == fields


# --- conventions learnt from the second text holdout (issue 18); the strings are invented --

@pytest.mark.parametrize(("text", "fields"), [
    # prose puts the venue before its street with "an der": neither word is the street's
    ("Begegnungsstätte an der Lindenstraße 7", ("Lindenstraße", "7", "Begegnungsstätte", None,
                                                None, None, None)),
    ("Bürgerhaus Süd an der Alten Dorfstraße 3", ("Alten Dorfstraße", "3", "Bürgerhaus Süd",
                                                  None, None, None, None)),
    # a venue and its town after "in", the street in brackets or after a comma
    ("Stadtbücherei in Kleinstadt (Marktweg 9)", ("Marktweg", "9", "Stadtbücherei", None,
                                                  "Kleinstadt", None, None)),
    ("Familienzentrum in Ober-Dorf, Talweg 8b", ("Talweg", "8b", "Familienzentrum", None,
                                                 "Ober-Dorf", None, None)),
    # an abstract noun after "in" is no town
    ("Selbsthilfegruppe in Gründung, Hauptstr. 5", ("Hauptstr.", "5",
                                                    "Selbsthilfegruppe in Gründung", None,
                                                    None, None, None)),
    # a town and its district joined by a spaced dash, before the street
    ("Großstadt - Oberdorf, Kirchweg 2, zweite Etage", ("Kirchweg", "2", "zweite Etage", None,
                                                        "Großstadt", "Oberdorf", None)),
    # a line break inside one part: after "in", inside an open bracket
    ("Gartenstraße 12 in\nKleinstadt", ("Gartenstraße", "12", None, None, "Kleinstadt", None,
                                         None)),
    ("Hauptweg 3 (Zugang\nüber den Hof)", ("Hauptweg", "3", "Zugang über den Hof", None, None,
                                           None, None)),
    # the venue's "in <town>" repeats the postcode's town
    ("Stadthalle in Kleinstadt, Marktweg 9, 12345 Kleinstadt", ("Marktweg", "9", "Stadthalle",
                                                               "12345", "Kleinstadt", None,
                                                               "Berlin")),
    # a village, then the municipality it belongs to
    ("Lindenweg 4 in Unterdorf, Gemeinde Großgemeinde", ("Lindenweg", "4", None, None,
                                                         "Großgemeinde", "Unterdorf", None)),
])
def test_conventions_of_real_publishers_2(text, fields):
    assert _fields(text) == fields
