"""A whole offline run links each city's contact centre with its NAKOS ROT entry."""

import duckdb

from flows.pipeline import run_all
from schema.registry import load_registry
from tests.conftest import ROOT


def test_run_links_city_centres_with_nakos(tmp_path):
    kw = {"source_ids": ["herne", "hamm", "nakos-rot"], "replay": ROOT / "snapshots",
          "data_dir": tmp_path, "public_dir": tmp_path / "public"}
    report = run_all(load_registry(ROOT / "sources.toml"), **kw)
    assert report["link_error"] is None
    db = str(tmp_path / "atlas.duckdb")
    with duckdb.connect(db, read_only=True) as con:
        linked = con.execute("""SELECT entity_id, sources FROM entities
                                WHERE members > 1 ORDER BY name""").fetchall()
        groups = con.execute("""SELECT count(*) FROM entities e
                                JOIN entity_members m USING (entity_id)
                                JOIN listings l ON l.id = m.listing_id
                                WHERE l.kind = 'group' AND e.members > 1""").fetchone()[0]
    assert [sorted(s) for _, s in linked] == [["hamm", "nakos-rot"], ["herne", "nakos-rot"]]
    assert groups == 0  # groups meeting at a centre are not merged into it
    run_all(load_registry(ROOT / "sources.toml"), **kw)
    with duckdb.connect(db, read_only=True) as con:
        again = con.execute("""SELECT entity_id, sources FROM entities
                               WHERE members > 1 ORDER BY name""").fetchall()
    assert again == linked  # stable ids across runs

