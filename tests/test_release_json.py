"""The release's JSON files, written without holding a table's rows as Python dicts:
the streamed text is byte for byte `json.dumps(document, ensure_ascii=False, indent=1)`."""

import json
import random
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest

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


def test_file_bytes_are_utf8_without_escapes(tmp_path):
    table = pa.table({"name": ["Selbsthilfe für Angehörige"]})
    path = write_table_document(tmp_path / "x.json", {}, "listings", table)
    assert "für Angehörige".encode() in path.read_bytes()
    assert Path(path).read_bytes() == reference({}, "listings", table).encode("utf-8")
