"""Meeting rhythms: the labelled corpus in cases/meetings.toml, and fuzz tests.

A case's `expected` table holds the `Schedule` fields (`freq` left out: the normaliser
declines, None; `interval` left out: 1; times left out: None) and `on_request` (left out:
false).
"""

import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schema.listing import Schedule
from schema.normalise.meetings import meetings, on_request
from tests.normalise.corpus import mutations

CASES = tomllib.loads((Path(__file__).parent / "cases" / "meetings.toml")
                      .read_text("utf-8"))["case"]
FIELDS = ("freq", "interval", "byday", "opens_at", "closes_at", "timezone", "on_request")
_BYDAY = re.compile(r"^(?:-?[1-5])?(?:MO|TU|WE|TH|FR|SA|SU)$")


def expected(case: dict) -> dict:
    want = dict(case["expected"])
    flag = want.pop("on_request", False)
    schedule = Schedule(**want).model_dump() if "freq" in want else dict.fromkeys(FIELDS[:-1])
    return {**schedule, "on_request": flag}


def actual(text: str) -> dict:
    schedule = meetings(text)
    fields = schedule.model_dump() if schedule else dict.fromkeys(FIELDS[:-1])
    return {**fields, "on_request": on_request(text)}


def accuracy() -> tuple[int, int]:
    """(cases matching, total), for the team's per-step report."""
    return sum(actual(c["input"]) == expected(c) for c in CASES), len(CASES)


def test_corpus_is_big_enough_and_unique():
    inputs = [c["input"] for c in CASES]
    assert len(inputs) >= 70
    assert len(set(inputs)) == len(inputs)
    assert sum("freq" not in c["expected"] for c in CASES) >= 20  # declines are labelled too


@pytest.mark.parametrize("case", CASES, ids=[c["input"] for c in CASES])
def test_case(case):
    got, want = actual(case["input"]), expected(case)
    for name in FIELDS:
        assert got[name] == want[name], f"{name}: {case.get('note', '')}"


def test_none_and_empty_are_declined():
    for text in (None, "", "   ", "\n"):
        assert meetings(text) is None
        assert on_request(text) is False


def _rhythm(text: str) -> tuple | None:
    schedule = meetings(text)
    return schedule and (schedule.freq, schedule.interval, schedule.byday, schedule.opens_at)


@pytest.mark.parametrize(("text", "rhythm"), [
    # a weekly plan's shorthand: "/Monat" is "im Monat"
    ("18:30 2. Di./Monat Angehörigentreff", ("MONTHLY", 1, ["2TU"], "18:30")),
    ("2. Mi. mtl., 15 Uhr", ("MONTHLY", 1, ["2WE"], "15:00")),
    # a weekday hyphened into a name is no day
    ("Montags-Runde jeden 3. Montag im Monat 17 Uhr", ("MONTHLY", 1, ["3MO"], "17:00")),
    ("Montag-Freitag 9-12 Uhr", ("WEEKLY", 1, ["MO", "TU", "WE", "TH", "FR"], "09:00")),
    # "…-Regel" is a rule's name, not the hedge "in der Regel"
    ("Wir treffen uns donnerstags um 18 Uhr, es gilt die Hausregel und die 2G-Regel.",
     ("WEEKLY", 1, ["TH"], "18:00")),
    ("In der Regel treffen wir uns donnerstags um 18 Uhr.", None),
    # a hedge in another sentence says nothing of the rhythm; an exception anywhere does
    ("Wir treffen uns jeden Freitag um 17 Uhr. Bitte vorher kurz anrufen.",
     ("WEEKLY", 1, ["FR"], "17:00")),
    ("Wir treffen uns jeden Freitag um 17 Uhr. In den Ferien ruht die Gruppe.", None),
    # several groups and several days: whose day is whose?
    ("Die beiden Gruppen treffen sich dienstags und donnerstags um 19 Uhr.", None),
    ("Zwei Gruppen, jeweils mittwochs 18 Uhr.", ("WEEKLY", 1, ["WE"], "18:00")),
])
def test_conventions_of_real_publishers(text, rhythm):
    """Rules that hold for how publishers write (issue 18, holdout 1)."""
    assert _rhythm(text) == rhythm


@pytest.mark.parametrize(("text", "rhythm"), [
    # a "wenn/falls" aside inside a list of ordinals
    ("Wir treffen uns am ersten und, falls es ihn gibt, fünften Freitag um 18 Uhr.",
     ("MONTHLY", 1, ["1FR", "5FR"], "18:00")),
    # a weekday with a list of planned dates: the dates are the meetings
    ("Treffen montags um 19 Uhr. Termine: 3. Februar, 3. März und 7. April.", None),
    ("Treffen dienstags 18 Uhr, nämlich am 4.2., 11.2. und 18.2.", None),
    # a month in another clause dates something else; in the rhythm's clause it is a season
    ("Die Gruppe entstand im Mai, sie trifft sich jeden Dienstag um 17 Uhr.",
     ("WEEKLY", 1, ["TU"], "17:00")),
    ("Im August jeden Dienstag um 17 Uhr.", None),
    # an approximate end gives no closing time; a placeholder start is unknown
    ("Jeden Donnerstag um 19:30 Uhr. Ende gegen 21 Uhr.", ("WEEKLY", 1, ["TH"], "19:30")),
    ("Jeden 1. Freitag im Monat 18 Uhr, Ende ca. zwischen 20 und 21 Uhr",
     ("MONTHLY", 1, ["1FR"], "18:00")),
    ("Jeden Montag von ?? Uhr bis 16 Uhr", ("WEEKLY", 1, ["MO"], None)),
    # a weekday with a typing slip
    ("Jeden Mitwoch um 18 Uhr", ("WEEKLY", 1, ["WE"], "18:00")),
    ("jeden 1. Montga im Monat 17 Uhr", ("MONTHLY", 1, ["1MO"], "17:00")),
    ("an jedem letzten Freitag im Montag um 15 Uhr", ("MONTHLY", 1, ["-1FR"], "15:00")),
])
def test_conventions_of_real_publishers_2(text, rhythm):
    """Rules that hold for how publishers write (issue 18, holdout 2)."""
    assert _rhythm(text) == rhythm


def test_repeated_day_is_listed_once():
    assert meetings("montags, 19 Uhr, und montags, 19 Uhr").byday == ["MO"]


MUTATED = mutations([c["input"] for c in CASES],
                    "0123456789.:-–, ;/+&MoDiFrSaUhr jeden letzten im Monat\n", 8)


def _check(text: str | None) -> None:
    value = meetings(text)
    assert value is None or isinstance(value, Schedule)
    if value is not None:
        assert value.byday and all(_BYDAY.match(d) for d in value.byday)
        assert len(set(value.byday)) == len(value.byday)
        if value.freq == "WEEKLY":  # ordinals belong to MONTHLY only
            assert all(d.isalpha() for d in value.byday)
        if value.opens_at and value.closes_at:
            assert value.opens_at < value.closes_at
    assert isinstance(on_request(text), bool)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), st.text()))
def test_fuzz_any_text(text):
    _check(text)


@settings(max_examples=300, deadline=None)
@given(MUTATED)
def test_fuzz_mutated_corpus(text):
    _check(text)
