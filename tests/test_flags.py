"""Quality flags: one table of codes (schema/normalise/flags.py), published with every listing
in every release format, codes only; withheld values traced in withheld.json; `shg quality`
counting the same flags.

A file source is imported and published by the real pipeline: a centre whose city repeats its
postcode and whose e-mail stands in the web column, one with an invalid phone, one with an
invalid e-mail and web address, one whose web column holds a private mailbox. The details of
their flags (the invalid values, the moved private mailbox) name an invented person; no piece
of her may reach any file of the release (tests/release_scan.py reads every format).
"""

import ast
import csv
import io
import json
import re
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from flows.cli import main
from flows.pipeline import run_all
from schema.normalise import address, to_listings
from schema.normalise.flags import (
    FLAG_CODES,
    FLAGS,
    NOTE_CODES,
    code_of,
    codes,
    flag_of_note,
    settle,
)
from schema.normalise.quality import field_quality
from schema.registry import load_registry
from tests.conftest import ROOT
from tests.factories import record
from tests.release_scan import find

#: The person in the flag details: none of this may be published.
NEEDLES = ["zaunkoenig", "0171 99", "petra.ahornberg"]

CSV_TEXT = (
    "Nr;Einrichtung;Straße;PLZ;Ort;Telefon;E-Mail;Internet;Sprechzeiten\n"
    "F1;Kontaktstelle Nord;Lindenweg 3;44649;44649 Herne;0 23 23 / 16 - 36 36;;"
    "nord@kontakt-herne.de;Mo 10-12 Uhr\n"
    "F2;Kontaktstelle Süd;Eichenweg 5;44623;Herne;Mobil 0171 99 Zaunkoenig;"
    "sued@kontakt-herne.de;https://sued.kontakt-herne.de/;Di 10-12 Uhr\n"
    "F3;Kontaktstelle Ost;Buchenweg 1;44625;Herne;0 23 23 / 16 - 22 22;"
    "petra.zaunkoenig(at)gmx;htp://zaunkoenig-invalid;Mi 10-12 Uhr\n"
    "F4;Kontaktstelle West;Ahornweg 2;44627;Herne;0 23 23 / 16 - 33 33;"
    "west@kontakt-herne.de;petra.ahornberg@gmx.de;Do 10-12 Uhr\n"
)

REGISTRY = """
[[source]]
id = "datei-flaggen"
name = "Kontaktstellen mit Fehlern (erfunden)"
publisher = "Testnetz"
kind = "file"
path = "stellen.csv"
licence = "CC-BY-4.0"
policy = "open"
attribution = "Testnetz"
cadence = "monthly"
min_records = 1

[source.file]
key = "Nr"
kind = "contact_centre"

[source.file.columns]
name = "Einrichtung"
street = "Straße"
postcode = "PLZ"
city = "Ort"
phones_text = "Telefon"
emails_text = "E-Mail"
web_text = "Internet"
hours_text = "Sprechzeiten"
"""

EXPECTED = {
    "F1": {"postcode_in_city_repaired", "email_moved_from_web_field"},
    "F2": {"phone_invalid"},
    "F3": {"email_invalid", "url_invalid"},
    "F4": {"email_moved_from_web_field"},
}


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    base = tmp_path_factory.mktemp("flags")
    (base / "stellen.csv").write_text(CSV_TEXT, "utf-8")
    (base / "sources.toml").write_text(REGISTRY, "utf-8")
    run_all(load_registry(base / "sources.toml"), data_dir=base / "data",
            public_dir=base / "public")
    release = base / "public" / "latest"
    assert (release / "listings.csv").exists()
    return base, release


def _codes(flags: str | list[str] | None) -> set[str]:
    """A JSON release holds the codes as an array, the other formats as ' | '-joined text."""
    return set(flags if isinstance(flags, list) else (flags or "").split(" | ")) - {""}


def _by_key(rows: list[dict]) -> dict[str, set[str]]:
    return {r["source_key"]: _codes(r["flags"]) for r in rows}


def _csv_rows(path: Path, delimiter: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text("utf-8-sig")), delimiter=delimiter))


def _published(release: Path) -> dict[str, dict[str, set[str]]]:
    """format -> source key -> flag codes, each format read in its own way."""
    with duckdb.connect(str(release / "atlas.duckdb"), read_only=True) as con:
        snapshot = [dict(zip(("source_key", "flags"), r, strict=True))
                    for r in con.execute("SELECT source_key, flags FROM listings").fetchall()]
    return {
        "csv": _by_key(_csv_rows(release / "listings.csv", ",")),
        "excel": _by_key(_csv_rows(release / "listings-excel.csv", ";")),
        "parquet": _by_key(pq.read_table(release / "listings.parquet").to_pylist()),
        "json": _by_key(json.loads((release / "listings.json").read_text("utf-8"))["listings"]),
        "snapshot": _by_key(snapshot),
    }


@pytest.mark.parametrize("fmt", ["csv", "excel", "parquet", "json", "snapshot"])
def test_every_format_publishes_the_flag_codes(released, fmt):
    _, release = released
    published = _published(release)[fmt]
    for key, wanted in EXPECTED.items():
        assert wanted <= published[key], (fmt, key, published[key])
        assert all(code in FLAGS for code in published[key]), (fmt, key)
    # the importer's doubt ("city holds a postcode") is settled by the repair
    assert "postcode_in_city" not in published["F1"]
    assert "email_in_web_field" not in published["F1"]


def test_no_flag_detail_reaches_any_file(released):
    """The warehouse holds the details (control); no file of the public folder does."""
    base, _ = released
    with duckdb.connect(str(base / "data" / "atlas.duckdb"), read_only=True) as con:
        stored = str(con.execute("SELECT flags FROM listings").fetchall())
    for needle in NEEDLES:
        assert needle in stored, needle
    leaks = find(base / "public", NEEDLES)
    assert not leaks, f"a flag's detail leaked: {leaks}"


def test_withheld_json_traces_the_dropped_phone(released):
    _, release = released
    rows = {r["source_key"]: r for r in
            json.loads((release / "listings.json").read_text("utf-8"))["listings"]}
    assert rows["F2"]["phones"] == []  # the invalid phone vanished from the release …
    withheld = json.loads((release / "withheld.json").read_text("utf-8"))
    traces = withheld["datei-flaggen"]["values_withheld"]["traces"]
    # … and is traced: listing, field, reason, never the value
    assert {"id": rows["F2"]["id"], "field": "phones", "reason": "phone_invalid",
            "values": 1} in traces
    assert {(t["id"], t["reason"]) for t in traces} == {
        (rows["F2"]["id"], "phone_invalid"), (rows["F3"]["id"], "email_invalid"),
        (rows["F3"]["id"], "url_invalid")}
    assert withheld["datei-flaggen"]["values_withheld"]["count"] == 3


def test_the_column_is_described_with_every_code(released):
    _, release = released
    package = json.loads((release / "datapackage.json").read_text("utf-8"))
    [listings] = [r for r in package["resources"] if r["name"] == "listings"]
    [field] = [f for f in listings["schema"]["fields"] if f["name"] == "flags"]
    with duckdb.connect(str(release / "atlas.duckdb"), read_only=True) as con:
        [(comment,)] = con.execute("SELECT comment FROM duckdb_columns() WHERE "
                                   "table_name = 'listings' AND column_name = 'flags'").fetchall()
    for code in FLAGS:
        assert re.search(rf"\b{code}\b", field["description"]), code
        assert re.search(rf"\b{code}\b", comment), code
    assert "`flags`" in (release / "README.md").read_text("utf-8")


def _quality_output(base: Path, capsys) -> tuple[list[list[str]], list[list[str]]]:
    assert main(["--data", str(base / "data"), "quality"]) == 0
    fields_part, flags_part = capsys.readouterr().out.split("\n\n")
    return ([line.split() for line in fields_part.splitlines()[1:]],
            [line.split() for line in flags_part.splitlines()[1:]])


def test_shg_quality_counts_the_published_flags(released, capsys):
    base, release = released
    rows = _csv_rows(release / "listings.csv", ",")
    published = [_codes(r["flags"]) for r in rows]
    fields, flags = _quality_output(base, capsys)
    counted = {code: int(n) for source, code, kind, n in flags if source == "datei-flaggen"}
    assert counted == {code: sum(code in p for p in published)
                       for code in set().union(*published)}
    assert counted["phone_invalid"] == 1 and counted["email_moved_from_web_field"] == 2
    for source, field, records, _, _, invalid, repaired, *_ in fields:
        assert source == "datei-flaggen" and int(records) == len(rows)
        of_field = [{FLAGS[c].kind for c in p if FLAGS[c].field == field} for p in published]
        assert int(invalid) == sum(bool(k & {"doubtful", "withheld"}) for k in of_field), field
        assert int(repaired) == sum("repaired" in k for k in of_field), field
    by_field = {f[1]: f for f in fields}
    assert by_field["address"][6] == "1"  # the postcode taken out of the city: a repair
    assert by_field["emails"][6] == "2" and by_field["phones"][5] == "1"


# -- the table covers what the normalisers and scrapers write ------------------------------

def test_the_table_is_consistent():
    assert len(FLAGS) == len(FLAG_CODES)
    for f in FLAG_CODES:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", f.code) and f.description
        assert f.kind in ("repaired", "doubtful", "withheld")
        assert f.supersedes is None or f.supersedes in FLAGS
    assert {code for _, code in NOTE_CODES} <= set(FLAGS)


def _literal_notes(path: Path) -> list[str]:
    """Every note a module writes, its formatted parts replaced by "X": the strings passed to
    `notes.append(…)`, put in a `notes=[…]` or `notes = … [...]` list, assigned to `note`, or
    returned in a list beside a text (the file importer's hours)."""
    tree = ast.parse(path.read_text("utf-8"))

    def text(node: ast.AST) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):
            return "".join(v.value if isinstance(v, ast.Constant) else "X" for v in node.values)
        return None

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "append" and "notes" in ast.unparse(node.func.value):
            found += [t for t in map(text, node.args) if t]
        if isinstance(node, ast.keyword) and node.arg == "notes" \
                and isinstance(node.value, ast.List):
            found += [t for t in map(text, node.value.elts) if t]
        if isinstance(node, ast.Assign) and "notes" in ast.unparse(node.targets[0]):
            found += [t for sub in ast.walk(node.value) if isinstance(sub, ast.List)
                      for t in map(text, sub.elts) if t]
        if isinstance(node, ast.NamedExpr) and node.target.id == "note":
            found += [t for t in [text(node.value)] if t]
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple):
            for part in node.value.elts:
                items = part.elts if isinstance(part, ast.List) else \
                    [part.body, part.orelse] if isinstance(part, ast.IfExp) else []
                for item in items:
                    found += [t for t in map(text, getattr(item, "elts", [item])) if t]
    return found


@pytest.mark.parametrize("module", [
    "schema/normalise/address/__init__.py", "schema/normalise/address/street.py",
    "schema/normalise/address/town.py", "scrapers/importers/files/mapping.py",
    "scrapers/importers/files/stream.py",
    "scrapers/bases/topiclist.py"])
def test_every_note_written_in_the_code_has_a_code(module):
    notes = _literal_notes(ROOT / module)
    assert notes, module  # the scan finds what it claims to find
    unknown = [n for n in notes if code_of(flag_of_note(n)) == "note_unclassified"
               and not n.startswith("X holds X")]  # MISPLACED's template: the test below
    assert not unknown, unknown


def test_notes_of_the_other_modules_have_a_code():
    from schema.normalise.address.words import NOT_A_PLACE
    from scrapers.importers.files.mapping import MISPLACED
    samples = [note for _, note in NOT_A_PLACE]
    samples += [note.replace("not an address", "doubt") for _, note in NOT_A_PLACE]
    samples += [f"{name} holds {what} (column 'X'); kept where it was"
                for name, (_, what) in MISPLACED.items()]
    samples += ["hours_disagree:Mi 14:00-18:00 only in hours_text"]  # a flag already
    for note in samples:
        assert code_of(flag_of_note(note)) not in ("note_unclassified",), note


def _corpus_addresses() -> list[str]:
    import tomllib
    out = []
    for path in [*(ROOT / "tests" / "normalise" / "cases").glob("*.toml"),
                 *(ROOT / "tests" / "real").glob("*.toml")]:
        for case in tomllib.loads(path.read_text("utf-8")).get("case", []):
            if isinstance(case.get("input"), str) and "address" in path.stem:
                out.append(case["input"])
    return out


def test_every_flag_the_normalisers_produce_is_known():
    """Every address of the corpora and a record with every kind of trouble: no flag
    outside the table, none unclassified."""
    texts = _corpus_addresses()
    assert len(texts) > 100
    produced = {flag_of_note(n) for t in texts if (a := address(t)) for n in a.notes}
    items, rejected = to_listings([
        record("x", phones_text=["Tel. 12"], emails_text=["a(at)b", "www.shg.de"],
               web_text=["htp://x", "info@shg.de"], topics=["Quatschthema"],
               hours_text="Mo vormittags", meeting_text="ab und zu",
               address_text="Rathausstr.6, 44649 44649 Herne", flags_text=["Geheim"],
               notes=["meeting_text differs on https://a.example/2",
                      "contact data identical to row 3 (phone)"])], "CC-BY-4.0")
    assert not rejected
    produced |= set(items[0].flags)
    assert all(code_of(f) in FLAGS for f in produced)
    assert not [f for f in produced if code_of(f) == "note_unclassified"]
    assert {code_of(f) for f in items[0].flags} >= {
        "phone_invalid", "email_invalid", "url_invalid", "email_moved_from_web_field",
        "web_moved_from_email_field", "topic_unknown", "hours_not_understood",
        "meeting_not_understood", "postcode_in_city_repaired", "house_number_space_repaired",
        "org_flag_unknown", "differs_on_other_page", "contact_copied"}


def test_settle_and_codes():
    flags = ["postcode_in_city:(column 'Ort')", "phone_invalid:0171 99", "phone_invalid:112",
             "postcode_in_city_repaired", "postcode_in_city_repaired"]
    assert settle(flags) == ["phone_invalid:0171 99", "phone_invalid:112",
                             "postcode_in_city_repaired"]
    assert codes([*flags, "no such code:x"]) == ["phone_invalid", "postcode_in_city",
                                                 "postcode_in_city_repaired"]
    assert code_of(flag_of_note("free words nobody mapped")) == "note_unclassified"


def test_quality_counters_come_from_the_flags():
    items, _ = to_listings([record("a", phones_text=["Tel. 12", "112"]),
                            record("b", address_text="Rathausstr.6, 44649 Herne")],
                           "CC-BY-4.0")
    q = {f.field: f for f in field_quality(items)}
    assert (q["phones"].invalid, q["address"].repaired) == (1, 1)
    assert q["record"].present == 2
