"""Per-field quality counters: computed per source run, stored, printed by `shg quality`."""

import duckdb

from flows.cli import main
from flows.pipeline import run_all
from schema.normalise.quality import field_quality
from schema.registry import load_registry
from tests.conftest import ROOT
from tests.factories import listings, record


def test_counters_per_field():
    items = listings(
        record("1", phones_text=["0 23 23 / 16 - 36 36", "Tel. 123 45"],
               hours_text="Mo-Fr vormittags", topics=["Sucht", "Quatschthema"]),
        record("2", phones_text=[], address_text=None, meeting_text=None, topics=[]),
    )
    q = {f.field: f for f in field_quality(items)}
    assert (q["phones"].present, q["phones"].missing, q["phones"].invalid) == (1, 1, 1)
    assert (q["address"].present, q["address"].missing) == (1, 1)
    assert (q["opening_hours"].present, q["opening_hours"].invalid) == (1, 1)
    assert q["meeting"].present == 1 and q["topics"].missing == 1
    assert all(f.records == 2 and f.present + f.missing == 2 for f in q.values())


def test_stored_and_printed(tmp_path, capsys):
    run_all(load_registry(ROOT / "sources.toml"), source_ids=["herne"],
            replay=ROOT / "snapshots", data_dir=tmp_path, public_dir=tmp_path / "public")
    with duckdb.connect(str(tmp_path / "atlas.duckdb"), read_only=True) as con:
        rows = dict(con.execute("""SELECT field, present FROM source_run_stats
                                   WHERE source_id = 'herne'""").fetchall())
    assert rows["name"] == 13 and rows["phones"] == 13
    assert main(["--data", str(tmp_path), "quality"]) == 0
    fields, flags = capsys.readouterr().out.split("\n\n")  # per field, then per flag code
    lines = [line for line in fields.splitlines() if line.startswith("herne")]
    assert len(lines) == len(rows)
    assert all(line.split()[2] in ("repaired", "doubtful", "withheld")
               for line in flags.splitlines()[1:])
    assert any(line.split()[1] == "phones" and line.split()[3] == "13" for line in lines)
