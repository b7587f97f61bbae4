"""`changes.json`: added, changed (with the fields) and removed listings between releases."""

import copy
import json
import random
import shutil
from datetime import UTC, datetime
from types import SimpleNamespace

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flows.pipeline import run_all
from schema.registry import load_registry
from tests.conftest import ROOT
from warehouse.release.changes import IGNORED, write_changes


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("changes")
    run_all(load_registry(ROOT / "sources.toml"), source_ids=["herne", "nakos-rot"],
            replay=ROOT / "snapshots", data_dir=tmp / "data", public_dir=tmp / "public")
    return (tmp / "public" / "latest").resolve()


def ctx(previous, run_id="20261124T030000Z-beef"):
    return SimpleNamespace(run_id=run_id, generated=datetime(2026, 11, 24, 3, tzinfo=UTC),
                           previous=previous, base_url="https://example.org/",
                           public=None)


def test_first_release_has_everything_added(release, tmp_path):
    folder = tmp_path / "new"
    shutil.copytree(release, folder)
    path = write_changes(None, folder, ctx(None))
    doc = json.loads(path.read_text("utf-8"))
    ids = [r["id"] for r in json.loads((release / "listings.json").read_text())["listings"]]
    assert doc["from"] is None and doc["to"] == "20261124T030000Z-beef"
    assert doc["generated"] == "2026-11-24T03:00:00Z"
    assert doc["added"] == sorted(ids) and len(ids) == 13
    assert doc["changed"] == [] and doc["removed"] == []


def test_unchanged_release_reports_nothing(release, tmp_path):
    folder = tmp_path / "new"
    shutil.copytree(release, folder)
    doc = json.loads(write_changes(None, folder, ctx(release)).read_text("utf-8"))
    assert doc["from"] == release.name
    assert (doc["added"], doc["changed"], doc["removed"]) == ([], [], [])


def test_added_changed_removed_and_bookkeeping_ignored(release, tmp_path):
    folder = tmp_path / "new"
    shutil.copytree(release, folder)
    table = pq.read_table(folder / "listings.parquet")
    rows = table.to_pylist()
    removed = rows.pop(0)
    renamed, touched = rows[0], rows[1]
    renamed["name"] += " (neu)"
    renamed["city"] = "Bochum"
    renamed["fetched_at"] = "2026-11-24T03:00:00Z"
    for column in ("fetched_at", "verified_at", "changed_at"):
        touched[column] = "2030-01-01T00:00:00Z"  # bookkeeping only: not a change
    added = copy.deepcopy(rows[2]) | {"id": "00000000-0000-0000-0000-000000000000"}
    rows.append(added)
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), folder / "listings.parquet")

    path = write_changes(None, folder, ctx(release))
    text = path.read_text("utf-8")
    doc = json.loads(text)
    assert doc["added"] == [added["id"]]
    assert doc["removed"] == [removed["id"]]
    assert doc["changed"] == [{"id": renamed["id"], "fields": ["name", "city"]}]
    assert write_changes(None, folder, ctx(release)).read_text("utf-8") == text  # deterministic


# The SQL join against the plain comparison of the decoded rows as dicts


def dict_diff(new_rows: list[dict], old_rows: list[dict] | None) -> dict:
    """What changes.json reports when both tables are compared as dicts (a missing column is
    null, columns in the new table's order, then the old one's)."""
    def rows(table):
        return {row["id"]: row for row in table or []}, list(table[0]) if table else []
    new, columns = rows(new_rows)
    old, old_columns = rows(old_rows)
    columns += [c for c in old_columns if c not in columns]
    changed = [{"id": i, "fields": [c for c in columns
                                    if c not in IGNORED and old[i].get(c) != new[i].get(c)]}
               for i in sorted(new.keys() & old.keys())]
    return {"added": sorted(new.keys() - old.keys()),
            "changed": [c for c in changed if c["fields"]],
            "removed": sorted(old.keys() - new.keys())}


#: Column -> the values it may hold (one type per column, as in a Parquet file).
VALUES = {"name": [None, "a", "b", "", "ü", "\x00n1"], "city": [None, "Herne", "herne"],
          "x": [None, 0, 1, -1, 2**53 + 1], "y": [None, 2.5, -0.0, 0.0, 1e-300],
          "z": [None, True, False], "fetched_at": ["2026-01-01", "2026-01-02"],
          "changed_at": [None, "2026-01-03"]}


def random_rows(rnd: random.Random, n: int, columns: list[str]) -> list[dict]:
    ids = rnd.sample(range(2 * n + 1), n)
    return [{"id": f"id-{i}"} | {c: rnd.choice(VALUES[c]) for c in columns} for i in ids]


def write_parquet(folder, rows: list[dict], columns: list[str]) -> None:
    folder.mkdir()
    schema = pa.schema([("id", pa.string())] + [
        (c, pa.Table.from_pylist([{c: v} for v in VALUES[c] if v is not None]).schema[0].type)
        for c in columns])
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), folder / "listings.parquet")


def test_changes_match_the_dict_comparison(tmp_path):
    rnd = random.Random(3)
    for trial in range(40):
        n = rnd.choice([0, 1, 3, 40, 500])
        old_columns = rnd.sample(["name", "city", "fetched_at", "x", "y"], 3)
        new_columns = rnd.sample(["name", "city", "changed_at", "x", "z"], 3)
        old, new = random_rows(rnd, n, old_columns), random_rows(rnd, n, new_columns)
        write_parquet(tmp_path / f"old{trial}", old, old_columns)
        write_parquet(tmp_path / f"new{trial}", new, new_columns)
        previous = tmp_path / f"old{trial}" if trial % 5 else None
        got = json.loads(write_changes(None, tmp_path / f"new{trial}",
                                       ctx(previous)).read_text("utf-8"))
        expected = dict_diff(new, old if previous else None)
        assert {k: got[k] for k in ("added", "changed", "removed")} == expected, trial


def test_removed_entities_redirect_to_the_end_of_their_merges(tmp_path):
    """a was merged into b and b into c: both point at c; d and e merged into each other (a
    cycle) have no entity to point at; f was removed without a merge."""
    a, b, c, d, e, f = (f"00000000-0000-0000-0000-00000000000{n}" for n in range(1, 7))
    for side, ids in (("old", [a, b, c, d, e, f]), ("new", [c])):
        (tmp_path / side).mkdir()
        pq.write_table(pa.table({"id": ids, "name": ["x"] * len(ids)}),
                       tmp_path / side / "groups.parquet")
        pq.write_table(pa.table({"id": pa.array([], pa.string())}),
                       tmp_path / side / "listings.parquet")
    with duckdb.connect() as con:
        con.execute("CREATE TABLE entities (entity_id UUID, retired_into UUID)")  # as link.sql's
        con.executemany("INSERT INTO entities VALUES (?, ?)",
                        [[a, b], [b, c], [c, None], [d, e], [e, d], [f, None]])
        path = write_changes(con, tmp_path / "new", ctx(tmp_path / "old"), ("groups",))
    groups = json.loads(path.read_text("utf-8"))["entities"]["groups"]
    assert groups["removed"] == [a, b, d, e, f]
    assert groups["retired_into"] == {a: c, b: c}


def test_a_column_whose_type_changed_is_compared_by_value(tmp_path):
    for side, values in (("old", pa.array([1, None], pa.int64())), ("new", pa.array(["1", None]))):
        (tmp_path / side).mkdir()
        pq.write_table(pa.table({"id": ["a", "b"], "n": values}),
                       tmp_path / side / "listings.parquet")
    doc = json.loads(write_changes(None, tmp_path / "new", ctx(tmp_path / "old"))
                     .read_text("utf-8"))
    assert doc["changed"] == [{"id": "a", "fields": ["n"]}]
