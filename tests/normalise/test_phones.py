"""Phone numbers: the labelled corpus in cases/phones.toml, and fuzz tests.

A case's `expected` is the whole list of numbers; see the file's header for the defaults.
"""

import time
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schema.listing import Phone
from schema.normalise.phones import phones
from tests.normalise.corpus import mutations

CASES = tomllib.loads((Path(__file__).parent / "cases" / "phones.toml").read_text("utf-8"))["case"]
FIELDS = ("e164", "type", "extension", "valid", "original")


def expected(case: dict) -> list[dict]:
    return [{"e164": want.get("e164"), "type": want.get("type", "unknown"),
             "extension": want.get("extension"),
             "valid": want.get("valid", want.get("e164") is not None),
             **({"original": want["original"]} if "original" in want else {})}
            for want in case["expected"]]


def actual(text: str, like: list[dict]) -> list[dict]:
    """The result in the expected shape; `original` only where the case names it."""
    got = [{name: getattr(p, name) for name in FIELDS} for p in phones(text)]
    for g, w in zip(got, like, strict=False):
        if "original" not in w:
            del g["original"]
    return got


def accuracy() -> tuple[int, int]:
    """(cases matching, total), for the team's per-step report."""
    hits = sum(actual(c["input"], expected(c)) == expected(c) for c in CASES)
    return hits, len(CASES)


def test_corpus_is_big_enough_and_unique():
    inputs = [c["input"] for c in CASES]
    assert len(inputs) >= 70
    assert len(set(inputs)) == len(inputs)


@pytest.mark.parametrize("case", CASES, ids=[c["input"] for c in CASES])
def test_case(case):
    want = expected(case)
    got = actual(case["input"], want)
    assert len(got) == len(want), f"{[g.get('e164') for g in got]}: {case.get('note', '')}"
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        for name in w:
            assert g[name] == w[name], f"[{i}].{name}: {case.get('note', '')}"


def test_herne_contract_the_pipeline_relies_on():
    assert phones(None) == [] and phones("   ") == []
    (p,) = phones("0 23 23 / 16 - 36 36")
    assert isinstance(p, Phone) and p.valid and not p.personal


MUTATED = mutations([c["input"] for c in CASES], "0123456789 /-–().+,;:Tel.FaxoderApp", 8)


def _check(text: str | None) -> None:
    result = phones(text)
    assert isinstance(result, list)
    for p in result:
        assert isinstance(p, Phone)
        assert p.original and text and (p.original in text or p.original == text.strip())
        assert p.e164 is None or (p.valid and p.e164.startswith("+"))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), st.text()))
def test_fuzz_any_text(text):
    _check(text)


@settings(max_examples=300, deadline=None)
@given(MUTATED)
def test_fuzz_mutated_corpus(text):
    _check(text)


@pytest.mark.parametrize("text", ["(" + "a" * 5000, "0 " * 3000, "0211/" * 2000,
                                  "0211 8992244, " * 300, "Tel. " * 2000, "-1 " * 3000,
                                  "(0)" * 2000, "1.1." * 2000, "Fax " + "oder -1 " * 1000])
def test_adversarial_input_is_fast(text):
    start = time.perf_counter()
    _check(text)
    assert time.perf_counter() - start < 0.5
