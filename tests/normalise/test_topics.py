"""Topics: the labelled corpus in cases/topics.toml, the taxonomy's consistency, and fuzzing.

A case's `expected` table holds `codes` (in order), `unknown` (a Topic(code=None) is kept;
default false), `audience` (default None) and, optionally, `areas` (one per code).
"""

import tomllib
from pathlib import Path
from typing import get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schema.listing import Area, Topic
from schema.normalise.text import one_line
from schema.normalise.topics import topic, topics, unknown_topics
from schema.normalise.topics.concepts import TaxonomyError, load_taxonomy, taxonomy
from schema.normalise.topics.words import key
from tests.normalise.corpus import mutations

CASES = tomllib.loads((Path(__file__).parent / "cases" / "topics.toml").read_text("utf-8"))["case"]
TAXONOMY_FILE = Path(__file__).parents[2] / "schema" / "normalise" / "taxonomy.toml"


def expected(case: dict) -> dict:
    want = case["expected"]
    got = {"codes": want["codes"], "unknown": want.get("unknown", False),
           "audience": want.get("audience")}
    if "areas" in want:
        got["areas"] = want["areas"]
    return got


def actual(case: dict) -> dict:
    found = topic(case["input"])
    got = {"codes": [t.code for t in found if t.code],
           "unknown": any(t.code is None for t in found),
           "audience": found[0].audience if found else None}
    if "areas" in case["expected"]:
        got["areas"] = [t.area for t in found if t.code]
    return got


def accuracy() -> tuple[int, int]:
    """(cases matching, total), for the team's per-step report."""
    return sum(actual(c) == expected(c) for c in CASES), len(CASES)


# --- the corpus ----------------------------------------------------------------------------

def test_corpus_is_big_enough_and_unique():
    inputs = [c["input"] for c in CASES]
    assert len(inputs) >= 70
    assert len(set(inputs)) == len(inputs)


@pytest.mark.parametrize("case", CASES, ids=[c["input"] for c in CASES])
def test_case(case):
    got, want = actual(case), expected(case)
    for name in want:
        assert got[name] == want[name], f"{name}: {case.get('note', '')}"


@pytest.mark.parametrize("case", CASES, ids=[c["input"] for c in CASES])
def test_every_topic_keeps_the_label_and_the_taxonomy_terms(case):
    tax = taxonomy()
    found = topic(case["input"])
    assert len({t.audience for t in found}) <= 1
    for t in found:
        assert t.label == one_line(case["input"])
        if t.code is None:
            assert t.preferred is None and t.area is None
        else:
            assert (t.preferred, t.area) == (tax.concepts[t.code].preferred,
                                             tax.concepts[t.code].area)


def test_a_record_keeps_every_label_and_lists_the_unknown_ones():
    labels = ["Demenz", "Angehörige", "Fatigue", None, "", "Demenz", "Diabetes und Bewegung"]
    found = topics(labels)
    assert [(t.code, t.label) for t in found] == [
        ("chronisch.demenz", "Demenz"), ("familie.angehoerige", "Angehörige"),
        (None, "Fatigue"), ("chronisch.diabetes", "Diabetes und Bewegung"),
        (None, "Diabetes und Bewegung")]
    assert unknown_topics(labels) == ["Fatigue", "Diabetes und Bewegung"]
    assert topics(None) == [] and unknown_topics(None) == []
    assert [t.code for t in topics("Sucht")] == ["sucht.allgemein"]  # one label, not letters


# --- the taxonomy --------------------------------------------------------------------------

def test_taxonomy_file_is_consistent():
    """Loading validates it (unique codes, known areas, each name and ending variant for one
    code); every name of a concept then leads back to that concept."""
    data = tomllib.loads(TAXONOMY_FILE.read_text("utf-8"))
    tax = load_taxonomy(TAXONOMY_FILE.read_text("utf-8"))
    assert len(tax.concepts) == len(data["concept"])
    for entry in data["concept"]:
        for name in [entry["preferred"], *entry["synonyms"]]:
            assert tax.find(key(name)) == entry["code"], name
    for entry in data["compound"]:
        for label in entry["labels"]:
            assert [t.code for t in topic(label)] == entry["codes"], label


def test_taxonomy_is_broad():
    tax = taxonomy()
    names = sum(1 + len(e["synonyms"])
                for e in tomllib.loads(TAXONOMY_FILE.read_text("utf-8"))["concept"])
    assert names >= 250
    assert {c.area for c in tax.concepts.values()} == set(get_args(Area))
    assert sum(c.area == "rare_condition" for c in tax.concepts.values()) >= 24
    assert taxonomy() is tax  # read once


CONCEPT = ('[[concept]]\ncode = "{code}"\npreferred = "{name}"\narea = "{area}"\n'
           "synonyms = [{syn}]\n")


def concept(code: str, name: str, area: str = "other", syn: str = "") -> str:
    return CONCEPT.format(code=code, name=name, area=area, syn=syn)


@pytest.mark.parametrize("text, message", [
    (concept("a.x", "Eins") + concept("a.x", "Zwei"), "code twice"),
    (concept("a.x", "Eins", "health"), "unknown area"),
    (concept("A X", "Eins"), "bad code"),
    (concept("a.x", "Eins", syn='"Zwei"') + concept("a.y", "zwei"), "share the key"),
    (concept("a.x", "Allergie") + concept("a.y", "Allergien"), "share the key"),
    (concept("a.x", "Eins", syn='"--"'), "without letters"),
    (concept("a.x", "Eins") + '[[compound]]\nlabels = ["A/B"]\ncodes = ["a.x", "a.z"]\n',
     "known codes"),
    (concept("a.x", "Eins") + concept("a.y", "Zwei")
     + '[[compound]]\nlabels = ["Eins"]\ncodes = ["a.x", "a.y"]\n', "already taken"),
    ("[[concept]]\ncode = 1\n", "a concept has"),
    ("[thema]\n", "unexpected"),
    ("[[concept]\n", "not TOML"),
])
def test_inconsistent_taxonomy_is_refused(text, message):
    with pytest.raises(TaxonomyError, match=message):
        load_taxonomy(text)


# --- fuzzing -------------------------------------------------------------------------------

MUTATED = mutations([c["input"] for c in CASES], "/,;()-– *:und oder Innen", 6)


def _check(labels: list[str | None]) -> None:
    found = topics(labels)
    assert isinstance(found, list) and all(isinstance(t, Topic) for t in found)
    assert all(t.label for t in found)
    unknown = unknown_topics(labels)
    assert isinstance(unknown, list) and all(isinstance(u, str) for u in unknown)
    for label in labels:
        assert isinstance(topic(label), list)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), st.text()))
def test_fuzz_any_text(text):
    _check([text])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(), MUTATED), max_size=5))
def test_fuzz_label_lists(labels):
    _check(labels)


@settings(max_examples=300, deadline=None)
@given(MUTATED)
def test_fuzz_mutated_corpus(text):
    _check([text])
