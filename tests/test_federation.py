"""Federation: a second instance imports the first one's release over HTTP on 127.0.0.1, and
an HSDS 3.0 publisher's service list, keeping upstream ids and provenance."""

import csv
import json
import shutil

import pytest

from flows.fixture_site import serve_directory
from flows.pipeline import run_all
from schema.registry import load_registry
from tests.conftest import ROOT

REGION = "https://atlas-ruhr.example.org"
HSDS = "https://hsds.example.org"
FEDERATED = f"""
[[source]]
id = "region-ruhr"
name = "selbsthilfe-atlas Ruhr (regional instance)"
publisher = "Regionale Instanz Ruhr"
kind = "release"
start_urls = ["{REGION}/latest.json"]
licence = "CC-BY-4.0"
policy = "open"

[[source]]
id = "hsds-beispiel"
name = "An HSDS 3.0 publisher"
publisher = "Beispiel e.V."
kind = "release"
start_urls = ["{HSDS}/services/"]
licence = "CC-BY-4.0"
policy = "open"

[source.release]
format = "hsds"
kind = "organisation"
"""


def rows(public):
    with (public / "latest" / "listings.csv").open(encoding="utf-8", newline="") as fh:
        return {r["id"]: r for r in csv.DictReader(fh)}


def hsds_site(folder):
    """An HSDS API service list page, as `GET /services/` answers."""
    service = {
        "id": "7f1c1b0e-2c7a-4c55-9d7e-0a8a3d9f4a11", "name": "Kreuzbund Beratung",
        "status": "active", "description": "Beratung für Suchtkranke und Angehörige.",
        "email": "info@kreuzbund-beispiel.example.org", "url": "https://kreuzbund.example.org",
        "organization": {"id": "org-1", "name": "Kreuzbund e.V.", "description": "Verband"},
        "phones": [{"id": "ph-1", "number": "0211 8992244"}],
        "service_at_locations": [{"id": "sal-1", "location": {
            "id": "loc-1", "location_type": "physical", "addresses": [{
                "id": "ad-1", "address_1": "Erkrather Straße 385", "city": "Düsseldorf",
                "state_province": "NW", "postal_code": "40231", "country": "DE",
                "address_type": "physical"}]}}],
        "schedules": [{"id": "s-1", "description": "jeden 1. Montag im Monat, 19 Uhr"}],
    }
    second = {"id": "svc-2", "name": "Online-Forum Angehörige", "status": "active"}
    (folder / "services").mkdir(parents=True)
    (folder / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (folder / "services" / "index.html").write_text(json.dumps({
        "total_items": 2, "total_pages": 1, "page_number": 1, "size": 2,
        "first_page": True, "last_page": True, "empty": False,
        "contents": [service, second]}), "utf-8")


@pytest.fixture(scope="module")
def two_instances(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("federation")
    a_public, b_public = tmp / "a" / "public", tmp / "b" / "public"
    first = run_all(load_registry(ROOT / "sources.toml"), source_ids=["herne"],
                    replay=ROOT / "snapshots", data_dir=tmp / "a" / "data",
                    public_dir=a_public)
    assert first["status"] == "ok"
    registry = tmp / "b" / "sources.toml"
    registry.parent.mkdir(parents=True)
    registry.write_text(FEDERATED, "utf-8")
    hsds_site(tmp / "hsds")
    with serve_directory(a_public) as (a_base, seen), \
            serve_directory(tmp / "hsds") as (h_base, _):
        second = run_all(load_registry(registry), data_dir=tmp / "b" / "data",
                         public_dir=b_public, rate_override=100,
                         rewrite={REGION: a_base, HSDS: h_base})
    return {"a": a_public, "b": b_public, "second": second, "seen": seen}


def test_second_instance_holds_the_first_ones_records_with_their_ids(two_instances):
    assert two_instances["second"]["sources"]["region-ruhr"]["status"] == "ok"
    upstream, federated = rows(two_instances["a"]), rows(two_instances["b"])
    mine = {i: r for i, r in federated.items() if r["source_id"] == "region-ruhr"}
    assert set(mine) == set(upstream)  # same ids
    for listing_id, row in mine.items():
        original = upstream[listing_id]
        assert row["upstream_id"] == listing_id
        assert row["upstream_release"] == f"{REGION}/latest.json"
        assert (row["name"], row["postcode"], row["phones"], row["meeting_text"]) == (
            original["name"], original["postcode"], original["phones"],
            original["meeting_text"])
        assert row["licence"] == original["licence"]
    assert "/robots.txt" in two_instances["seen"]


def test_upstream_provenance_is_kept_in_the_warehouse(two_instances):
    import duckdb

    db = two_instances["b"].parent / "data" / "atlas.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        got = con.execute("""SELECT provenance.upstream.source_id,
                                    provenance.upstream.source_url
                             FROM listings WHERE source_id = 'region-ruhr'""").fetchall()
    assert got and all(sid == "herne" and url.startswith("https://www.herne.de/")
                       for sid, url in got)


def test_hsds_publisher_is_imported(two_instances):
    assert two_instances["second"]["sources"]["hsds-beispiel"]["status"] == "ok"
    federated = rows(two_instances["b"])
    svc = federated["7f1c1b0e-2c7a-4c55-9d7e-0a8a3d9f4a11"]
    assert (svc["kind"], svc["name"], svc["carrier"]) == (
        "organisation", "Kreuzbund Beratung", "Kreuzbund e.V.")
    assert (svc["street"], svc["house_number"], svc["postcode"], svc["city"]) == (
        "Erkrather Straße", "385", "40231", "Düsseldorf")
    assert svc["phones"] == "+492118992244"
    assert svc["meeting_text"] == "jeden 1. Montag im Monat, 19 Uhr"
    other = [r for r in federated.values() if r["upstream_id"] == "svc-2"]
    assert len(other) == 1 and other[0]["name"] == "Online-Forum Angehörige"


def test_federated_release_validates(two_instances):
    import frictionless

    assert frictionless.validate(str(two_instances["b"] / "latest" / "datapackage.json")).valid
    shutil.rmtree(two_instances["a"].parent)  # the first instance can go away entirely
    assert rows(two_instances["b"])
