"""Office hours: the labelled corpus in cases/hours.toml, and a fuzz test.

A case's `expected` table holds `osm` (left out: the normaliser declines, None) and
`by_appointment` (left out: false).
"""

import time
import tomllib
from pathlib import Path

import opening_hours as oh
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schema.normalise.hours import by_appointment, opening_hours, phone_hours
from tests.normalise.corpus import mutations

CASES = tomllib.loads((Path(__file__).parent / "cases" / "hours.toml").read_text("utf-8"))["case"]
FIELDS = ("osm", "by_appointment")


def expected(case: dict) -> dict:
    want = case["expected"]
    return {"osm": want.get("osm"), "by_appointment": want.get("by_appointment", False)}


def actual(text: str) -> dict:
    return {"osm": opening_hours(text), "by_appointment": by_appointment(text)}


def accuracy() -> tuple[int, int]:
    """(cases matching, total), for the team's per-step report."""
    return sum(actual(c["input"]) == expected(c) for c in CASES), len(CASES)


def test_corpus_is_big_enough_and_unique():
    inputs = [c["input"] for c in CASES]
    assert len(inputs) >= 70
    assert len(set(inputs)) == len(inputs)


@pytest.mark.parametrize("case", CASES, ids=[c["input"] for c in CASES])
def test_case(case):
    got, want = actual(case["input"]), expected(case)
    for name in FIELDS:
        assert got[name] == want[name], f"{name}: {case.get('note', '')}"


@pytest.mark.parametrize("value", sorted({c["expected"]["osm"] for c in CASES
                                          if "osm" in c["expected"]}))
def test_expected_values_are_valid_osm(value):
    oh.OpeningHours(value)


@pytest.mark.parametrize(("text", "office", "phone"), [
    ("Telefonzeiten: Mo-Fr 9-12 Uhr", None, "Mo-Fr 09:00-12:00"),
    ("Di 10-12 Uhr\nTelefonische Kontaktzeiten: Mo-Do 8-10 Uhr", "Tu 10:00-12:00",
     "Mo-Th 08:00-10:00"),
    ("Unser Büro ist zu diesen Telefonzeiten erreichbar:\nMo 9-11 Uhr\nMi 9-11 Uhr\n\n"
     "Offene Sprechstunde: Do 15-17 Uhr", "Th 15:00-17:00", "Mo,We 09:00-11:00"),
    ("Mo-Fr 9-12 Uhr, Telefon 01234 56789", "Mo-Fr 09:00-12:00", None),
])
def test_phone_hours_kept_apart(text, office, phone):
    """Phone times go to `phone_hours`, never to the office hours (issue 18)."""
    assert (opening_hours(text), phone_hours(text)) == (office, phone)


@pytest.mark.parametrize(("text", "osm", "appointment"), [
    # a season (two months joined) or alternative end times: not confident
    ("Von Mai bis September: Mo-Fr 9-16 Uhr", None, False),
    ("Mo 9-16/18 Uhr\nDi 9-16 Uhr", None, False),
    # a date on its own only says from when: still read
    ("Ab dem 3. März montags 9-12 Uhr", "Mo 09:00-12:00", False),
    # appointment phrases
    ("Fr 14-16 Uhr (bitte vorher anmelden)", "Fr 14:00-16:00", True),
    ("Beratungen werden gesondert vereinbart", None, True),
    ("Mi 14-16 Uhr und auf Wunsch", "We 14:00-16:00", True),
    ("Beratung nach telefonischer Rücksprache", None, True),
    ("Bitte vereinbaren Sie einen Termin.", None, True),
    ("Sa 10-12 Uhr, Voranmeldung erbeten", "Sa 10:00-12:00", True),
    # booking by phone is a phone time, not an office hour
    ("Telefonische Terminanfragen Mo 8-10 Uhr", None, False),
    # an appointment phrase before a new clause does not govern its days
    ("Neben Terminvereinbarungen gibt es offene Sprechzeiten dienstags 9-11 Uhr und "
     "donnerstags 14-16 Uhr.", "Tu 09:00-11:00; Th 14:00-16:00", True),
    # times of a named group, or of several headed sites, are no office hours
    ("Krabbelgruppe im Familienzentrum: Mi 9-11 Uhr", None, False),
    ("Kontaktstelle für Selbsthilfegruppen: Mo-Fr 9-12 Uhr", "Mo-Fr 09:00-12:00", False),
    ("Selbsthilfegruppen-Büro: Di 10-12 Uhr", "Tu 10:00-12:00", False),
    ("Büro Nord\nMo 9-12 Uhr\n\nBüro Süd\nDi 9-12 Uhr", None, False),
    # of several headed sections, the one headed by the office is the office's
    ("Öffnungszeiten Geschäftsstelle:\nMo-Do 9-12 Uhr\n\nÖffnungszeiten Café:\nDi-Fr 14-18 Uhr",
     "Mo-Th 09:00-12:00", False),
])
def test_conventions_of_real_publishers(text, osm, appointment):
    """Rules that hold for how publishers write (issue 18, holdout 1)."""
    assert (opening_hours(text), by_appointment(text)) == (osm, appointment)


@pytest.mark.parametrize(("text", "office", "phone"), [
    # a phone number with "erreichen Sie uns unter" / "unter … erreichbar": phone times
    ("Sie erreichen uns unter 01234-567 89 zu diesen Zeiten:\nMo bis Fr 9 bis 12 Uhr", None,
     "Mo-Fr 09:00-12:00"),
    ("Sie erreichen uns unter der Nummer 01234 56789:\nDi 9-12 Uhr", None, "Tu 09:00-12:00"),
    ("Das Team ist dienstags von 10 bis 12 Uhr unter 01234 - 56789 erreichbar.", None,
     "Tu 10:00-12:00"),
    # "Erreichbarkeit" with phone numbers only
    ("Erreichbarkeit: Mo 9-12 Uhr; Nord: 01234/ 567-89, Süd: 01234/ 567-90", None,
     "Mo 09:00-12:00"),
    # chat times, and a service said to happen by phone
    ("Die Zeiten im Chat sind Mo+Mi 18-20 Uhr.", None, "Mo,We 18:00-20:00"),
    ("Online-Chat: Do 19-21 Uhr", None, "Th 19:00-21:00"),
    ("Unter 0711/123456 sind wir Mo.-Fr. von 9 bis 12 Uhr erreichbar.", None,
     "Mo-Fr 09:00-12:00"),
    ("Die Beratung muss freitags 9-12 Uhr telefonisch oder per Mail erfolgen.", None,
     "Fr 09:00-12:00"),
    # a hotline's name and number as heading, its times after blank lines
    ("Kummertelefon: 0800 111 222\n\nmontags: 14 bis 18 Uhr\n\nfreitags: 10 bis 12 Uhr",
     None, "Mo 14:00-18:00; Fr 10:00-12:00"),
    # a phone hour and an office hour of two services in one sentence
    ("Es gibt mittwochs die telefonische Sprechstunde von 9 bis 11 Uhr sowie die persönliche "
     "Sprechstunde am Freitag von 14 bis 16 Uhr.", "Fr 14:00-16:00", "We 09:00-11:00"),
])
def test_phone_and_chat_times_in_prose(text, office, phone):
    """Phone and chat times written in prose are no office hours (issue 18, holdout 2)."""
    assert (opening_hours(text), phone_hours(text)) == (office, phone)


@pytest.mark.parametrize(("text", "osm", "appointment"), [
    # temporary hours are not the standing ones
    ("In den kommenden Wochen gelten verkürzte Zeiten: Mo 9-11 Uhr", None, False),
    ("Vorübergehend geöffnet: Di 10-12 Uhr", None, False),
    ("Bis auf Weiteres Do 14-16 Uhr", None, False),
    ("Mo-Fr 9-12 Uhr bis zum 30.6.", None, False),
    # an Anmeldung said to be needed, words between
    ("Mi 9-12 Uhr. Eine persönliche Anmeldung vorab ist unbedingt notwendig.",
     "We 09:00-12:00", True),
    ("Di 10-12 Uhr. Um Anmeldung wird gebeten.", "Tu 10:00-12:00", True),
    ("Di 10-12 Uhr, wir bitten um telefonische Anmeldung.", "Tu 10:00-12:00", True),
    # a weekday with a typing slip, a letter o for a zero
    ("Mitwoch 10-12 Uhr", "We 10:00-12:00", False),
    ("Dienstag und Freitga 9:oo-11:oo Uhr", "Tu,Fr 09:00-11:00", False),
])
def test_conventions_of_real_publishers_2(text, osm, appointment):
    """Rules that hold for how publishers write (issue 18, holdout 2)."""
    assert (opening_hours(text), by_appointment(text)) == (osm, appointment)


def test_none_is_declined():
    assert opening_hours(None) is None
    assert by_appointment(None) is False
    assert phone_hours(None) is None


MUTATED = mutations([c["input"] for c in CASES], "0123456789.:-–, ;/+MoDiFrSaUhr", 6)


def _check(text: str | None) -> None:
    value = opening_hours(text)
    assert value is None or isinstance(value, str)
    if value is not None:
        oh.OpeningHours(value)  # every value returned is one the library accepts
    assert isinstance(by_appointment(text), bool)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), st.text()))
def test_fuzz_any_text(text):
    _check(text)


@settings(max_examples=300, deadline=None)
@given(MUTATED)
def test_fuzz_mutated_corpus(text):
    _check(text)


@pytest.mark.parametrize("text", [",   " * 100, "und   " * 66, " ,  ;  " * 57, "mo " * 133,
                                  "jeden 1. und " * 30, "Mo 9-12 Uhr" + " u. " * 97 + "nach",
                                  "\n" * 399 + "x"])
def test_adversarial_input_is_fast(text):
    start = time.perf_counter()
    _check(text)
    assert time.perf_counter() - start < 0.5
