"""E-mail addresses and web sites: the labelled corpus in cases/emails_urls.toml, the moves
between the two fields (`split_contacts`), and fuzz tests."""

import time
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schema.listing import EmailAddress, Website
from schema.normalise.contacts import split_contacts
from schema.normalise.emails import emails
from schema.normalise.urls import urls
from tests.normalise.corpus import mutations

CASES = tomllib.loads(
    (Path(__file__).parent / "cases" / "emails_urls.toml").read_text("utf-8"))["case"]
VALUE = {"email": "address", "url": "url"}


def expected(case: dict) -> list[dict]:
    key = VALUE[case["field"]]
    return [{key: want.get(key), "valid": want.get(key) is not None,
             **({"original": want["original"]} if "original" in want else {})}
            for want in case["expected"]]


def actual(case: dict, like: list[dict]) -> list[dict]:
    """The result in the expected shape; `original` only where the case names it."""
    key = VALUE[case["field"]]
    if case["field"] == "email":
        result: list = emails(case["input"])
    else:
        result = urls(case["input"], case.get("base"))
    got = [{key: getattr(r, key), "valid": r.valid, "original": r.original} for r in result]
    for g, w in zip(got, like, strict=False):
        if "original" not in w:
            del g["original"]
    return got


def accuracy() -> tuple[int, int]:
    """(cases matching, total), for the team's per-step report."""
    return sum(actual(c, expected(c)) == expected(c) for c in CASES), len(CASES)


def test_corpus_is_big_enough_and_unique():
    keys = [(c["field"], c["input"], c.get("base")) for c in CASES]
    assert len(keys) >= 70
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("case", CASES, ids=[c["input"] for c in CASES])
def test_case(case):
    want = expected(case)
    got = actual(case, want)
    assert len(got) == len(want), f"{got}: {case.get('note', '')}"
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        for name in w:
            assert g[name] == w[name], f"[{i}].{name}: {case.get('note', '')}"


def test_empty_inputs_give_nothing():
    assert emails(None) == [] and emails("  ") == []
    assert urls(None) == [] and urls("\n", "https://www.herne.de/") == []


# ------------------------------------------------------------------------------ split_contacts

BASE = "https://www.selbsthilfe-hamm.de/gruppen/aa/"


def test_each_value_moves_to_its_field_and_the_move_is_flagged():
    mails, sites, flags = split_contacts(
        ["gruppe@selbsthilfe-hamm.de", "www.shg-hamm.de"],
        ["mailto:info@selbsthilfe-hamm.de", "https://www.selbsthilfe-hamm.de/"], BASE)
    assert [e.address for e in mails] == ["gruppe@selbsthilfe-hamm.de",
                                          "info@selbsthilfe-hamm.de"]
    assert [w.url for w in sites] == ["https://www.selbsthilfe-hamm.de/",
                                      "https://www.shg-hamm.de"]
    assert flags == ["email_moved_from_web_field:info@selbsthilfe-hamm.de",
                     "web_moved_from_email_field:https://www.shg-hamm.de"]
    assert all(e.valid for e in mails) and all(w.valid for w in sites)


def test_a_moved_value_leaves_no_invalid_entry_behind():
    mails, sites, _ = split_contacts(["www.shg-hamm.de"], ["Kontakt: info(at)shg-hamm.de"], None)
    assert [e.address for e in mails] == ["info@shg-hamm.de"]
    assert [w.url for w in sites] == ["https://www.shg-hamm.de"]


def test_the_domain_of_an_obfuscated_address_is_no_web_site():
    mails, sites, flags = split_contacts(["info (at) selbsthilfe-herne.de"], [], None)
    assert [e.address for e in mails] == ["info@selbsthilfe-herne.de"]
    assert sites == [] and flags == []


def test_an_address_inside_a_url_stays_in_the_url():
    mails, sites, flags = split_contacts([], ["https://www.shg.de/kontakt?an=info@shg.de"], None)
    assert mails == [] and flags == []
    assert [w.url for w in sites] == ["https://www.shg.de/kontakt?an=info@shg.de"]


def test_a_relative_path_in_an_e_mail_field_is_not_moved():
    mails, sites, flags = split_contacts(["siehe Kontakt/Impressum"], [], BASE)
    assert sites == [] and flags == []
    assert [(e.valid, e.original) for e in mails] == [(False, "siehe Kontakt/Impressum")]


def test_a_moved_duplicate_is_not_listed_twice():
    mails, sites, flags = split_contacts(["a@shg.de", "www.shg.de"],
                                         ["mailto:a@shg.de", "www.shg.de"], None)
    assert [e.address for e in mails] == ["a@shg.de"]
    assert [w.url for w in sites] == ["https://www.shg.de"]
    assert flags == []


def test_nothing_to_move_changes_nothing():
    mails, sites, flags = split_contacts(["bitte erfragen"], ["javascript:void(0)"], BASE)
    assert [(e.valid, e.original) for e in mails] == [(False, "bitte erfragen")]
    assert [(w.valid, w.original) for w in sites] == [(False, "javascript:void(0)")]
    assert flags == []


# ------------------------------------------------------------------------------------- fuzzing


MUTATED = mutations([c["input"] for c in CASES], "@.:/()[]at punkt-_%?#wh", 8)


BASES = st.sampled_from([None, BASE, "file:///tmp/", "not a url", "https://[::1", ""])


def _check(text: str | None, base: str | None) -> None:
    for e in emails(text):
        assert isinstance(e, EmailAddress) and e.original
        assert (e.address is not None) == e.valid
    for w in urls(text, base):
        assert isinstance(w, Website) and w.original
        assert (w.url is not None) == w.valid
        assert w.url is None or w.url.startswith(("http://", "https://"))
    mails, sites, flags = split_contacts([text or ""], [text or ""], base)
    assert all(isinstance(e, EmailAddress) for e in mails)
    assert all(isinstance(w, Website) for w in sites)
    assert all(isinstance(f, str) for f in flags)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), st.text()), BASES)
def test_fuzz_any_text(text, base):
    _check(text, base)


@settings(max_examples=300, deadline=None)
@given(MUTATED, BASES)
def test_fuzz_mutated_corpus(text, base):
    _check(text, base)


@pytest.mark.parametrize("text", ["a" * 20000, "a." * 5000, "a@" * 5000, "a (at) " * 2000,
                                  "(" * 10000, "www." * 5000, "a-" * 10000 + "@x.de",
                                  "x at " * 3000, "a.b" + "(punkt)b" * 2000,
                                  "http://" + "a." * 5000, "a:" * 5000, "x" + "." * 20000,
                                  "x" + ")" * 20000, "b (punkt) " * 2000 + "b"])
def test_adversarial_input_is_fast(text):
    start = time.perf_counter()
    _check(text, BASE)
    assert time.perf_counter() - start < 1.0


# ------------------------------------------ the plain-address shortcut past email_validator

def _validator(candidate: str) -> str | None:
    """What email_validator alone makes of a candidate (the shortcut must agree)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        info = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError:
        return None
    return f"{info.local_part}@{info.domain.lower()}"


@pytest.mark.parametrize("candidate", [
    "info@selbsthilfe-herne.de", "Info.Team@Selbsthilfe-Herne.DE", "a_b+c-d@x.example.org",
    "Postmaster@Example.org", "ABUSE@example.org", "kontakt@host.arpa", "x@mail.local",
    "x@xn--bcher-kva.example", "x@ab--cd.de", "a..b@x.de", ".a@x.de", "a@-x.de", "a@x-.de",
    "a@x.d", "a@x.123", "a@localhost", "a" * 64 + "@x.de", "a" * 65 + "@x.de",
    "a@" + "b" * 63 + ".de", "a@" + "b" * 64 + ".de", "a@" + ("b" * 60 + ".") * 4 + "de",
    "ä@x.de", "a@bücher.de", "a@x.de.", "a@x..de",
])
def test_plain_shortcut_agrees_with_email_validator(candidate):
    from schema.normalise.emails import _plain, _validated

    expected = _validator(candidate)
    assert _validated.__wrapped__(candidate) == expected
    assert _plain(candidate) in (None, expected)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="abcXYZ019._+-@ä", min_size=1, max_size=24)
       .map(lambda s: s if "@" in s else s + "@beispiel.de"))
def test_plain_shortcut_never_disagrees(candidate):
    from schema.normalise.emails import _plain

    assert _plain(candidate) in (None, _validator(candidate))


def test_plain_shortcut_answers_for_plain_addresses():
    from schema.normalise.emails import _plain

    assert _plain("Info.Team@Selbsthilfe-Herne.DE") == "Info.Team@selbsthilfe-herne.de"
    assert _plain("postmaster@example.org") is None  # email_validator lower-cases it: ask it
