"""The HSDS 3.0 export conforms to the official schemas (tests/hsds-3.0, CC BY-SA 4.0, see its
README) and carries only public values."""

import json
import os
import types
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import frictionless
import jsonschema
import pytest

from flows.pipeline import run_all
from schema.registry import load_registry
from tests.conftest import ROOT
from warehouse.release.hsds import write_hsds

#: The official schemas the tests use, with their licence beside them (SHG_HSDS_SCHEMAS
#: overrides the place). Missing schemas fail.
HSDS = Path(os.environ.get("SHG_HSDS_SCHEMAS", ROOT / "tests" / "hsds-3.0"))


@pytest.fixture(autouse=True, scope="module")
def _official_schemas_present():
    assert (HSDS / "datapackage.json").is_file(), f"HSDS 3.0 schemas not found at {HSDS}"


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hsds")
    run_all(load_registry(ROOT / "sources.toml"), source_ids=["herne", "nakos-rot"],
            replay=ROOT / "snapshots", data_dir=tmp / "data", public_dir=tmp / "public")
    ctx = types.SimpleNamespace(run_id="test-run", generated=datetime(2026, 1, 2, tzinfo=UTC),
                                previous=None, base_url="https://example.org/",
                                public=tmp / "public")
    with duckdb.connect(str(tmp / "data" / "atlas.duckdb"), read_only=True) as con:
        paths = write_hsds(con, tmp / "release", ctx)
        private = con.execute("""
            SELECT list_distinct(flatten(list(
                [l.contact_person]
                || list_transform(list_filter(l.phones, lambda p: p.personal), lambda p: p.e164)
                || list_transform(list_filter(l.emails, lambda e: e.personal),
                                  lambda e: e.address))))
            FROM listings l""").fetchone()[0]
        withheld = con.execute("SELECT name, id::VARCHAR FROM listings "
                               "WHERE source_id = 'nakos-rot'").fetchall()
    return tmp / "release" / "hsds", paths, [p for p in private if p], withheld


def test_services_json_validates_against_official_schema(export):
    folder, paths, _, _ = export
    assert folder / "services.json" in paths
    schema = json.loads((HSDS / "schema" / "compiled" / "service_with_definitions.json")
                        .read_text("utf-8"))
    validator = jsonschema.Draft202012Validator(schema,
                                                format_checker=jsonschema.FormatChecker())
    services = json.loads((folder / "services.json").read_text("utf-8"))
    assert len(services) == 13
    for service in services:
        errors = [e.message for e in validator.iter_errors(service)]
        assert errors == [], (service["name"], errors)


def test_package_and_each_csv_validate_against_official_resources(export):
    folder, _, _, _ = export
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["type", "message"])[:5]
    official = {r["name"]: r for r in
                json.loads((HSDS / "datapackage.json").read_text("utf-8"))["resources"]}
    ours = json.loads((folder / "datapackage.json").read_text("utf-8"))
    assert {"organization", "service", "location", "address", "phone", "schedule",
            "taxonomy_term", "attribute"} <= {r["name"] for r in ours["resources"]}
    for resource in ours["resources"]:
        expected = official[resource["name"]]
        assert resource["path"] == expected["path"]
        assert ([(f["name"], f["type"]) for f in resource["schema"]["fields"]]
                == [(f["name"], f["type"]) for f in expected["schema"]["fields"]])
        schema = {k: v for k, v in expected["schema"].items() if k != "foreignKeys"}
        checked = frictionless.Resource(path=expected["path"], basepath=str(folder),
                                        schema=frictionless.Schema.from_descriptor(schema))
        result = checked.validate()
        assert result.valid, (resource["name"], result.flatten(["type", "message"])[:5])


def test_field_mapping_of_known_records(export):
    folder, _, _, _ = export
    services = {s["name"]: s for s in json.loads((folder / "services.json").read_text("utf-8"))}
    buez = services["buez – Selbsthilfe-Netzwerk"]
    assert buez["status"] == "active"
    assert buez["organization"]["name"] == "buez – Selbsthilfe-Netzwerk"  # itself
    [address] = buez["service_at_locations"][0]["location"]["addresses"]
    assert address | {"id": None, "location_id": None} == {
        "id": None, "location_id": None, "address_1": "Rathausstraße 6", "city": "Herne",
        "state_province": "Nordrhein-Westfalen", "postal_code": "44649", "country": "DE",
        "address_type": "physical"}
    assert [(p["number"], p["type"]) for p in buez["phones"]] == [("+492323163636", "voice")]

    depression = services["Gesprächskreis Depression"]
    [schedule] = depression["schedules"]
    assert schedule["description"] == "14-tägig dienstags 19-21 Uhr"
    assert (schedule["freq"], schedule["interval"], schedule["byday"]) == ("WEEKLY", 2, "TU")
    assert (schedule["opens_at"], schedule["closes_at"], schedule["timezone"]) == (
        "19:00:00", "21:00:00", 1)
    terms = {a["taxonomy_term"]["code"]: a["taxonomy_term"] for a in depression["attributes"]}
    assert set(terms) == {"bereich.psychosozial", "bereich.sucht"}
    assert {t["taxonomy"] for t in terms.values()} == {"selbsthilfe-atlas"}

    ilco = services["Künstlicher Darm- oder Harnausgang (ILCO)"]
    assert ilco["organization"]["name"] == "Deutsche ILCO e.V."
    assert ilco["schedules"][0]["description"] == "Termine und Treffpunkte im BüZ erfragen"
    assert "freq" not in ilco["schedules"][0]


def test_ids_are_stable_across_exports(export, tmp_path):
    folder, _, _, _ = export
    first = json.loads((folder / "services.json").read_text("utf-8"))
    db = folder.parents[1] / "data" / "atlas.duckdb"
    ctx = types.SimpleNamespace(run_id="later", generated=datetime(2026, 1, 3, tzinfo=UTC),
                                previous=None, base_url="https://example.org/", public=tmp_path)
    with duckdb.connect(str(db), read_only=True) as con:
        write_hsds(con, tmp_path, ctx)
    second = json.loads((tmp_path / "hsds" / "services.json").read_text("utf-8"))
    assert second == first
    orgs = {s["organization"]["id"] for s in first}
    assert len(orgs) == len(first)  # herne: no carrier shared, each group its own organisation


def test_no_withheld_source_and_no_private_value_in_any_file(export):
    _, paths, private, withheld = export
    assert private and withheld  # the fixture data has both, or this test proves nothing
    text = "\n".join(p.read_text("utf-8") for p in paths)
    assert "nakos-rot" not in text
    for name, listing_id in withheld:
        assert listing_id not in text and json.dumps(name, ensure_ascii=False)[1:-1] not in text
    for value in private:
        assert value not in text
