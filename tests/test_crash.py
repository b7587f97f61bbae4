"""Crash safety: the pipeline is SIGKILLed in a subprocess (tests/crash_driver.py) inside a
source's load transaction and in the middle of publishing, then run again.

After each kill the warehouse holds exactly the source runs committed before it (the killed
source's listings and history as its previous committed run left them), `public/latest` still
points at the previous release, complete and valid, and the next run completes normally.
A first complete run comes before every kill, so "previous" is never empty.
"""

import hashlib
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from flows.health import check
from schema.registry import load_registry
from tests.conftest import ROOT
from tests.replay_pages import SNAPSHOTS, archived_pages, replay_folder
from warehouse.release.integrity import read_history
from warehouse.release.publish import validate_release

REGISTRY = load_registry(ROOT / "sources.toml")
HTML_IDS = [s.id for s in REGISTRY.sources if s.kind == "html"]
#: What source runs write, compared whole before and after a kill (`runs` differs by the
#: killed run's row; linkage, which runs after the last source, is left to its own tests).
TABLES = ["listings", "listing_history", "source_runs", "raw_pages", "quarantine",
          "source_run_stats"]
VICTIM = "duesseldorf"  # killed mid-load: neither the first source nor the last


# ------------------------------------------------------------------------------ helpers

def driver(data: Path, public: Path, replay: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "tests.crash_driver", str(data), str(public), str(replay),
            *extra]


def run_to_end(work: Path, replay: Path) -> dict:
    done = subprocess.run(driver(work / "data", work / "public", replay), cwd=ROOT,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def kill_at(work: Path, replay: Path, stop: str) -> dict:
    """Start a run, wait until it reports being at `stop`, SIGKILL it; the driver's note."""
    marker, log = work / "marker.json", work / "driver.log"
    with log.open("w") as out:
        proc = subprocess.Popen(driver(work / "data", work / "public", replay, "--stop", stop,
                                       "--marker", str(marker)),
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 240
            while not marker.exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"driver never reached {stop}: {log.read_text()[-3000:]}")
                time.sleep(0.02)
            proc.send_signal(signal.SIGKILL)
            assert proc.wait(timeout=30) == -signal.SIGKILL
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return json.loads(marker.read_text("utf-8"))


def table_rows(db: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}


def run_rows(db: Path) -> dict[str, str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return dict(con.execute("SELECT run_id, status FROM runs").fetchall())


def without_run(rows: dict[str, list[tuple]], run_id: str) -> dict[str, list[tuple]]:
    """Every table's rows except those a run wrote (run_id is the first column where a table
    has one; listings carry the run that last changed them)."""
    return {t: [r for r in rs if run_id not in r[:1] and (t != "listings" or r[-1] != run_id)]
            for t, rs in rows.items()}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_valid_release(folder: Path) -> None:
    """Complete (SHA256SUMS lists exactly the files there, hashes match) and valid (both data
    packages pass Frictionless, as publish checks before a switch)."""
    listed = dict(reversed(line.split("  ", 1))
                  for line in (folder / "SHA256SUMS").read_text("utf-8").splitlines())
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert set(listed) == present - {"SHA256SUMS"}
    assert all(sha256(folder / name) == digest for name, digest in listed.items())
    validate_release(folder)


def assert_latest_is(public: Path, run_id: str) -> None:
    latest = public / "latest"
    assert latest.is_symlink() and latest.resolve() == (public / "releases" / run_id).resolve()
    assert_valid_release(latest.resolve())
    document = json.loads((public / "latest.json").read_text("utf-8"))
    assert document["run_id"] == run_id
    assert all(sha256(public / f["path"]) == f["sha256"] for f in document["files"].values())
    assert read_history(public)[0]["run_id"] == run_id


# ---------------------------------------------------------------------------- the runs

@pytest.fixture(scope="module")
def first(tmp_path_factory) -> Path:
    """A warehouse and public folder after one complete run of the bundled snapshot."""
    work = tmp_path_factory.mktemp("first")
    report = run_to_end(work, SNAPSHOTS)
    assert report["status"] == "ok"
    (work / "first.json").write_text(json.dumps(report), "utf-8")
    return work


def copy_of(first: Path, tmp_path: Path) -> tuple[Path, str, dict]:
    """A private copy of the first run's folders (symlinks kept), its run id and tables."""
    work = tmp_path / "work"
    shutil.copytree(first, work, symlinks=True)
    run_id = json.loads((work / "first.json").read_text("utf-8"))["run_id"]
    return work, run_id, table_rows(work / "data" / "atlas.duckdb")


def changed_site(folder: Path) -> Path:
    """The snapshot with Düsseldorf changed: one group renamed (an update), one group's
    TYPO3 uid changed (one new listing, one vanished)."""
    replaced = {}
    for url, body in archived_pages(VICTIM).items():
        new = body.replace(b"Gruppe Flingern<", b"Gruppe Flingern-Nord<")
        new = new.replace(b'id="c20441"', b'id="c29441"')
        if new != body:
            replaced[url] = new
    assert replaced
    return replay_folder(folder, HTML_IDS, replaced)


def test_kill_inside_a_source_transaction(first, tmp_path):
    work, first_run, before = copy_of(first, tmp_path)
    db, public = work / "data" / "atlas.duckdb", work / "public"
    replay = changed_site(work / "replay")
    note = kill_at(work, replay, f"load:{VICTIM}")
    killed = note["run_id"]
    done = [s.id for s in REGISTRY.sources[:[s.id for s in REGISTRY.sources].index(VICTIM)]]
    assert note["committed"] == done
    assert note["counts"]["updated"] >= 1 and note["counts"]["inserted"] == 1
    assert note["counts"]["vanished"] == 1  # the merge had written all of that when killed

    after = table_rows(db)
    with duckdb.connect(str(db), read_only=True) as con:
        committed = [r[0] for r in con.execute(
            "SELECT source_id FROM source_runs WHERE run_id = ?", [killed]).fetchall()]
        touched = con.execute("SELECT DISTINCT source_id FROM raw_pages WHERE run_id = ? "
                              "UNION SELECT DISTINCT source_id FROM source_run_stats "
                              "WHERE run_id = ?", [killed, killed]).fetchall()
    assert sorted(committed) == sorted(done)  # exactly what was committed, nothing of VICTIM
    assert {t[0] for t in touched} == set(done)
    assert without_run(after, killed) == before  # listings and history as the first run left
    assert after["listings"] == before["listings"]
    assert run_rows(db)[killed] == "running"
    assert_latest_is(public, first_run)
    assert not list(public.glob(".building-*"))
    # the report written when the run started says so until the next run
    started = json.loads((work / "data" / "run-report.json").read_text("utf-8"))
    assert (started["run_id"], started["status"]) == (killed, "running")
    assert [p for p in check(work / "data", public).problems if p.startswith("FAIL run")] \
        == [f"FAIL run {killed}: started {started['started_at']} and never finished (process "
            f"{started['pid']} gone: killed, or no space left for its report)"]

    again = run_to_end(work, replay)
    report = json.loads((work / "data" / "run-report.json").read_text("utf-8"))
    assert again["status"] == "ok"
    victim = report["sources"][VICTIM]
    # the same change, applied once, on the first run's rows: the killed merge left no trace
    assert {k: victim[k] for k in note["counts"]} == note["counts"]
    assert run_rows(db)[killed] == "aborted"
    assert_latest_is(public, again["run_id"])


@pytest.mark.parametrize("stop", ["publish:building", "publish:switch"])
def test_kill_while_publishing(first, tmp_path, stop):
    work, first_run, before = copy_of(first, tmp_path)
    db, public = work / "data" / "atlas.duckdb", work / "public"
    history = read_history(public)
    note = kill_at(work, SNAPSHOTS, stop)
    killed = note["run_id"]
    assert note["committed"] == REGISTRY.ids  # every source committed before publishing

    after = table_rows(db)
    assert after["listings"] == before["listings"]  # an unchanged snapshot: nothing changed
    assert without_run(after, killed) == before
    assert {r[1] for r in after["source_runs"] if r[0] == killed} == set(REGISTRY.ids)
    assert_latest_is(public, first_run)  # the previous release, complete and valid
    assert read_history(public) == history
    if stop == "publish:building":  # killed with half a release in the building folder
        building = Path(note["building"])
        assert building.is_dir() and not (building / "SHA256SUMS").exists()
        assert not (public / "releases" / killed).exists()
    else:  # killed with the new release complete and in place, `latest` not yet switched
        assert_valid_release(public / "releases" / killed)

    again = run_to_end(work, SNAPSHOTS)
    assert again["status"] == "ok"
    assert run_rows(db)[killed] == "aborted"
    assert_latest_is(public, again["run_id"])
    assert [h["run_id"] for h in read_history(public)] == [again["run_id"], first_run]
    # what the killed run left is named nowhere a reader looks
    assert killed not in (public / "latest.json").read_text("utf-8")
    changes = json.loads((public / "latest" / "changes.json").read_text("utf-8"))
    assert changes["from"] == first_run and killed not in json.dumps(changes)
    # and the next publish cleared the half-built folder, any unrenamed symlink and the
    # release that was never switched to
    assert not list(public.glob(".building-*")) and not list(public.glob(".latest-*"))
    assert not list(public.glob(".link-*")) and not list(public.glob(".current-*"))
    assert not (public / "releases" / killed).exists()
