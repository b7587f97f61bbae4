"""Each release carries a read-only DuckDB snapshot (DuckDB 1.4 storage) that researchers
query while later nightly runs write new releases."""

import duckdb

from flows.pipeline import run_all
from schema.registry import load_registry
from tests.conftest import ROOT

REGISTRY = load_registry(ROOT / "sources.toml")


def test_snapshot_is_public_documented_and_survives_later_runs(tmp_path):
    kw = {"source_ids": ["herne", "nakos-rot"], "replay": ROOT / "snapshots",
          "data_dir": tmp_path / "data", "public_dir": tmp_path / "public"}
    first = run_all(REGISTRY, **kw)
    snapshot = (tmp_path / "public" / "latest" / "atlas.duckdb").resolve()
    researcher = duckdb.connect(str(snapshot), read_only=True)
    try:
        tags = researcher.execute("SELECT tags FROM duckdb_databases() "
                                  "WHERE database_name = 'atlas'").fetchone()[0]
        assert tags["storage_version"].startswith("v1.4")
        count = researcher.execute("SELECT count(*) FROM listings").fetchone()[0]
        assert count == first["published_rows"] == 13
        assert researcher.execute("SELECT DISTINCT source_id FROM listings").fetchall() == [
            ("herne",)]  # nakos-rot is withheld
        undocumented = researcher.execute("""
            SELECT table_name, column_name FROM duckdb_columns()
            WHERE database_name = 'atlas' AND comment IS NULL""").fetchall()
        assert undocumented == []
        groups = researcher.execute("SELECT count(*), count(DISTINCT id) FROM groups").fetchone()
        assert groups[0] == groups[1] > 0
        assert researcher.execute("SELECT count(*) FROM contact_centres").fetchone()[0] >= 1
        found = researcher.execute("""SELECT name FROM listings
                                      WHERE search_text ILIKE '%angehorige%'""").fetchall()
        assert ("Angehörige psychisch erkrankter Menschen",) in found  # umlaut folded
        assert researcher.execute("""SELECT count(*) FROM listings
                                     WHERE search_text ILIKE '%sucht%'""").fetchone()[0] >= 1
        # a nightly run publishes meanwhile (the same snapshot: only a forced release is
        # new): the researcher's connection goes on unaffected
        second = run_all(REGISTRY, **kw, republish=True)
        assert second["status"] == "ok"
        assert researcher.execute("SELECT count(*) FROM listings").fetchone()[0] == count
        newest = tmp_path / "public" / "latest" / "atlas.duckdb"
        assert newest.resolve() != snapshot and snapshot.is_file()
    finally:
        researcher.close()
    with duckdb.connect(str(tmp_path / "data" / "atlas.duckdb"), read_only=True) as writer:
        assert writer.execute("SELECT count(*) FROM runs").fetchone() == (2,)
