"""Every started run is reported: a warehouse held by another process (a researcher's
read-only connection, in a real second process), a corrupt warehouse file, a full disk
(the kernel's own ENOSPC: the write-ahead log is /dev/full) and a second `shg run` on the
same data folder each end the run with a run-level failure class in `run-report.json`, exit
code 4, and a FAIL line from `shg health`; a reader that lets go within the wait is waited
for. Nothing committed before is lost."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from flows.cli import main
from flows.pipeline import run_all
from flows.report import exit_code
from schema.registry import load_registry
from tests.conftest import ROOT

REGISTRY = str(ROOT / "sources.toml")
SNAPSHOTS = ROOT / "snapshots"


@pytest.fixture(scope="module")
def first(tmp_path_factory) -> Path:
    """Data and public folders after one complete replay of herne."""
    tmp = tmp_path_factory.mktemp("start")
    report = run_all(load_registry(REGISTRY), source_ids=["herne"], replay=SNAPSHOTS,
                     data_dir=tmp / "data", public_dir=tmp / "public")
    assert report["status"] == "ok" and report["failure_class"] is None
    return tmp


@pytest.fixture
def work(first, tmp_path) -> Path:
    shutil.copytree(first, tmp_path / "work", symlinks=True)
    return tmp_path / "work"


def run(work: Path, lock_wait: float = 0.5) -> dict:
    return run_all(load_registry(REGISTRY), source_ids=["herne"], replay=SNAPSHOTS,
                   data_dir=work / "data", public_dir=work / "public", lock_wait=lock_wait)


def health(capsys, work: Path) -> tuple[int, list[str]]:
    code = main(["--registry", REGISTRY, "health", "--data-dir", str(work / "data"),
                 "--public-dir", str(work / "public")])
    return code, capsys.readouterr().out.splitlines()


def listings(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT * FROM listings ORDER BY id").fetchall()


def on_disk(work: Path) -> dict:
    return json.loads((work / "data" / "run-report.json").read_text("utf-8"))


def reader(db: Path, hold: float | None = None) -> subprocess.Popen:
    """A researcher's read-only connection in another process: open until its stdin closes,
    or for `hold` seconds."""
    script = ("import duckdb, sys, time\n"
              "con = duckdb.connect(sys.argv[1], read_only=True)\n"
              "con.execute('SELECT count(*) FROM listings').fetchall()\n"
              "print('open', flush=True)\n"
              "if len(sys.argv) > 2:\n"
              "    time.sleep(float(sys.argv[2]))\n"
              "    con.close()\n"
              "    print('closed', flush=True)\n"
              "sys.stdin.readline()\n")
    proc = subprocess.Popen([sys.executable, "-c", script, str(db),
                             *([str(hold)] if hold is not None else [])],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "open\n"
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.stdin.close()
    proc.wait(timeout=30)


def test_a_reader_holding_the_warehouse_fails_the_run_as_warehouse_locked(work, capsys):
    db = work / "data" / "atlas.duckdb"
    kept = listings(db)
    holder = reader(db)
    try:
        report = run(work, lock_wait=0.5)
        assert (report["status"], report["failure_class"]) == ("failed", "warehouse_locked")
        assert f"(PID {holder.pid}, " in report["reason"]
        assert report["reason"].endswith("(waited 0.5 s)")
        assert "public/latest/atlas.duckdb" in report["reason"]  # what to query instead
        assert "\n" not in report["reason"] and report["sources"] == {}
        assert on_disk(work) == json.loads(json.dumps(report, default=str))
        assert exit_code(report) == 4
        code, lines = health(capsys, work)
        assert code == 1
        assert lines == [f"FAIL run {report['run_id']}: [warehouse_locked] {report['reason']}"]
    finally:
        stop(holder)
    assert listings(db) == kept
    again = run(work)
    assert (again["status"], again["failure_class"]) == ("ok", None)
    assert health(capsys, work)[0] == 0


def test_a_reader_that_lets_go_within_the_wait_is_waited_for(work):
    holder = reader(work / "data" / "atlas.duckdb", hold=1.0)
    try:
        report = run(work, lock_wait=120)
        assert holder.stdout.readline() == "closed\n"
    finally:
        stop(holder)
    assert (report["status"], report["failure_class"]) == ("ok", None)
    assert report["sources"]["herne"]["status"] == "ok"


def test_a_corrupt_warehouse_is_reported(work, capsys):
    db = work / "data" / "atlas.duckdb"
    garbage = b"\x00not a duckdb file\xff" * 4096
    db.write_bytes(garbage)
    report = run(work)
    assert (report["status"], report["failure_class"]) == ("failed", "warehouse_corrupt")
    assert report["reason"] == (f"{db} cannot be read: IO Error: The file \"{db}\" exists, "
                                "but it is not a valid DuckDB database file!")
    assert on_disk(work)["failure_class"] == "warehouse_corrupt" and exit_code(report) == 4
    assert db.read_bytes() == garbage  # left as it was, for whoever repairs it
    code, lines = health(capsys, work)
    assert code == 1
    assert lines[0].startswith(f"FAIL warehouse: cannot read {db}: ")
    assert lines[1] == f"FAIL run {report['run_id']}: [warehouse_corrupt] {report['reason']}"
    assert len(lines) == 2  # the release is still fine


def test_a_full_disk_is_reported_and_loses_nothing(work, capsys):
    """DuckDB's write-ahead log goes to /dev/full, whose every write fails with ENOSPC in
    the kernel: DuckDB's own writes fail as on a full disk, while the run report (another
    file) can still be written, as when the warehouse's disk is the full one."""
    db = work / "data" / "atlas.duckdb"
    kept = listings(db)
    wal = db.with_name("atlas.duckdb.wal")
    wal.symlink_to("/dev/full")
    try:
        report = run(work)
    finally:
        wal.unlink()
    assert (report["status"], report["failure_class"]) == ("failed", "disk_full")
    assert report["reason"].startswith(f"no space left for {db}: ")
    assert "No space left on device" in report["reason"] and "\n" not in report["reason"]
    assert on_disk(work)["failure_class"] == "disk_full" and exit_code(report) == 4
    assert listings(db) == kept
    code, lines = health(capsys, work)
    assert code == 1
    assert lines == [f"FAIL run {report['run_id']}: [disk_full] {report['reason']}"]


def test_a_second_shg_run_refuses_at_once(work, capsys):
    """A real `shg run` holds the data folder; a second one on the same folder returns 4
    while the first is still running, before any Prefect server (the first waits for its
    own), and the first then ends normally."""
    data, public = work / "data", work / "public"
    command = ["--registry", REGISTRY, "--data", str(data), "run", "--replay", str(SNAPSHOTS),
               "--source", "herne", "--public", str(public)]
    first = subprocess.Popen([str(Path(sys.executable).with_name("shg")), *command],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lock = data / "run.lock"
        deadline = time.monotonic() + 120
        while not (lock.exists() and lock.read_text().strip() == str(first.pid)):
            assert first.poll() is None, first.stdout.read()
            assert time.monotonic() < deadline, "the first run never took the lock"
            time.sleep(0.05)
        code = main(command)
        assert first.poll() is None  # refused while the first runs: it did not wait
        err = capsys.readouterr().err
        assert code == 4
        assert err == (f"shg: run did not start [run_in_progress]: another run (pid "
                       f"{first.pid}) holds {lock}: this run did not start\n")
        refused = on_disk(work)
        assert (refused["status"], refused["failure_class"]) == ("failed", "run_in_progress")
        assert refused["sources"] == {}
        out, _ = first.communicate(timeout=600)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, out
    assert (on_disk(work)["status"], on_disk(work)["failure_class"]) == ("ok", None)
    code, lines = health(capsys, work)
    assert code == 0, lines


def test_a_run_that_never_finished_is_a_problem(work, capsys):
    """A run leaves a `running` report when it starts: one killed, or whose disk filled up
    before its final report could be written (a 1 MB tmpfs did that: DuckDB's checkpoint
    and the report both failed with ENOSPC), stays so, with its process gone."""
    report = on_disk(work)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(gone.stdout)
    path = work / "data" / "run-report.json"
    path.write_text(json.dumps(report | {"status": "running", "pid": pid}), "utf-8")
    code, lines = health(capsys, work)
    assert (code, lines) == (1, [f"FAIL run {report['run_id']}: started {report['started_at']} "
                                 f"and never finished (process {pid} gone: killed, or no "
                                 "space left for its report)"])
    path.write_text(json.dumps(report | {"status": "running", "pid": os.getpid()}), "utf-8")
    assert health(capsys, work)[0] == 0  # still running


def test_exit_codes():
    ok = {"status": "ok", "failure_class": None, "publish_error": None}
    assert exit_code(ok) == 0
    assert exit_code(ok | {"status": "partial"}) == 1
    assert exit_code(ok | {"status": "failed"}) == 1  # every source failed, release published
    assert exit_code(ok | {"status": "failed", "publish_error": "publish failed, latest "
                                                                "release kept: disk full"}) == 3
    assert exit_code(ok | {"status": "failed", "failure_class": "disk_full"}) == 4
