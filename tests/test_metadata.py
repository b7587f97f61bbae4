"""Release metadata: `dcat.jsonld` (DCAT-AP.de) and the release `README.md`."""

import hashlib
import json
import shutil
from datetime import UTC, datetime
from types import SimpleNamespace

import duckdb
import pytest

from flows.pipeline import run_all
from schema.registry import load_registry
from tests.conftest import ROOT
from warehouse.release.entities import ENTITY_COLUMNS
from warehouse.release.metadata import (
    LICENCE_BASE,
    OTHER_CLOSED,
    OTHER_OPEN,
    release_licence,
    write_dcat,
    write_release_readme,
)
from warehouse.release.public import FORMAT_VERSION, PUBLIC_COLUMNS

BASE = "https://daten.example.org/"
WITHHELD = ["nakos-rot", "nakos-gruen", "nakos-blau", "NAKOS"]


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """A real warehouse and release (herne open, nakos-rot withheld); the release's files are
    copied into a fresh folder, as `publish()` has them before its metadata is written."""
    tmp = tmp_path_factory.mktemp("metadata")
    run_all(load_registry(ROOT / "sources.toml"), source_ids=["herne", "nakos-rot"],
            replay=ROOT / "snapshots", data_dir=tmp / "data", public_dir=tmp / "public")
    return tmp


@pytest.fixture
def built(release, tmp_path):
    folder = tmp_path / "building"
    shutil.copytree((release / "public" / "latest").resolve(), folder)
    con = duckdb.connect(str(release / "data" / "atlas.duckdb"), read_only=True)
    ctx = SimpleNamespace(run_id="20261123T030000Z-1", base_url=BASE, previous=None,
                          generated=datetime(2026, 11, 23, 3, 0, tzinfo=UTC),
                          public=tmp_path)
    yield con, folder, ctx
    con.close()


def _dataset(path):
    document = json.loads(path.read_text("utf-8"))
    for prefix in ("dcat", "dct", "foaf", "vcard", "dcatde", "spdx", "xsd"):
        assert prefix in document["@context"]
    (dataset,) = document["@graph"]
    assert dataset["@type"] == "dcat:Dataset"
    return dataset


def test_dcat_describes_every_file(built):
    con, folder, ctx = built
    write_release_readme(con, folder, ctx)
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                   if p.is_file() and p.name not in ("dcat.jsonld", "SHA256SUMS"))
    path = write_dcat(con, folder, ctx)
    assert path == folder / "dcat.jsonld"
    dataset = _dataset(path)
    distributions = {d["dct:title"]: d for d in dataset["dcat:distribution"]}
    assert sorted(distributions) == files
    assert {"listings.csv", "listings.parquet", "atlas.duckdb", "README.md"} <= set(files)
    for name, d in distributions.items():
        data = (folder / name).read_bytes()
        url = f"{BASE}releases/{ctx.run_id}/{name}"
        assert d["dcat:downloadURL"]["@id"] == url
        assert {a["@id"] for a in d["dcat:accessURL"]} == {url, f"{BASE}latest/{name}"}
        assert int(d["dcat:byteSize"]["@value"]) == len(data)
        assert d["spdx:checksum"]["spdx:checksumValue"]["@value"] == \
            hashlib.sha256(data).hexdigest()
        assert d["dct:license"]["@id"].startswith(LICENCE_BASE)
        assert d["dct:format"]["@id"].startswith(
            "http://publications.europa.eu/resource/authority/file-type/")
        assert d["dcat:mediaType"]["@id"].startswith("https://www.iana.org/assignments/")
    assert distributions["listings.csv"]["dcat:mediaType"]["@id"].endswith("/text/csv")
    assert distributions["listings.csv"]["dct:format"]["@id"].endswith("/CSV")


def test_dcat_dataset_fields_and_no_withheld_source(built):
    con, folder, ctx = built
    text = write_dcat(con, folder, ctx).read_text("utf-8")
    for name in WITHHELD:
        assert name not in text
    dataset = _dataset(folder / "dcat.jsonld")
    assert dataset["dct:publisher"]["foaf:name"] == "selbsthilfe-atlas"
    assert dataset["dct:spatial"]["@id"].endswith("/country/DEU")
    assert "Selbsthilfegruppen" in dataset["dcat:keyword"]
    temporal = dataset["dct:temporal"]
    earliest = con.execute("""SELECT min(l.provenance.fetched_at) FROM listings l
                              JOIN sources s USING (source_id)
                              WHERE l.active AND s.policy = 'open'""").fetchone()[0]
    assert temporal["dcat:startDate"]["@value"] == earliest.astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    assert temporal["dcat:endDate"]["@value"] == "2026-11-23T03:00:00Z"
    # herne's licence is a LicenseRef: no DCAT-AP.de URI, so other-closed, named in the text
    csv = next(d for d in dataset["dcat:distribution"] if d["dct:title"] == "listings.csv")
    assert csv["dct:license"]["@id"] == OTHER_CLOSED
    assert "LicenseRef-Stadt-Herne-Nutzungsbedingungen" in csv["dcatde:licenseAttributionByText"]
    assert "Stadt Herne, buez – Selbsthilfe-Netzwerk" in csv["dcatde:licenseAttributionByText"]


def test_spdx_licences_map_to_dcatde_uris():
    def src(licence):
        return {"licence": licence, "attribution": "x"}
    assert release_licence([src("CC-BY-4.0")]) == "http://dcat-ap.de/def/licenses/cc-by/4.0"
    assert release_licence([src("CC0-1.0")]) == "http://dcat-ap.de/def/licenses/cc-zero"
    assert release_licence([src("dl-de-by-2.0"), src("dl-de-by-2.0")]) == \
        "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
    assert release_licence([src("CC-BY-4.0"), src("dl-de-by-2.0")]) == OTHER_OPEN
    assert release_licence([src("CC-BY-4.0"), src("LicenseRef-Foo")]) == OTHER_CLOSED
    assert release_licence([]) == OTHER_CLOSED


def test_release_readme(built):
    con, folder, ctx = built
    text = write_release_readme(con, folder, ctx).read_text("utf-8")
    assert f"Formatversion: {FORMAT_VERSION}" in text
    assert ctx.run_id in text and "2026-11-23T03:00:00Z" in text
    for path in folder.rglob("*"):
        if path.is_file() and path.name != "README.md":
            assert f"`{path.relative_to(folder).as_posix()}`" in text
    for name, _, _, _ in PUBLIC_COLUMNS + ENTITY_COLUMNS:
        assert f"| `{name}` |" in text
    assert "`groups.csv`" in text and "retired_into" in text
    opened = con.execute("SELECT source_id, licence, attribution FROM sources "
                         "WHERE policy = 'open'").fetchall()
    assert opened
    for sid, licence, attribution in opened:
        assert f"`{sid}`" in text and licence in text and attribution in text
    for name in WITHHELD:
        assert name not in text
    withheld = json.loads((folder / "withheld.json").read_text("utf-8"))
    assert f"{withheld['nakos-rot']['records_withheld']} Einträge aus 1 Quelle(n)" in text
