"""No BLAU record, table or file holds a person: the whole pipeline, end to end, offline."""

import gzip

import duckdb

from flows.pipeline import run_all
from schema.registry import load_registry
from tests.conftest import ROOT
from tests.test_nakos_blau import FAKE, person_strings


def test_no_person_reaches_any_table_or_file(tmp_path):
    report = run_all(load_registry(ROOT / "sources.toml"), source_ids=["nakos-blau"],
                     replay=ROOT / "snapshots", data_dir=tmp_path / "data",
                     public_dir=tmp_path / "public")
    assert report["sources"]["nakos-blau"]["status"] == "ok"
    assert report["sources"]["nakos-blau"]["inserted"] >= 5
    persons = {p for p in person_strings() | set(FAKE) if len(p) > 4}
    assert len(persons) > 10
    texts = []
    with duckdb.connect(str(tmp_path / "data" / "atlas.duckdb"), read_only=True) as con:
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        assert {"listings", "listing_history", "raw_pages", "quarantine"} <= set(tables)
        for table in tables:
            texts.append(str(con.execute(f"SELECT * FROM {table}").fetchall()))
        kinds = con.execute("SELECT DISTINCT kind FROM listings").fetchall()
    assert kinds == [("rare_condition",)]
    for folder in (tmp_path / "data", tmp_path / "public", ROOT / "snapshots"):
        for path in (p for p in folder.rglob("*") if p.is_file()):
            data = path.read_bytes()
            if path.name.endswith(".gz"):
                data = gzip.decompress(data)
            texts.append(data.decode("utf-8", errors="replace"))
    blob = "\n".join(texts)
    leaked = sorted(p for p in persons if p in blob)
    assert not leaked, leaked
