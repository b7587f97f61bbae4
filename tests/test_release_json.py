"""The release's JSON files, written and read without holding a table's rows as Python dicts:
the streamed text is byte for byte `json.dumps(document, ensure_ascii=False, indent=1)`, and
`changes.json` finds the same differences as comparing the decoded rows as dicts."""

import json
import random
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import pyarrow as pa
import pytest

from warehouse.changes import IGNORED, write_changes
from warehouse.release_json import json_indent_1, table_document_chunks, write_table_document

META = {"format_version": "0.1", "id": "selbsthilfe-atlas/r1", "table": "t",
        "licenses": [{"name": "CC-BY-4.0", "title": "licence of source ä"}], "sources": [],
        "count": 3, "nested": {"empty": {}, "list": [], "x": [1, [2.5, None]]}}


def reference(meta: dict, stem: str, table: pa.Table) -> str:
    return json.dumps({"meta": meta, stem: table.to_pylist()}, ensure_ascii=False, indent=1)


def streamed(meta: dict, stem: str, table: pa.Table, batch_rows: int = 2) -> str:
    return "".join(table_document_chunks(meta, stem, table, batch_rows))


MIXED = pa.table({
    "id": ["a", "b", "c", "d", "e"],
    "text": ["Angehörige", None, 'quote " backslash \\ tab \t nl \n', "\x00\x1f\x7f\u2028😀",
             ""],
    "number": pa.array([1, None, -3, 2**53 + 1, 0], pa.int64()),
    "real": [1.5, float("nan"), float("inf"), -0.0, 1e-07],
    "flag": [True, False, None, True, False],
    "tags": [["x", "y"], [], None, [None], ["ü"]],
    "place": [{"lat": 51.5, "names": ["a"]}, None, {"lat": None, "names": []},
              {"lat": -1e300, "names": None}, {"lat": 0.1, "names": ["%s", "%(x)s"]}],
    "%percent key": ["%", "%%", "%s", None, "50 %"],
})


@pytest.mark.parametrize("batch_rows", [1, 2, 5, 5000])
def test_streamed_document_is_json_dumps_byte_for_byte(batch_rows):
    assert streamed(META, "listings", MIXED, batch_rows) == reference(META, "listings", MIXED)


def test_chunked_table_and_every_slice():
    chunked = pa.concat_tables([MIXED.slice(0, 2), MIXED.slice(2)])
    assert streamed(META, "groups", chunked, 3) == reference(META, "groups", chunked)
    for n in range(MIXED.num_rows + 1):
        table = MIXED.slice(0, n)
        assert streamed({}, "rows", table) == reference({}, "rows", table)


def test_empty_tables():
    empty = MIXED.schema.empty_table()
    assert streamed(META, "organisations", empty) == reference(META, "organisations", empty)
    assert streamed({}, "x", pa.table({})) == reference({}, "x", pa.table({}))


@pytest.mark.parametrize("value", [date(2026, 1, 2), datetime(2026, 1, 2, 3, tzinfo=UTC)])
def test_values_json_cannot_hold_fail_as_in_json_dumps(value):
    table = pa.table({"when": [value]})
    with pytest.raises(TypeError) as expected:
        reference({}, "t", table)
    with pytest.raises(TypeError) as got:
        streamed({}, "t", table)
    assert str(got.value) == str(expected.value)


def test_random_tables_match(tmp_path):
    rnd = random.Random(7)
    alphabet = "aäß\"\\\n\t%{}[],: 😀\x01"
    for _ in range(30):
        n = rnd.randrange(0, 40)
        def text():
            return None if rnd.random() < 0.2 else "".join(
                rnd.choice(alphabet) for _ in range(rnd.randrange(0, 8)))
        table = pa.table({
            "s": [text() for _ in range(n)],
            "i": [rnd.choice([None, rnd.randrange(-10**12, 10**12)]) for _ in range(n)],
            "f": [rnd.choice([None, rnd.uniform(-1e6, 1e6), 1e22, 5e-324]) for _ in range(n)],
            "l": [[text() for _ in range(rnd.randrange(0, 3))] for _ in range(n)],
            "st": [{"k": text(), "v": rnd.randrange(5)} for _ in range(n)],
        })
        path = write_table_document(tmp_path / "t.json", META, "listings", table)
        assert path.read_bytes() == reference(META, "listings", table).encode("utf-8")


def test_nested_value_at_any_indentation():
    value = {"a": [1, {"b": [], "c": {}}, "x\ny"], "d": None, "e": [[True, False]]}
    for pad in ("\n", "\n ", "\n   "):
        assert json_indent_1(value, pad) == \
            json.dumps(value, ensure_ascii=False, indent=1).replace("\n", pad)
    assert json_indent_1({1: "int key"}) == json.dumps({1: "int key"}, indent=1)


def random_value(rnd: random.Random, depth: int = 0):
    kinds = ["s", "n", "i", "b", "f"] + (["l", "d"] if depth < 4 else [])
    kind = rnd.choice(kinds)
    if kind == "s":
        return "".join(rnd.choice("aü\"\\\n\x02%😀 ") for _ in range(rnd.randrange(4)))
    if kind == "n":
        return None
    if kind == "i":
        return rnd.randrange(-10**20, 10**20)
    if kind == "b":
        return rnd.random() < 0.5
    if kind == "f":
        return rnd.choice([rnd.uniform(-1e3, 1e3), float("nan"), float("-inf"), 1e-300])
    if kind == "l":
        return [random_value(rnd, depth + 1) for _ in range(rnd.randrange(4))]
    return {f"k{rnd.randrange(9)}": random_value(rnd, depth + 1) for _ in range(rnd.randrange(4))}


def test_random_nested_values_match_json_dumps():
    rnd = random.Random(11)
    for _ in range(500):
        value = random_value(rnd)
        pad = rnd.choice(["\n", "\n ", "\n  "])
        assert json_indent_1(value, pad) == \
            json.dumps(value, ensure_ascii=False, indent=1).replace("\n", pad)


def test_duplicate_columns_and_meta_stem_are_refused():
    with pytest.raises(ValueError):
        streamed({}, "meta", MIXED)
    twice = pa.Table.from_arrays([pa.array(["a"]), pa.array(["b"])], names=["x", "x"])
    with pytest.raises(ValueError):
        streamed({}, "t", twice)


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


def test_file_bytes_are_utf8_without_escapes(tmp_path):
    table = pa.table({"name": ["Selbsthilfe für Angehörige"]})
    path = write_table_document(tmp_path / "x.json", {}, "listings", table)
    assert "für Angehörige".encode() in path.read_bytes()
    assert Path(path).read_bytes() == reference({}, "listings", table).encode("utf-8")
