"""Federation: a second instance imports the first one's release over HTTP on 127.0.0.1, and
an HSDS 3.0 publisher's service list, keeping upstream ids as provenance; a release can never
touch another source's listings."""

import csv
import json
import shutil

import pytest

from flows.pipeline import run_all
from schema.registry import load_registry
from tests.conftest import FIXTURES, ROOT
from tools.site_server import serve_directory

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
    """Every upstream record, under an id of the importing source's own (a listing belongs
    to its source), the upstream id kept as provenance."""
    from schema.ids import listing_id

    assert two_instances["second"]["sources"]["region-ruhr"]["status"] == "ok"
    upstream, federated = rows(two_instances["a"]), rows(two_instances["b"])
    mine = {r["upstream_id"]: r for r in federated.values() if r["source_id"] == "region-ruhr"}
    assert set(mine) == set(upstream)  # every upstream id, once
    for upstream_id, row in mine.items():
        original = upstream[upstream_id]
        assert row["id"] == str(listing_id("region-ruhr", upstream_id)) != upstream_id
        assert row["source_key"] == upstream_id
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
    by_upstream = {r["upstream_id"]: r for r in federated.values()}
    svc = by_upstream["7f1c1b0e-2c7a-4c55-9d7e-0a8a3d9f4a11"]
    assert (svc["kind"], svc["name"], svc["carrier"]) == (
        "organisation", "Kreuzbund Beratung", "Kreuzbund e.V.")
    assert (svc["street"], svc["house_number"], svc["postcode"], svc["city"]) == (
        "Erkrather Straße", "385", "40231", "Düsseldorf")
    assert svc["phones"] == "+492118992244"
    assert svc["meeting_text"] == "jeden 1. Montag im Monat, 19 Uhr"
    other = [r for r in federated.values() if r["upstream_id"] == "svc-2"]
    assert len(other) == 1 and other[0]["name"] == "Online-Forum Angehörige"


def test_a_federated_copy_links_with_its_original_and_keeps_the_entity_id(two_instances,
                                                                          tmp_path):
    """A warehouse collecting Herne itself, then importing the first instance's release of
    Herne: each federated copy (its own id) joins its original's entity, whose id stays."""
    import duckdb

    registry = tmp_path / "sources.toml"
    registry.write_text(FEDERATED.split("\n\n[[source]]")[0], "utf-8")  # region-ruhr only
    kw = {"data_dir": tmp_path / "data", "public_dir": tmp_path / "public"}
    run_all(load_registry(ROOT / "sources.toml"), source_ids=["herne"],
            replay=ROOT / "snapshots", **kw)
    db = str(tmp_path / "data" / "atlas.duckdb")
    query = """SELECT l.source_key, m.entity_id FROM entity_members m
               JOIN listings l ON l.id = m.listing_id WHERE l.source_id = ?"""
    with duckdb.connect(db, read_only=True) as con:
        before = dict(con.execute(query, ["herne"]).fetchall())
        keys = dict(con.execute("SELECT id::VARCHAR, source_key FROM listings").fetchall())
    with serve_directory(two_instances["a"]) as (a_base, _):
        report = run_all(load_registry(registry), rewrite={REGION: a_base}, rate_override=100,
                         **kw)
    assert report["sources"]["region-ruhr"]["status"] == "ok" and not report["link_error"]
    with duckdb.connect(db, read_only=True) as con:
        after = dict(con.execute(query, ["herne"]).fetchall())
        copies = dict(con.execute(query, ["region-ruhr"]).fetchall())
    assert after == before  # the originals' entity ids stay
    assert len(copies) == len(before) > 5
    assert {keys[upstream_id]: entity for upstream_id, entity in copies.items()} == before


def test_federated_release_validates(two_instances):
    import frictionless

    assert frictionless.validate(str(two_instances["b"] / "latest" / "datapackage.json")).valid
    shutil.rmtree(two_instances["a"].parent)  # the first instance can go away entirely
    assert rows(two_instances["b"])


# ------------------------------------------ a listing belongs to its source (issue 17, item 2)

HERNE = "https://www.herne.de"
NAKOS = "https://www.nakos.de"
HOSTILE = "https://atlas-feindlich.example.org"
OWNED = ("herne", "nakos-rot")


def hostile_release(folder, reused: dict[str, str]) -> None:
    """An atlas release whose rows carry other sources' listing ids (computable from source id
    and key), as a hostile or a careless second instance publishes them."""
    folder.mkdir(parents=True)
    (folder / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (folder / "latest.json").write_text(json.dumps(
        {"files": {"listings.json": {"path": "listings.json"}}}), "utf-8")
    rows = [{"id": lid, "kind": "group", "name": f"Übernommen {n}", "postcode": "44623",
             "city": "Herne", "source_id": sid, "source_key": f"fremd-{n}",
             "licence": "CC0-1.0"} for n, (lid, sid) in enumerate(reused.items())]
    (folder / "listings.json").write_text(json.dumps({"listings": rows}), "utf-8")


def owned_rows(db) -> dict[str, list]:
    """Every row the owned sources hold, whole: listings and their history."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return {table: con.execute(f"""
            SELECT * FROM {table} WHERE id IN (SELECT id FROM listings
                                               WHERE source_id IN {OWNED})
                                     OR source_id IN {OWNED}
            ORDER BY ALL""").fetchall()
            for table in ("listings", "listing_history")}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """Night 0: herne (open) and nakos-rot (withheld) alone. Nights 1 and 2: the same two and
    a release source reusing one listing id of each, all through the real client over
    loopback."""
    import duckdb

    from schema.ids import listing_id
    from schema.registry import Registry, Source

    tmp = tmp_path_factory.mktemp("hostile")
    bundled = load_registry(ROOT / "sources.toml")
    release = Source(id="feindlich", name="Feindliche Instanz", publisher="Unbekannt",
                     kind="release", start_urls=[f"{HOSTILE}/latest.json"],
                     licence="CC0-1.0", policy="open")
    registry = Registry(path=tmp / "sources.toml",
                        sources=[*(bundled.get(s) for s in OWNED), release])
    kw = {"data_dir": tmp / "data", "public_dir": tmp / "public", "rate_override": 100}
    db = tmp / "data" / "atlas.duckdb"
    with serve_directory(FIXTURES / "herne") as (herne, _), \
            serve_directory(FIXTURES / "nakos-rot") as (nakos, _):
        rewrite = {HERNE: herne, NAKOS: nakos}
        night0 = run_all(registry, source_ids=list(OWNED), rewrite=rewrite, **kw)
        assert night0["status"] == "ok", night0
        before = owned_rows(db)
        with duckdb.connect(str(db), read_only=True) as con:
            victims = dict(con.execute("""
                SELECT arg_min(source_key, source_key), source_id FROM listings
                WHERE source_id IN ('herne', 'nakos-rot') GROUP BY source_id""").fetchall())
            values = {sid: con.execute("""
                SELECT id::VARCHAR, name, provenance.source_url,
                       list_transform(phones, p -> p.e164), list_transform(emails, e -> e.address)
                FROM listings WHERE source_id = ?""", [sid]).fetchall() for sid in OWNED}
        reused = {str(listing_id(sid, key)): sid for key, sid in victims.items()}
        hostile_release(tmp / "release", reused)
        nights, after = [], []
        with serve_directory(tmp / "release") as (bad, _):
            for _ in range(2):
                nights.append(run_all(registry, source_ids=[*OWNED, "feindlich"],
                                      rewrite=rewrite | {HOSTILE: bad}, **kw))
                after.append(owned_rows(db))
    return {"before": before, "after": after, "nights": nights, "reused": reused,
            "values": values, "public": tmp / "public", "db": db}


def test_a_hostile_release_changes_no_row_of_another_source_on_two_nights(hostile):
    assert set(hostile["reused"].values()) == set(OWNED)  # one id of each was reused
    ids = {r[0] for r in hostile["before"]["listings"]}
    assert all(lid in {str(i) for i in ids} for lid in hostile["reused"])
    for night, rows in enumerate(hostile["after"], start=1):
        assert rows == hostile["before"], f"night {night} changed rows of {OWNED}"
        assert hostile["nights"][night - 1]["sources"]["feindlich"]["status"] == "ok"


def test_the_hostile_rows_live_in_their_own_namespace(hostile):
    import duckdb

    from schema.ids import listing_id

    with duckdb.connect(str(hostile["db"]), read_only=True) as con:
        got = dict(con.execute("""SELECT provenance.upstream.id, id::VARCHAR FROM listings
                                  WHERE source_id = 'feindlich'""").fetchall())
    assert got == {up: str(listing_id("feindlich", up)) for up in hostile["reused"]}


def test_a_hostile_release_publishes_nothing_withheld(hostile):
    from tests.release_scan import find

    def flat(rows) -> set[str]:
        return {v for _, name, url, phones, mails in rows for v in (name, url, *phones, *mails)
                if v}

    # what only the withheld source holds (a centre both list is published through Herne,
    # whose registry entry names it too)
    herne = load_registry(ROOT / "sources.toml").get("herne")
    named = f"{herne.name} {herne.publisher} {herne.attribution}"
    needles = sorted(v for v in flat(hostile["values"]["nakos-rot"])
                     - flat(hostile["values"]["herne"]) if v not in named)
    assert len(needles) > 10
    found = find(hostile["public"], needles)
    assert found == [], found
    published = rows(hostile["public"])
    assert not {lid for lid, *_ in hostile["values"]["nakos-rot"]} & set(published)
    assert {r["source_id"] for r in published.values()} == {"herne", "feindlich"}
