"""Personal data in free text: the labelled corpus in cases/personal.toml (hits and non-hits),
properties of the redaction under arbitrary text, the e-mail field's staff rule, and the
registry's `staff_contacts` carried from `sources.toml` through a real collection."""

import tomllib
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from flows.collect import RunContext, collect_source
from schema.listing import EmailAddress
from schema.normalise import to_listings
from schema.normalise.personal import mark_private_contacts
from schema.normalise.personal.redaction import findings, redact, withheld
from schema.registry import RegistryError, load_registry
from tests.factories import record

CASES = tomllib.loads((Path(__file__).parent / "cases" / "personal.toml")
                      .read_text("utf-8"))["case"]


def expected(case: dict) -> tuple[str | None, list[str]]:
    text = case.get("expected", case["input"])
    return (text or None), case.get("found", [])


def actual(case: dict) -> tuple[str | None, list[str]]:
    return redact(case["input"], case.get("kind", "group"), case.get("staff", "withhold"))


def accuracy() -> tuple[int, int]:
    """(cases matching, total), for the team's per-step report."""
    return sum(actual(c) == expected(c) for c in CASES), len(CASES)


def test_corpus_is_big_enough_and_unique():
    inputs = [(c["input"], c.get("kind"), c.get("staff")) for c in CASES]
    assert len(inputs) >= 60 and len(set(inputs)) == len(inputs)
    hits = [c for c in CASES if c.get("found")]
    assert len(hits) >= 30 and len(CASES) - len(hits) >= 25  # hits and non-hits alike
    assert {k for c in hits for k in c["found"]} == {
        "salutation", "mobile", "mailbox", "private_address"}


@pytest.mark.parametrize("case", CASES, ids=[c["input"][:60] for c in CASES])
def test_case(case):
    text, found = actual(case)
    want_text, want_found = expected(case)
    assert text == want_text, case.get("note", "")
    assert found == want_found, case.get("note", "")


# --------------------------------------------------------------------- properties

WORDS = st.sampled_from([
    "Treffen", "jeden", "Montag", "bei", "über", "das", "BüZ", "Kontakt:", "oder", "und", ",",
    ".", "(", ")", "19", "Uhr", "Frauen", "Herr", "der", "Lage", "Tel.", "02323", "16-3636",
    "info@herne.de", "Mobil", "\n", "c/o", "Familie", "Gruppe", "Sucht", "Dr.", "Raum", "3",
])
PERSONS = st.sampled_from([
    ("Frau Petra Zyxwend", "Zyxwend"), ("Herrn Dr. Qorbel", "Qorbel"),
    ("Mobil 0171 2345671", "2345671"), ("+49 (0)152 98765431", "98765431"),
    ("petra.zyxwend@gmx.de", "zyxwend@"), ("p.qorbel@shg-mut.example", "qorbel@"),
    ("c/o Familie Vexholm, Quittenstieg 7", "Vexholm"), ("bei Familie Vexholm", "Vexholm"),
])
prose = st.lists(WORDS, max_size=12).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(prose, PERSONS, prose, st.sampled_from(["group", "rare_condition"]))
def test_a_person_inside_any_prose_is_removed(before, person, after, kind):
    text, needle = f"{before} {person[0]} {after}", person[1]
    redacted, found = redact(text, kind)
    assert found
    assert needle not in (redacted or "")


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), prose), st.sampled_from(
    ["group", "contact_centre", "organisation"]), st.sampled_from(["withhold", "publish"]))
@example("Herr Herr Aa ODER Aa", "group", "withhold")  # one cut joined two words into a name
def test_redaction_is_idempotent_and_leaves_nothing_withheld(text, kind, staff):
    redacted, _ = redact(text, kind, staff)
    assert redact(redacted, kind, staff) == (redacted, [])
    assert not [f for f in findings(redacted or "") if withheld(f.holder, kind, staff)]


# ------------------------------------------------------------- the e-mail field

def _marked(addresses: list[str], kind: str, staff: str = "withhold") -> list[bool]:
    mails = [EmailAddress(address=a, original=a, valid=True) for a in addresses]
    _, out = mark_private_contacts([], mails, kind, staff)
    return [e.personal for e in out]


def test_a_named_staff_mailbox_is_withheld_unless_the_source_publishes_it():
    addresses = ["petra.kessler@caritas-herne.de", "info@caritas-herne.de",
                 "selbsthilfe@herne.de", "team@kiss.example"]
    assert _marked(addresses, "contact_centre") == [True, False, False, False]
    assert _marked(addresses, "organisation") == [True, False, False, False]
    assert _marked(addresses, "contact_centre", "publish") == [False, False, False, False]


def test_a_groups_personal_mailboxes_are_withheld():
    assert _marked(["petra.kessler@caritas-herne.de", "kraemer.fsh@example.org",
                    "shg-mut@web.de", "kontakt@shg-mut.example", "selbsthilfe@herne.de"],
                   "group") == [True, True, True, False, False]


def test_the_listings_own_words_make_a_mailbox_the_groups():
    """"aneurysma.herne@" looks like vorname.nachname@, but the group is named after it."""
    (listing,), _ = to_listings([record("1", name="Selbsthilfegruppe Aneurysma",
                                        emails_text=["aneurysma.herne@example.org"])],
                                "CC0-1.0")
    assert not listing.emails[0].personal


def test_to_listings_passes_the_staff_setting():
    centre = record("k1", kind="contact_centre", name="KISS Beispiel",
                    description="Ansprechpartnerin: Frau Kessler, Tel. 02323 16-3636",
                    emails_text=["petra.kessler@kiss-beispiel.example"])
    (held,), _ = to_listings([centre], "CC0-1.0")
    (shown,), _ = to_listings([centre], "CC0-1.0", "publish")
    assert held.description == "Tel. 02323 16-3636"
    assert held.personal_fields == ["emails[0]", "description:salutation"]
    assert shown.description == centre.description and shown.personal_fields == []
    assert held.emails[0].personal and not shown.emails[0].personal


# ----------------------------------------------------- the registry key, end to end

CSV = ("Nr;Einrichtung;Beschreibung;E-Mail\n"
       "1;KISS Beispielstadt;Ansprechpartnerin: Frau Kessler, montags 10-12 Uhr;"
       "petra.kessler@kiss-beispiel.example\n")


def _registry(tmp_path: Path, staff: str | None) -> Path:
    (tmp_path / "kiss.csv").write_text(CSV, "utf-8")
    line = f'staff_contacts = "{staff}"\n' if staff else ""
    (tmp_path / "sources.toml").write_text(f"""
[[source]]
id = "kiss-datei"
name = "KISS Beispielstadt"
publisher = "KISS"
kind = "file"
path = "kiss.csv"
licence = "CC0-1.0"
policy = "open"
{line}
[source.file]
key = "Nr"
kind = "contact_centre"

[source.file.columns]
name = "Einrichtung"
description = "Beschreibung"
emails_text = "E-Mail"
""", "utf-8")
    return tmp_path / "sources.toml"


@pytest.mark.parametrize("staff, description, personal", [
    (None, "montags 10-12 Uhr", True),
    ("withhold", "montags 10-12 Uhr", True),
    ("publish", "Ansprechpartnerin: Frau Kessler, montags 10-12 Uhr", False),
])
def test_staff_contacts_from_the_registry_reach_normalisation(tmp_path, staff, description,
                                                               personal):
    source = load_registry(_registry(tmp_path, staff)).get("kiss-datei")
    assert source.staff_contacts == (staff or "withhold")
    run = collect_source(source, RunContext(run_id="t", data_dir=tmp_path / "d",
                                            base_dir=tmp_path))
    assert run.status == "ok", run.reason
    [centre] = run.listings
    assert centre.description == description
    assert centre.emails[0].personal is personal


def test_a_wrong_staff_contacts_value_names_source_and_key(tmp_path):
    with pytest.raises(RegistryError, match=r"source 'kiss-datei': key 'staff_contacts'"):
        load_registry(_registry(tmp_path, "maybe"))

