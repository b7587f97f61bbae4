"""The release's exporters (`warehouse.release.formats`): one test per exporter, named
`test_<module>`, beside a contract every exporter keeps. A new format is one module in
`warehouse/release/formats/` and one test here."""

import csv
import json
import sys

import duckdb
import pyarrow.parquet as pq
import pytest

from tests.factories import listings, record, source
from warehouse.release.entities import TABLES, create_public_tables
from warehouse.release.formats import EXPORTERS, file_names
from warehouse.release.metadata import file_kind
from warehouse.release.public import LIST_COLUMNS, flat_select
from warehouse.storage.db import connect
from warehouse.storage.runs import SourceRun, begin_run, commit_source_run, upsert_sources

STEMS = [t.stem for t in TABLES]
PACKAGE = {"id": "selbsthilfe-atlas/r1", "created": "2026-11-23T03:00:00Z",
           "licenses": [{"name": "CC-BY-4.0", "title": "licence of source herne"}],
           "sources": []}


@pytest.fixture
def con(tmp_path, now):
    con = connect(tmp_path / "atlas.duckdb")
    upsert_sources(con, [source("herne")])
    begin_run(con, "r1", "live", now)
    commit_source_run(con, "r1", SourceRun("herne", now, now, listings=listings(
        record("a", topics=["Sucht", "Angehörige"]), record("b", name='=1+1 "quoted", ok'))))
    create_public_tables(con)
    yield con
    con.close()


def flat_rows(con, table):
    """The rows the flat files hold, as DuckDB gives them."""
    return con.sql(flat_select(table.source, table.columns)).fetchall()


def written(con, exporter, folder):
    folder.mkdir()
    return exporter.write(con, folder, TABLES, PACKAGE)


@pytest.mark.parametrize("exporter", EXPORTERS, ids=lambda e: e.__name__.rsplit(".", 1)[1])
def test_every_exporter_declares_and_writes_its_files(con, tmp_path, exporter):
    paths = written(con, exporter, tmp_path / "out")
    assert sorted(p.name for p in paths) == sorted(file_names(exporter, STEMS))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in paths)
    for name in file_names(exporter, STEMS):  # DCAT and the README describe it as declared
        assert file_kind(name)[:2] == (exporter.MEDIA_TYPE, exporter.FILE_TYPE)
        assert exporter.DESCRIPTION in file_kind(name)[2]
    short = exporter.__name__.rsplit(".", 1)[1]
    assert callable(getattr(sys.modules[__name__], f"test_{short}", None)), \
        f"exporter {short} has no test_{short} here"


def test_csv_exact(con, tmp_path):
    written(con, EXPORTERS[0], tmp_path / "out")
    for table in TABLES:
        with (tmp_path / "out" / f"{table.stem}.csv").open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        assert rows[0] == [c[0] for c in table.columns]  # header, even when empty
        expected = [["" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
                     for v in row] for row in flat_rows(con, table)]
        assert rows[1:] == expected
    listing = {r[0]: r for r in flat_rows(con, TABLES[0])}
    topics = [c[0] for c in TABLES[0].columns].index("topics")
    assert sorted(v[topics] for v in listing.values()) == ["Sucht", "Sucht | Angehörige"]


def test_excel_csv(con, tmp_path):
    written(con, EXPORTERS[1], tmp_path / "out")
    raw = (tmp_path / "out" / "listings-excel.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfid;kind;name;")
    text = raw.decode("utf-8-sig")
    assert "'=1+1 \"\"quoted\"\", ok" in text and "'+49" in text  # formulas neutralised


def test_json_document(con, tmp_path):
    written(con, EXPORTERS[2], tmp_path / "out")
    for table in TABLES:
        document = json.loads((tmp_path / "out" / f"{table.stem}.json").read_text("utf-8"))
        assert list(document) == ["meta", table.stem]
        assert document["meta"]["table"] == table.stem
        assert document["meta"]["id"] == PACKAGE["id"]
        rows = document[table.stem]
        assert document["meta"]["count"] == len(rows) == len(flat_rows(con, table))
        for row in rows:
            assert list(row) == [c[0] for c in table.columns]
            for name in LIST_COLUMNS & set(row):  # lists are arrays, never joined text
                assert isinstance(row[name], list), name
    rows = json.loads((tmp_path / "out" / "listings.json").read_text("utf-8"))["listings"]
    assert sorted(r["topics"] for r in rows) == [["Sucht"], ["Sucht", "Angehörige"]]


def test_parquet(con, tmp_path):
    written(con, EXPORTERS[3], tmp_path / "out")
    for table in TABLES:
        parquet = pq.read_table(tmp_path / "out" / f"{table.stem}.parquet")
        flat = con.sql(flat_select(table.source, table.columns)).to_arrow_table()
        assert parquet.schema.names == [c[0] for c in table.columns]
        assert parquet.to_pylist() == flat.to_pylist()


def test_snapshot(con, tmp_path):
    written(con, EXPORTERS[4], tmp_path / "out")
    snapshot = duckdb.connect(str(tmp_path / "out" / "atlas.duckdb"), read_only=True)
    try:
        for table in TABLES:
            assert snapshot.sql(f"SELECT count(*) FROM {table.stem}").fetchone()[0] == \
                len(flat_rows(con, table))
        assert snapshot.sql("SELECT count(*) FROM listings WHERE search_text ILIKE "
                            "'%angehorige%'").fetchone()[0] == 1
        assert snapshot.sql("SELECT source_id FROM sources").fetchall() == [("herne",)]
        comments = snapshot.sql("SELECT count(*) FROM duckdb_columns() WHERE comment IS NULL"
                                " AND database_name = 'atlas'").fetchone()[0]
        assert comments == 0  # every column is described
    finally:
        snapshot.close()
