"""The file importer's place and presence keys: coordinates (two fields, one "lat,lon" string,
a map link), social links typed by platform, and the file's and a record's as-of date, through
the real pipeline into every release format; coordinates only where the street is published.

The file is shaped like a state network's group finder export (invented data): records under
region keys, a "stand" at the top, a geo object, a map link or a position string per group.
"""

import csv
import io
import json
from datetime import date

import duckdb
import pyarrow.parquet as pq
import pytest

from flows.pipeline import run_all
from schema.normalise.places import as_of, coordinates, map_link_coordinates, social_links
from schema.registry import RegistryError, load_registry
from scrapers.importers.files.read import FileMappingError
from scrapers.importers.files.stream import import_file
from tests.release_scan import find

#: A group meeting in a private home: its point must not be published anywhere.
HOME_LAT, HOME_LON = "51.5477", "7.2311"

DOCUMENT = {
    "stand": "2026-03-01",
    "herausgeber": "Selbsthilfe-Netz Beispielland (erfunden)",
    "regionen": {
        "nord": {"name": "Region Nord", "gruppen": [
            {"id": "G1", "name": "Selbsthilfegruppe Tinnitus Herne",
             "adresse": {"strasse": "Lindenweg 3", "plz": "44649", "ort": "Herne"},
             "geo": {"lat": 51.5413, "lon": 7.2207},
             "karte": "https://www.openstreetmap.org/?mlat=51.5413&mlon=7.2207"
                      "#map=17/51.5413/7.2207",
             "social": ["https://www.facebook.com/tinnitus.herne", "@tinnitus@mastodon.social"],
             "aktualisiert": "15.01.2026"},
            {"id": "G2", "name": "Selbsthilfegruppe Angehörige Demenz",
             "adresse": {"strasse": "c/o Familie Zaunkoenig, Birkenweg 7", "plz": "44649",
                         "ort": "Herne"},
             "geo": {"lat": float(HOME_LAT), "lon": float(HOME_LON)},
             "social": ["https://www.instagram.com/petra.zaunkoenig"]},
        ]},
        "sued": {"name": "Region Süd", "gruppen": [
            {"id": "G3", "name": "Selbsthilfegruppe Rheuma Wanne",
             "adresse": {"plz": "44651", "ort": "Herne"},
             "position": "51.5390, 7.1440"},
            {"id": "G4", "name": "Selbsthilfegruppe Diabetes Sodingen",
             "adresse": {"strasse": "Mont-Cenis-Straße 5", "plz": "44627", "ort": "Herne"},
             "karte": "https://www.google.com/maps/place/Akademie/@51.5301,7.2502,17z"},
            {"id": "G5", "name": "Selbsthilfegruppe Long Covid",
             "adresse": {"strasse": "Bahnhofstraße 12", "plz": "44623", "ort": "Herne"},
             "position": "7.2190, 51.5370",
             "karte": "https://goo.gl/maps/AbCdEf",
             "social": ["instagram.com/longcovid_herne", "htp://kaputt"]},
        ]},
    },
}

REGISTRY = """
[[source]]
id = "datei-gruppenfinder"
name = "Gruppenfinder (erfunden)"
publisher = "Selbsthilfe-Netz Beispielland"
kind = "file"
path = "gruppen.json"
licence = "CC-BY-4.0"
policy = "open"
attribution = "Selbsthilfe-Netz Beispielland"
cadence = "monthly"
min_records = 1

[source.file]
records = "regionen.*.gruppen"
key = "id"
kind = "group"
as_of = "stand"

[source.file.columns]
name = "name"
street = "adresse.strasse"
postcode = "adresse.plz"
city = "adresse.ort"
district = "^name"
lat = "geo.lat"
lon = "geo.lon"
coordinates = "position"
map_url = "karte"
social_links = "social"
as_of = "aktualisiert"
"""


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    base = tmp_path_factory.mktemp("places")
    (base / "gruppen.json").write_text(json.dumps(DOCUMENT, ensure_ascii=False), "utf-8")
    (base / "sources.toml").write_text(REGISTRY, "utf-8")
    registry = load_registry(base / "sources.toml")
    report = run_all(registry, data_dir=base / "data", public_dir=base / "public")
    assert report["status"] == "ok", report
    return base, base / "public" / "latest", registry


def _rows(release) -> dict[str, dict[str, dict]]:
    """format -> source key -> row, each format read its own way."""
    with duckdb.connect(str(release / "atlas.duckdb"), read_only=True) as con:
        cur = con.execute("SELECT * FROM listings")
        names = [d[0] for d in cur.description]
        snapshot = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    text = (release / "listings.csv").read_text("utf-8")
    excel = (release / "listings-excel.csv").read_text("utf-8-sig")
    return {"csv": list(csv.DictReader(io.StringIO(text))),
            "excel": list(csv.DictReader(io.StringIO(excel), delimiter=";")),
            "parquet": pq.read_table(release / "listings.parquet").to_pylist(),
            "json": json.loads((release / "listings.json").read_text("utf-8"))["listings"],
            "snapshot": snapshot}


def _value(v) -> str:
    """A cell as text whatever the format typed it as ("" for empty)."""
    return "" if v is None else v.isoformat() if isinstance(v, date) else str(v)


def _listed(v) -> list[str]:
    """A list column: an array in JSON, ' | '-joined text in the other formats."""
    return v if isinstance(v, list) else _value(v).split(" | ") if _value(v) else []


@pytest.mark.parametrize("fmt", ["csv", "excel", "parquet", "json", "snapshot"])
def test_places_reach_every_format(released, fmt):
    _, release, _ = released
    rows = {r["source_key"]: r for r in _rows(release)[fmt]}
    g1, g3, g4, g5 = rows["G1"], rows["G3"], rows["G4"], rows["G5"]
    assert (float(g1["latitude"]), float(g1["longitude"])) == (51.5413, 7.2207)
    assert (float(g4["latitude"]), float(g4["longitude"])) == (51.5301, 7.2502)  # map link
    assert (float(g5["latitude"]), float(g5["longitude"])) == (51.537, 7.219)  # turned round
    assert _value(g3["latitude"]) == "" and _value(g3["longitude"]) == ""  # no street: none
    assert _listed(g1["social_links"]) == ["facebook: https://www.facebook.com/tinnitus.herne",
                                           "mastodon: https://mastodon.social/@tinnitus"]
    assert _listed(g5["social_links"]) == ["instagram: https://instagram.com/longcovid_herne"]
    assert _value(g1["as_of"]) == "2026-01-15"  # the record's own date
    assert _value(g4["as_of"]) == "2026-03-01"  # the file's
    assert "coordinates_swapped_repaired" in g5["flags"] and "map_link_unread" in g5["flags"]
    assert "social_link_invalid" in g5["flags"]
    assert "coordinates_withheld" in g3["flags"]


def test_a_private_home_keeps_its_point_out_of_every_file(released):
    base, release, _ = released
    rows = {r["source_key"]: r for r in _rows(release)["json"]}
    home = rows["G2"]
    assert home["street"] is None and home["latitude"] is None
    assert "coordinates_withheld" in home["flags"]
    assert home["social_links"] == []  # a profile named like a person is hers
    leaks = find(base / "public", [HOME_LAT, HOME_LON, "zaunkoenig", "Zaunkoenig"])
    assert not leaks, leaks
    with duckdb.connect(str(base / "data" / "atlas.duckdb"), read_only=True) as con:
        stored = dict(con.execute("SELECT source_key, coordinates FROM listings").fetchall())
        personal = dict(con.execute("SELECT source_key, personal_fields FROM listings")
                        .fetchall())
    assert stored["G2"] is None  # not kept at all, like the street
    assert stored["G3"] == {"lat": 51.539, "lon": 7.144}  # kept; the release leaves it out
    assert "social_links[0]" in personal["G2"]
    traces = json.loads((release / "withheld.json").read_text("utf-8"))[
        "datei-gruppenfinder"]["values_withheld"]["traces"]
    assert {"id": home["id"], "field": "coordinates", "reason": "coordinates_withheld",
            "values": 1} in traces


def test_hsds_locations_carry_only_published_points(released):
    _, release, _ = released
    services = json.loads((release / "hsds" / "services.json").read_text("utf-8"))
    points = {s["name"]: [(loc["location"].get("latitude"), loc["location"].get("longitude"))
                          for loc in s.get("service_at_locations", [])] for s in services}
    assert points["Selbsthilfegruppe Tinnitus Herne"] == [(51.5413, 7.2207)]
    assert all(lat is None for lat, _ in points["Selbsthilfegruppe Rheuma Wanne"])
    assert all(lat is None for lat, _ in points["Selbsthilfegruppe Angehörige Demenz"])


def test_the_columns_are_described(released):
    _, release, _ = released
    package = json.loads((release / "datapackage.json").read_text("utf-8"))
    [listings] = [r for r in package["resources"] if r["name"] == "listings"]
    fields = {f["name"]: f for f in listings["schema"]["fields"]}
    assert fields["latitude"]["type"] == "number" and "street" in fields["latitude"][
        "description"]
    assert "mastodon" in fields["social_links"]["description"]
    assert fields["as_of"]["type"] == "date"


def test_importer_fields_as_read(released):
    base, _, registry = released
    records = {r.source_key: r for r in import_file(registry.get("datei-gruppenfinder"),
                                                    base).records}
    assert records["G1"].coordinates_text == "51.5413;7.2207"
    assert records["G1"].map_url.startswith("https://www.openstreetmap.org/")
    assert records["G1"].social_text == ["https://www.facebook.com/tinnitus.herne",
                                         "@tinnitus@mastodon.social"]
    assert (records["G1"].as_of_text, records["G3"].as_of_text) == ("15.01.2026",
                                                                    "2026-03-01")
    assert records["G3"].coordinates_text == "51.5390, 7.1440"


def test_a_branch_never_takes_its_centres_point(tmp_path):
    document = [{"nr": "Z1", "name": "KISS Mitte", "strasse": "Markt 1", "plz": "44623",
                 "ort": "Herne", "lat": "51.54", "lon": "7.22",
                 "aussenstellen": [{"nr": "A", "strasse": "Weg 2", "plz": "44649",
                                    "ort": "Herne"},
                                   {"nr": "B", "strasse": "Weg 3", "plz": "44649",
                                    "ort": "Herne", "lat": "51.55", "lon": "7.23"}]}]
    (tmp_path / "z.json").write_text(json.dumps(document), "utf-8")
    head = REGISTRY.split("[source.file]")[0].replace("gruppen.json", "z.json")
    (tmp_path / "sources.toml").write_text(head + """[source.file]
key = "nr"
kind = "contact_centre"
branches = { path = "aussenstellen", key = "nr" }

[source.file.columns]
name = "name"
street = "strasse"
postcode = "plz"
city = "ort"
lat = "lat"
lon = "lon"
""", "utf-8")
    source = load_registry(tmp_path / "sources.toml").get("datei-gruppenfinder")
    records = {r.source_key: r for r in import_file(source, tmp_path).records}
    assert records["Z1"].coordinates_text == "51.54;7.22"
    assert records["Z1-A"].coordinates_text is None
    assert records["Z1-B"].coordinates_text == "51.55;7.23"


def test_a_missing_top_level_date_is_a_mapping_error(tmp_path):
    document = dict(DOCUMENT)
    del document["stand"]
    (tmp_path / "gruppen.json").write_text(json.dumps(document), "utf-8")
    (tmp_path / "sources.toml").write_text(REGISTRY, "utf-8")
    source = load_registry(tmp_path / "sources.toml").get("datei-gruppenfinder")
    with pytest.raises(FileMappingError, match=r"file\.as_of") as err:
        import_file(source, tmp_path)
    assert err.value.failure_class == "config_error"


def test_social_links_cannot_be_joined(tmp_path):
    (tmp_path / "gruppen.json").write_text("[]", "utf-8")
    (tmp_path / "sources.toml").write_text(
        REGISTRY.replace('as_of = "stand"', 'as_of = "stand"\njoin = { map_url = " " }'),
        "utf-8")
    with pytest.raises(RegistryError, match="map_url"):
        load_registry(tmp_path / "sources.toml")


@pytest.mark.parametrize(("text", "want"), [
    ("51.5413, 7.2207", (51.5413, 7.2207)), ("51,5413; 7,2207", (51.5413, 7.2207)),
    ("51.5413 7.2207", (51.5413, 7.2207)), ("(51.5413, 7.2207)", (51.5413, 7.2207)),
    ("7.2207, 51.5413", (51.5413, 7.2207)), ("Rathaus", None), ("0, 0", None),
])
def test_coordinate_texts(text, want):
    found, _ = coordinates(text)
    assert (found and (found.lat, found.lon)) == want


@pytest.mark.parametrize(("url", "want"), [
    ("https://www.openstreetmap.org/?mlat=51.54&mlon=7.22#map=17/51.5/7.2", (51.54, 7.22)),
    ("https://www.openstreetmap.org/#map=17/51.54130/7.22070", (51.5413, 7.2207)),
    ("https://www.google.com/maps/place/X/@51.5,7.2,17z/data=!3m1!4b1!8m2!3d51.5414!4d7.2208",
     (51.5414, 7.2208)),
    ("https://maps.google.com/?q=51.5413,7.2207", (51.5413, 7.2207)),
    ("https://www.google.de/maps/search/?api=1&query=51.5413%2C7.2207", (51.5413, 7.2207)),
    ("https://maps.apple.com/?ll=51.5413,7.2207&q=Treff", (51.5413, 7.2207)),
    ("https://www.bing.com/maps?cp=51.5413~7.2207&lvl=16", (51.5413, 7.2207)),
    ("geo:51.5413,7.2207", (51.5413, 7.2207)),
    ("https://goo.gl/maps/AbCdEf", None),
    ("https://www.openstreetmap.org/way/123456", None),
])
def test_map_links(url, want):
    found, flags = map_link_coordinates(url)
    assert (found and (found.lat, found.lon)) == want
    assert (flags == ["map_link_unread"]) == (want is None)


def test_as_of_and_platforms():
    assert as_of("Stand: 1.3.2026")[0] == date(2026, 3, 1)
    assert as_of("2026-03-01T10:00:00Z")[0] == date(2026, 3, 1)
    assert as_of("01.03.26")[0] == date(2026, 3, 1)
    assert as_of("31.02.2026") == (None, ["as_of_invalid"])
    links, flags = social_links(["https://de-de.facebook.com/kiss", "https://x.com/kiss",
                                 "https://bsky.app/profile/kiss.bsky.social",
                                 "https://chaos.social/@kiss", "https://www.example.de/"])
    assert [s.platform for s in links] == ["facebook", "x", "bluesky", "mastodon", "other"]
    assert flags == []
