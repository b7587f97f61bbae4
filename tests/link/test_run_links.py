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


def test_linkage_in_a_child_process_decides_as_in_the_writer(tmp_path):
    """Above `CHILD_FROM` listings matching and assigning run in a spawned child: the same
    entities, members, evidence and counts as in the writer's own process."""
    import shutil
    from datetime import UTC, datetime

    from warehouse.link import _link

    run_all(load_registry(ROOT / "sources.toml"), source_ids=["herne", "hamm", "nakos-rot"],
            replay=ROOT / "snapshots", data_dir=tmp_path, public_dir=tmp_path / "public")
    now = datetime(2026, 12, 7, tzinfo=UTC)
    results = []
    for child_from in (10**9, 1):  # in the writer, then in a child
        db = tmp_path / f"copy-{child_from}.duckdb"
        shutil.copy(tmp_path / "atlas.duckdb", db)
        with duckdb.connect(str(db)) as con:
            con.execute("DELETE FROM entity_members; DELETE FROM entities; "
                        "DELETE FROM link_state")
            counts = _link(con, "r2", now, child_from=child_from)
            results.append((counts, con.execute(
                "SELECT listing_id, entity_id, score, evidence::VARCHAR FROM entity_members "
                "ORDER BY listing_id").fetchall(), con.execute(
                "SELECT * FROM entities ORDER BY entity_id").fetchall()))
    (in_writer, members, entities), (in_child, child_members, child_entities) = results
    assert in_child == in_writer and in_writer.linked == 2
    assert child_members == members and len(members) == in_writer.listings
    assert child_entities == entities
