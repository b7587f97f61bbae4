"""SHA256SUMS (checked by the real `sha256sum -c`), history.json order, pruning."""

import shutil
import subprocess

import pytest

from flows.pipeline import run_all
from schema.registry import load_registry
from tests.conftest import ROOT
from warehouse.release.integrity import (
    latest_run_id,
    releases_beyond,
    remove_releases,
    write_sha256sums,
)
from warehouse.release.switch import history_with


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("integrity")
    run_all(load_registry(ROOT / "sources.toml"), source_ids=["herne", "nakos-rot"],
            replay=ROOT / "snapshots", data_dir=tmp / "data", public_dir=tmp / "public")
    return (tmp / "public" / "latest").resolve()


def sha256sum_check(folder):
    return subprocess.run(["sha256sum", "-c", "--strict", "SHA256SUMS"], cwd=folder,
                          capture_output=True, text=True)


def test_sha256sums_pass_and_detect_tampering(release, tmp_path):
    folder = tmp_path / "release"
    shutil.copytree(release, folder)
    (folder / "extra").mkdir()
    (folder / "extra" / "notes.txt").write_text("nested file\n", "utf-8")
    path = write_sha256sums(folder)
    lines = path.read_text("utf-8").splitlines()
    names = [line.split("  ", 1)[1] for line in lines]
    assert names == sorted(names) and "SHA256SUMS" not in names
    assert {"listings.csv", "listings.json", "listings.parquet", "atlas.duckdb",
            "extra/notes.txt"} <= set(names)
    ok = sha256sum_check(folder)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert write_sha256sums(folder).read_text("utf-8") == "\n".join(lines) + "\n"

    csv_file = folder / "listings.csv"
    csv_file.write_bytes(csv_file.read_bytes().replace(b"Herne", b"Hxrne", 1))
    bad = sha256sum_check(folder)
    assert bad.returncode != 0 and "listings.csv: FAILED" in bad.stdout


def entry(run_id, rows=1):
    return {"run_id": run_id, "generated": run_id[:16], "counts": {"listings": rows},
            "path": f"releases/{run_id}/"}


def test_history_is_newest_first_and_replaces_same_run():
    history = []
    for run in ("20261122T030000Z-aaaa", "20261124T030000Z-cccc", "20261123T030000Z-bbbb"):
        history = history_with(history, entry(run))
    history = history_with(history, entry("20261123T030000Z-bbbb", rows=7))
    assert [e["run_id"] for e in history] == ["20261124T030000Z-cccc", "20261123T030000Z-bbbb",
                                              "20261122T030000Z-aaaa"]
    assert history[1]["counts"] == {"listings": 7}
    with pytest.raises(ValueError, match="run_id"):
        history_with(history, {"counts": {}})


def make_releases(public, runs):
    for run in runs:
        (public / "releases" / run).mkdir(parents=True)
        (public / "releases" / run / "listings.csv").write_text("id\n", "utf-8")


def test_prune_keeps_newest_n(tmp_path):
    runs = [f"2026112{d}T030000Z-000{d}" for d in range(1, 6)]
    make_releases(tmp_path, runs)
    (tmp_path / "latest").symlink_to(f"releases/{runs[-1]}")
    removed = releases_beyond(tmp_path, keep=2, protect={latest_run_id(tmp_path)})
    assert removed == [runs[2], runs[1], runs[0]]
    remove_releases(tmp_path, removed)
    assert sorted(p.name for p in (tmp_path / "releases").iterdir()) == runs[3:]
    assert releases_beyond(tmp_path, keep=2, protect=set()) == []
    with pytest.raises(ValueError, match="keep"):
        releases_beyond(tmp_path, keep=0, protect=set())


def test_prune_never_removes_latest(tmp_path):
    runs = [f"2026112{d}T030000Z-000{d}" for d in range(1, 5)]
    make_releases(tmp_path, runs)
    # latest still on an old release (e.g. newer ones were published, then rolled back)
    (tmp_path / "latest").symlink_to(f"releases/{runs[0]}")
    assert latest_run_id(tmp_path) == runs[0]
    removed = releases_beyond(tmp_path, keep=1, protect={latest_run_id(tmp_path)})
    assert removed == [runs[2], runs[1]]
    remove_releases(tmp_path, removed)
    assert sorted(p.name for p in (tmp_path / "releases").iterdir()) == [runs[0], runs[3]]
    assert (tmp_path / "latest" / "listings.csv").is_file()
