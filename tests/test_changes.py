"""`changes.json`: added, changed (with the fields) and removed listings between releases."""

import copy
import json
import shutil
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from flows.pipeline import run_all
from schema.registry import load_registry
from tests.conftest import ROOT
from warehouse.changes import write_changes


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
    document = json.loads((folder / "listings.json").read_text("utf-8"))
    rows = document["listings"]
    removed = rows.pop(0)
    renamed, touched = rows[0], rows[1]
    renamed["name"] += " (neu)"
    renamed["city"] = "Bochum"
    renamed["fetched_at"] = "2026-11-24T03:00:00Z"
    for column in ("fetched_at", "verified_at", "changed_at"):
        touched[column] = "2030-01-01T00:00:00Z"  # bookkeeping only: not a change
    added = copy.deepcopy(rows[2]) | {"id": "00000000-0000-0000-0000-000000000000"}
    rows.append(added)
    (folder / "listings.json").write_text(json.dumps(document), "utf-8")

    path = write_changes(None, folder, ctx(release))
    text = path.read_text("utf-8")
    doc = json.loads(text)
    assert doc["added"] == [added["id"]]
    assert doc["removed"] == [removed["id"]]
    assert doc["changed"] == [{"id": renamed["id"], "fields": ["name", "city"]}]
    assert write_changes(None, folder, ctx(release)).read_text("utf-8") == text  # deterministic
