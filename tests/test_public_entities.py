"""Per-kind release files: one row per entity, stable ids, gates inherited from listings."""

import csv
import json
from datetime import timedelta

import frictionless
import pyarrow.parquet as pq
import pytest

from tests.factories import listings, record, source
from warehouse.linkage.entities import link_entities
from warehouse.release.entities import ENTITY_COLUMNS, ENTITY_FILES
from warehouse.release.publish import publish
from warehouse.storage.db import connect
from warehouse.storage.runs import SourceRun, begin_run, commit_source_run, upsert_sources

COLUMNS = [c[0] for c in ENTITY_COLUMNS]
CENTRE = {"name": "Selbsthilfe-Kontaktstelle Herne", "kind": "contact_centre",
          "address_text": "Rathausstraße 6, 44649 Herne",
          "phones_text": ["02323 16-3636"], "emails_text": ["selbsthilfe@herne.de"]}


@pytest.fixture
def con(tmp_path, now):
    con = connect(tmp_path / "atlas.duckdb")
    upsert_sources(con, [source("herne"), source("paritaet"),
                         source("nakos-rot", policy="withhold")])
    yield con
    con.close()


def run(con, run_id, when, loads: dict[str, list]):
    begin_run(con, run_id, "live", when)
    for source_id, records in loads.items():
        commit_source_run(con, run_id, SourceRun(source_id, when, when,
                                                 listings=listings(*records)))
    link_entities(con, run_id, when)


def rows(folder, stem):
    with (folder / f"{stem}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_empty_kinds_have_headers_and_all_formats_validate(con, tmp_path, now):
    run(con, "r1", now, {"herne": [record("g1")]})
    release = publish(con, tmp_path / "public", "r1", now)
    for stem in ENTITY_FILES:
        with (release.path / f"{stem}.csv").open(encoding="utf-8") as fh:
            assert next(csv.reader(fh)) == COLUMNS
        assert pq.read_table(release.path / f"{stem}.parquet").column_names == COLUMNS
        document = json.loads((release.path / f"{stem}.json").read_text("utf-8"))
        assert document["meta"]["table"] == stem
        assert document["meta"]["count"] == len(document[stem])
        excel = (release.path / f"{stem}-excel.csv").read_bytes()
        assert excel.startswith(b"\xef\xbb\xbf" + b";".join(c.encode() for c in COLUMNS[:3]))
    assert len(rows(release.path, "groups")) == 1
    assert rows(release.path, "contact_centres") == []
    package = json.loads((release.path / "datapackage.json").read_text("utf-8"))
    assert [r["name"] for r in package["resources"]] == ["listings", *ENTITY_FILES]
    assert frictionless.validate(str(release.path / "datapackage.json")).valid


def test_one_row_per_linked_entity_with_union_of_contacts(con, tmp_path, now):
    run(con, "r1", now, {
        "herne": [record("kz", **CENTRE)],
        "paritaet": [record("k-7", source_id="paritaet", **(
            CENTRE | {"phones_text": ["02323 16-3636", "02323 16-3600"],
                      "emails_text": [], "address_text": "Rathausstr. 6, Herne"}))],
    })
    release = publish(con, tmp_path / "public", "r1", now)
    centres = rows(release.path, "contact_centres")
    assert len(centres) == 1
    centre = centres[0]
    assert centre["sources"] == "herne | paritaet"
    assert centre["phones"] == "+492323163600 | +492323163636"
    assert centre["emails"] == "selbsthilfe@herne.de"
    # single values all from the best member (the one with the address), never stitched
    assert (centre["street"], centre["postcode"]) == ("Rathausstraße", "44649")
    listing_ids = {r["id"] for r in rows(release.path, "listings")}
    assert set(centre["listing_ids"].split(" | ")) == listing_ids
    entity = con.execute("SELECT entity_id::VARCHAR FROM entities "
                         "WHERE retired_into IS NULL AND kind = 'contact_centre'").fetchall()
    assert [centre["id"]] == [e[0] for e in entity]


def test_ids_survive_reruns_and_a_new_source(con, tmp_path, now):
    run(con, "r1", now, {"herne": [record("kz", **CENTRE), record("g1"), record("g2")]})
    first = publish(con, tmp_path / "public", "r1", now)
    ids = {stem: {r["name"]: r["id"] for r in rows(first.path, stem)} for stem in ENTITY_FILES}
    later = now + timedelta(days=1)
    run(con, "r2", later, {"herne": [record("kz", **CENTRE), record("g1"), record("g2")],
                           "paritaet": [record("k-7", source_id="paritaet", **CENTRE)]})
    second = publish(con, tmp_path / "public", "r2", later)
    again = {stem: {r["name"]: r["id"] for r in rows(second.path, stem)} for stem in ENTITY_FILES}
    assert again == ids
    centre = rows(second.path, "contact_centres")[0]
    assert centre["sources"] == "herne | paritaet"
    changes = json.loads((second.path / "changes.json").read_text("utf-8"))
    changed = changes["entities"]["contact_centres"]["changed"]
    assert [(c["id"], sorted(c["fields"])) for c in changed] == [
        (centre["id"], ["listing_ids", "source_urls", "sources"])]  # same licence
    assert changes["entities"]["groups"] == {"added": [], "changed": [], "removed": [],
                                             "retired_into": {}}


def test_withheld_members_add_nothing_and_alone_do_not_appear(con, tmp_path, now):
    run(con, "r1", now, {
        "herne": [record("kz", **CENTRE)],
        "nakos-rot": [
            record("k@1", source_id="nakos-rot", **(CENTRE | {
                "phones_text": ["02323 16-3636", "02323 99-9999"],
                "description": "Beschreibung aus NAKOS"})),
            record("k@2", source_id="nakos-rot", name="Kontaktstelle Geheimort",
                   kind="contact_centre", address_text="Hauptstraße 1, 10115 Berlin"),
        ],
    })
    release = publish(con, tmp_path / "public", "r1", now)
    centres = rows(release.path, "contact_centres")
    assert [c["name"] for c in centres] == ["Selbsthilfe-Kontaktstelle Herne"]
    text = "".join((release.path / f"{stem}{ext}").read_text("utf-8")
                   for stem in ENTITY_FILES for ext in (".csv", ".json", "-excel.csv"))
    for leak in ("nakos-rot", "+492323999999", "Beschreibung aus NAKOS", "Geheimort"):
        assert leak not in text


def test_merged_entity_is_removed_with_a_redirect(con, tmp_path, now):
    apart = CENTRE | {"name": "Selbsthilfebüro Wanne", "phones_text": [], "emails_text": [],
                      "address_text": "Hauptstraße 1, 44651 Herne"}
    run(con, "r1", now, {"herne": [record("kz", **CENTRE)],
                         "paritaet": [record("k-7", source_id="paritaet", **apart)]})
    first = publish(con, tmp_path / "public", "r1", now)
    before = {r["sources"]: r["id"] for r in rows(first.path, "contact_centres")}
    assert len(before) == 2
    later = now + timedelta(days=1)
    run(con, "r2", later, {"herne": [record("kz", **CENTRE)],
                           "paritaet": [record("k-7", source_id="paritaet", **CENTRE)]})
    second = publish(con, tmp_path / "public", "r2", later)
    [merged] = rows(second.path, "contact_centres")
    assert merged["id"] in before.values()
    [gone] = set(before.values()) - {merged["id"]}
    diff = json.loads((second.path / "changes.json").read_text("utf-8"))
    centres = diff["entities"]["contact_centres"]
    assert centres["removed"] == [gone]
    assert centres["retired_into"] == {gone: merged["id"]}


def test_a_branch_names_its_main_offices_entity_and_lone_members_lists_are_sorted(con,
                                                                                   tmp_path,
                                                                                   now):
    """One-member entities are built row by row, merged ones grouped: both give the same
    columns (here: the parent's entity id, and lists distinct and sorted)."""
    branch = CENTRE | {"name": "Selbsthilfe-Büro Wanne", "address_text": "Hauptstraße 1, "
                       "44651 Herne", "phones_text": ["02325 9-1234"], "emails_text": [],
                       "parent_key": "kz"}
    run(con, "r1", now, {
        "herne": [record("kz", **CENTRE), record("wanne", **branch),
                  record("g1", name="Gruppe Zuversicht",
                         topics=["Sucht", "Angehörige", "Sucht"])],
        "paritaet": [record("k-7", source_id="paritaet", **(
            CENTRE | {"phones_text": ["02323 16-3636", "02323 16-3600"], "emails_text": [],
                    "address_text": "Rathausstr. 6, Herne"}))],
    })
    release = publish(con, tmp_path / "public", "r1", now)
    centres = {r["name"]: r for r in rows(release.path, "contact_centres")}
    assert centres["Selbsthilfe-Büro Wanne"]["parent_id"] == \
        centres["Selbsthilfe-Kontaktstelle Herne"]["id"]
    assert centres["Selbsthilfe-Kontaktstelle Herne"]["sources"] == "herne | paritaet"
    assert centres["Selbsthilfe-Kontaktstelle Herne"]["parent_id"] == ""
    [group] = rows(release.path, "groups")
    assert group["topics"] == "Angehörige | Sucht"
    assert group["parent_id"] == "" and group["sources"] == "herne"
