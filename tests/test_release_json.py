"""`changes.json` finds the same differences in the releases' JSON files as comparing the
decoded rows as dicts (the JSON files themselves are DuckDB's: `warehouse.release.formats`)."""

import json
import random
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from warehouse.changes import IGNORED, write_changes

# changes.json: the streamed reader against the plain dict comparison it replaces


def dict_diff(new_doc: dict, old_doc: dict | None, stem: str = "listings") -> dict:
    """What changes.json reported when both files were decoded whole into dicts."""
    def rows(document):
        out, columns = {}, []
        for row in document.get(stem, []):
            out[row["id"]] = row
            columns += [c for c in row if c not in columns]
        return out, columns
    new, columns = rows(new_doc)
    old, old_columns = rows(old_doc or {})
    columns += [c for c in old_columns if c not in columns]
    changed = [{"id": i, "fields": [c for c in columns
                                    if c not in IGNORED and old[i].get(c) != new[i].get(c)]}
               for i in sorted(new.keys() & old.keys())]
    return {"added": sorted(new.keys() - old.keys()),
            "changed": [c for c in changed if c["fields"]],
            "removed": sorted(old.keys() - new.keys())}


VALUES = [None, "a", "b", "\x00n1", "", "ü", 1, 1.0, True, False, 0, -0.0, 2.5, float("nan"),
          2**53 + 1, float(2**53), [1, 2], [], {"a": 1, "b": [2]}, {"b": [2], "a": 1}]


def random_document(rnd: random.Random, n: int, columns: list[str]) -> dict:
    rows = []
    for _ in range(n):
        row = {"id": f"id-{rnd.randrange(2 * n + 1)}"}  # some ids twice: the last one wins
        row |= {c: rnd.choice(VALUES) for c in columns if rnd.random() < 0.8}
        rows.append(row)
    return {"meta": {"table": "listings", "x": [[1], {"y": "]"}]}, "listings": rows}


@pytest.mark.parametrize("piece", [None, 5])
def test_changes_match_the_dict_comparison(tmp_path, monkeypatch, piece):
    if piece:  # the file read a few characters at a time: values cut at every place
        monkeypatch.setattr("warehouse.changes._Reader.PIECE", piece)
        monkeypatch.setattr("warehouse.changes.COMPARE_ROWS", 7)  # and rows compared by 7
    rnd = random.Random(3)
    ctx = SimpleNamespace(run_id="r2", generated=datetime(2026, 1, 2, tzinfo=UTC))
    for trial in range(60 if piece is None else 15):
        old_dir, new_dir = tmp_path / f"old{trial}", tmp_path / f"new{trial}"
        old_dir.mkdir()
        new_dir.mkdir()
        n = rnd.choice([0, 1, 3, 40, 6000 if piece is None else 60])  # 6000: two batches
        old = random_document(rnd, n, rnd.sample(["name", "city", "fetched_at", "x", "y"], 3))
        new = random_document(rnd, n, rnd.sample(["name", "city", "changed_at", "x", "z"], 3))
        for folder, document in ((old_dir, old), (new_dir, new)):
            (folder / "listings.json").write_text(
                json.dumps(document, indent=rnd.choice([None, 1]),
                           ensure_ascii=rnd.random() < 0.5), "utf-8")
        previous = old_dir if trial % 5 else None
        here = SimpleNamespace(**vars(ctx), previous=previous)
        got = json.loads(write_changes(None, new_dir, here).read_text("utf-8"))
        expected = dict_diff(new, old if previous else None)
        assert {k: got[k] for k in ("added", "changed", "removed")} == expected, trial


@pytest.mark.parametrize("text", [
    '{"listings": [{"id": "1"}], "listings": [{"id": "2", "a": 1}]}',  # the last one counts
    ' { "a" : [ [1, "]"], {"b": "}"} ] , "listings" : [ ] } ',
    "{}",
    '{"listings": [{"id": "1"}, {"id": "1", "n": 2}]}',
    '{"count": 1234567, "listings": [{"id": "1", "n": 123456789, "t": true}], "z": null}',
])
@pytest.mark.parametrize("piece", [None, 1, 3])
def test_changes_read_documents_as_json_loads_does(tmp_path, monkeypatch, text, piece):
    if piece:
        monkeypatch.setattr("warehouse.changes._Reader.PIECE", piece)
    (tmp_path / "listings.json").write_text(text, "utf-8")
    ctx = SimpleNamespace(run_id="r", generated=datetime(2026, 1, 2, tzinfo=UTC), previous=None)
    got = json.loads(write_changes(None, tmp_path, ctx).read_text("utf-8"))
    assert {k: got[k] for k in ("added", "changed", "removed")} == \
        dict_diff(json.loads(text), None)


@pytest.mark.parametrize("text", ['{"listings": [1,}', '{"listings": []} x', "[]",
                                  '{"listings": [{"id": "1"}]', '{"listings": [{"x": 1}]}',
                                  '\ufeff{"listings": []}', '{"listings": [{"id": "1"}] ]'])
@pytest.mark.parametrize("piece", [None, 2])
def test_changes_refuse_what_json_loads_refuses(tmp_path, monkeypatch, text, piece):
    if piece:
        monkeypatch.setattr("warehouse.changes._Reader.PIECE", piece)
    (tmp_path / "listings.json").write_text(text, "utf-8")
    ctx = SimpleNamespace(run_id="r", generated=datetime(2026, 1, 2, tzinfo=UTC), previous=None)
    with pytest.raises((ValueError, KeyError)):
        write_changes(None, tmp_path, ctx)
