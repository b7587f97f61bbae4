"""Structured office and phone hours in a contact-centre file (issue 18): a state network's
JSON, shaped like the real ones (regions as keys, each with its centres; per centre an hours
text and the hours per weekday as lists of "09:00–12:00" or "appointment"; phone hours as a
list of day entries), invented data. One registry entry imports it; the real normaliser and a
real DuckDB warehouse take it from there.
"""

import json
from datetime import UTC, datetime

import pytest

from schema.normalise import to_listings
from schema.registry import Source
from scrapers.importers.files.read import FileMappingError
from scrapers.importers.files.stream import import_file
from warehouse.storage.db import connect
from warehouse.storage.runs import SourceRun, begin_run, commit_source_run, upsert_sources


def week(**days: list[str]) -> dict[str, list[str]]:
    return {d: days.get(d, []) for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def centre(key: str, text: str, structured: object, phone: list | None = None) -> dict:
    return {"id": key, "name": f"Kontaktstelle {key}",
            "address": {"street": "Beispielweg 1", "postalCode": "01067", "city": "Dresden"},
            "openingHours": {"text": text, "comment": "", "structured": structured},
            **({"phoneHours": phone} if phone is not None else {})}


DOCUMENT = {
    "NORD": {"fullName": "Nordkreis", "contactPoints": [
        # the case: days by appointment only, and phone hours of their own
        centre("N-1", "Montag nach Vereinbarung, Dienstag 09:00–12:00 und 14:00–18:00 Uhr, "
                      "Donnerstag 09:00–12:00 und 14:00–16:00 Uhr, Freitag nach Vereinbarung",
               week(mon=["appointment"], tue=["09:00–12:00", "14:00–18:00"],
                    thu=["09:00–12:00", "14:00–16:00"], fri=["appointment"]),
               phone=[{"tag": "Mittwoch", "von": "10:00", "bis": "12:00"},
                      {"tag": "Freitag", "von": "09:00:00", "bis": "11:00:00"}])
        # a branch with its own hours text: the centre's per-day hours are not its own
        | {"aussenstellen": [{"nr": "A", "name": "Außenstelle Hafen",
                              "openingHours": {"text": "Mittwoch 10-12 Uhr"}}]},
        # text and structured hours disagree on Tuesday afternoon
        centre("N-2", "Dienstag 08:00–12:00 und 13:00–15:00 Uhr",
               week(tue=["08:00–12:00", "13:00–18:00"])),
    ]},
    "SUED": {"fullName": "Südkreis", "contactPoints": [
        # no structured hours: the text is the fallback
        centre("S-1", "Montag, Mittwoch und Freitag 09:00–16:00 Uhr", week()),
        # a text we cannot read: the structured hours are used
        centre("S-2", "Di + Do nachmittags, sonst nach Absprache",
               week(tue=["13:00–17:00"], thu=["13:00–17:00"])),
        # phone times inside the hours text stay apart from the office hours
        centre("S-3", "Telefonzeiten: Mo-Fr 9-10 Uhr\nDienstag 10-12 Uhr", week()),
        # a structured value that is no JSON list or object: noted, the text is used
        centre("S-4", "Donnerstag 10-12 Uhr", "siehe Aushang"),
        # structured hours that cannot be read (no such time): the text is used, nothing flagged
        centre("S-5", "Montag 9-12 Uhr", week(mon=["25:00–26:00"])),
        # phone times only: no office hours at all
        centre("S-6", "Telefonische Sprechzeiten: Mo–Fr 9–11 Uhr", week()),
    ]},
}

REGISTRY = {
    "id": "land-kontaktstellen", "name": "Kontaktstellen im Land (Beispiel)",
    "publisher": "Landesnetzwerk (erfunden)", "kind": "file", "path": "land.json",
    "licence": "CC-BY-4.0", "policy": "open",
    "file": {"records": "*.contactPoints", "key": "id", "kind": "contact_centre",
             "columns": {"name": "name", "street": "address.street",
                         "postcode": "address.postalCode", "city": "address.city",
                         "district": "^fullName", "hours_text": "openingHours.text"},
             "hours": {"days": "openingHours.structured", "phone_days": "phoneHours",
                       "fields": {"day": "tag", "from": "von", "to": "bis"}},
             "branches": {"path": "aussenstellen", "key": "nr"}},
}


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("land")
    (folder / "land.json").write_text(json.dumps(DOCUMENT, ensure_ascii=False), "utf-8")
    source = Source.model_validate(REGISTRY)
    result = import_file(source, folder)
    listings, rejected = to_listings(result.records, source.licence)
    assert rejected == [] and result.failures == []
    return source, {r.source_key: r for r in result.records}, \
        {item.source_key: item for item in listings}


def test_appointment_days_are_not_open_and_phone_hours_stay_apart(imported):
    _, _, listings = imported
    item = listings["N-1"]
    assert item.opening_hours.osm == "Tu 09:00-12:00,14:00-18:00; Th 09:00-12:00,14:00-16:00"
    assert item.opening_hours.by_appointment is True
    assert item.opening_hours.original.startswith("Montag nach Vereinbarung")
    assert item.phone_hours.osm == "We 10:00-12:00; Fr 09:00-11:00"
    assert item.phone_hours.original == "Mittwoch 10:00-12:00\nFreitag 09:00-11:00"
    assert not any(f.startswith("hours_disagree") for f in item.flags)


def test_disagreement_keeps_the_structured_hours_and_is_flagged(imported):
    _, _, listings = imported
    item = listings["N-2"]
    assert item.opening_hours.osm == "Tu 08:00-12:00,13:00-18:00"
    assert item.opening_hours.original == "Dienstag 08:00–12:00 und 13:00–15:00 Uhr"
    assert "hours_disagree:Tu" in item.flags


@pytest.mark.parametrize(("key", "osm", "phone"), [
    ("S-1", "Mo,We,Fr 09:00-16:00", None),  # text fallback: no structured hours
    ("S-2", "Tu,Th 13:00-17:00", None),  # structured used where the text fails
    ("S-3", "Tu 10:00-12:00", "Mo-Fr 09:00-10:00"),  # phone lines of the text
    ("S-4", "Th 10:00-12:00", None),
    ("S-5", "Mo 09:00-12:00", None),
    ("N-1-A", "We 10:00-12:00", None),
])

def test_text_and_structured_hours_stand_in_for_each_other(imported, key, osm, phone):
    _, _, listings = imported
    item = listings[key]
    assert item.opening_hours.osm == osm
    assert (item.phone_hours and item.phone_hours.osm) == phone
    assert not any(f.startswith("hours_disagree") for f in item.flags)


def test_phone_lines_are_not_in_the_office_hours_text(imported):
    _, _, listings = imported
    mixed, only = listings["S-3"], listings["S-6"]
    assert mixed.opening_hours.original == "Dienstag 10-12 Uhr"
    assert mixed.phone_hours.original == "Telefonzeiten: Mo-Fr 9-10 Uhr"
    assert only.opening_hours is None
    assert (only.phone_hours.osm, only.phone_hours.original) == (
        "Mo-Fr 09:00-11:00", "Telefonische Sprechzeiten: Mo–Fr 9–11 Uhr")


def test_records_keep_the_entries_raw_and_note_what_was_not_read(imported):
    _, records, _ = imported
    first = records["N-1"].hours_days
    assert [(d.day, d.opens, d.closes, d.note) for d in first[:2]] == [
        ("mon", None, None, "appointment"), ("tue", None, None, "09:00–12:00")]
    assert [(d.day, d.opens, d.closes) for d in records["N-1"].phone_hours_days] == [
        ("Mittwoch", "10:00", "12:00"), ("Freitag", "09:00:00", "11:00:00")]
    assert records["S-4"].hours_days == []
    assert records["S-4"].notes == [
        "file.hours.days: no list or object of days (nor JSON text of one); not read"]


def test_phone_hours_are_stored_in_the_warehouse_apart(imported, tmp_path):
    source, _, listings = imported
    now = datetime(2026, 12, 7, tzinfo=UTC)
    con = connect(tmp_path / "atlas.duckdb")
    try:
        upsert_sources(con, [source])
        begin_run(con, "r1", "live", now)
        commit_source_run(con, "r1", SourceRun(source.id, now, now,
                                               listings=list(listings.values())))
        row = con.execute("""SELECT opening_hours.osm, phone_hours.osm, phone_hours.original
                             FROM listings WHERE source_key = 'N-1'""").fetchone()
        history = con.execute("""SELECT phone_hours.osm FROM listing_history
                                 WHERE source_key = 'N-1'""").fetchone()
    finally:
        con.close()
    assert row == ("Tu 09:00-12:00,14:00-18:00; Th 09:00-12:00,14:00-16:00",
                   "We 10:00-12:00; Fr 09:00-11:00", "Mittwoch 10:00-12:00\nFreitag 09:00-11:00")
    assert history == ("We 10:00-12:00; Fr 09:00-11:00",)


def test_a_warehouse_made_before_phone_hours_gets_the_column(tmp_path):
    path = tmp_path / "old.duckdb"
    con = connect(path)
    con.execute("ALTER TABLE listings DROP COLUMN phone_hours")
    con.execute("ALTER TABLE listing_history DROP COLUMN phone_hours")
    con.close()
    con = connect(path)  # ensure_schema adds it again
    try:
        for table in ("listings", "listing_history"):
            cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
            assert "phone_hours" in cols, table
    finally:
        con.close()


def test_a_mapped_hours_path_no_record_has_is_a_config_error(tmp_path):
    (tmp_path / "land.json").write_text(json.dumps(DOCUMENT), "utf-8")
    registry = json.loads(json.dumps(REGISTRY))
    registry["file"]["hours"]["days"] = "oeffnungszeiten.tage"
    wanted = r"'file\.hours\.days'.*oeffnungszeiten\.tage"
    with pytest.raises(FileMappingError, match=wanted) as exc:
        import_file(Source.model_validate(registry), tmp_path)
    assert exc.value.failure_class == "config_error"
