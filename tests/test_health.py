"""`shg health`: one line per problem and exit 1, or one OK line and exit 0 — read from a
warehouse and `public/` built by real runs: a replay of herne and hamm, then herne failing
twice in a row against a closed port."""

import json
import shutil
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flows.cli import main
from flows.health import release_problems, source_problems
from flows.pipeline import run_all
from schema.registry import load_registry
from tests.conftest import ROOT
from warehouse.storage.runs import SourceHealth

REGISTRY = str(ROOT / "sources.toml")


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("health")
    registry = load_registry(REGISTRY)
    kw = {"data_dir": tmp / "data", "public_dir": tmp / "public"}
    run_all(registry, source_ids=["herne", "hamm"], replay=ROOT / "snapshots", **kw)
    dead = {"https://www.herne.de": closed_port()}
    run_all(registry, source_ids=["herne"], rewrite=dead, **kw)
    (tmp / "after-one").mkdir()
    shutil.copy(tmp / "data" / "atlas.duckdb", tmp / "after-one" / "atlas.duckdb")
    last = run_all(registry, source_ids=["herne"], rewrite=dead, **kw)
    assert last["sources"]["herne"]["failure_class"] == "refused"
    return tmp


def health(capsys, *args: str) -> tuple[int, list[str]]:
    code = main(["--registry", REGISTRY, "health", *args])
    return code, capsys.readouterr().out.splitlines()


def test_a_source_failing_n_runs_in_a_row_is_one_line(world, capsys):
    code, lines = health(capsys, "--data-dir", str(world / "data"),
                         "--public-dir", str(world / "public"), "--max-failures", "2")
    assert code == 1
    assert lines == ["FAIL source herne: failed 2 runs in a row [refused] refused: "
                     "ConnectError: All connection attempts failed "
                     "(https://www.herne.de/robots.txt)"]


def test_below_the_threshold_is_ok(world, capsys):
    latest = json.loads((world / "public" / "latest.json").read_text("utf-8"))
    code, lines = health(capsys, "--data-dir", str(world / "after-one"),
                         "--public-dir", str(world / "public"), "--max-failures", "2")
    assert code == 0 and len(lines) == 1
    assert lines[0].startswith("OK 2 sources, none failed 2 runs in a row; latest ")
    assert f"latest {latest['run_id']} is 0 h old" in lines[0]
    code, _ = health(capsys, "--data-dir", str(world / "data"),  # default threshold: 3
                     "--public-dir", str(world / "public"))
    assert code == 0


def test_a_stale_latest_is_a_problem(world, tmp_path, capsys):
    public = tmp_path / "public"
    public.mkdir()
    (public / "releases").symlink_to(world / "public" / "releases")
    (public / "latest").symlink_to((world / "public" / "latest").resolve())
    shutil.copy(world / "public" / "history.json", public / "history.json")
    latest = json.loads((world / "public" / "latest.json").read_text("utf-8"))
    latest.pop("confirmed", None)  # never confirmed since: 40 h old
    generated = (datetime.now(UTC) - timedelta(hours=40)).strftime("%Y-%m-%dT%H:%M:%SZ")
    (public / "latest.json").write_text(json.dumps(latest | {"generated": generated}))
    code, lines = health(capsys, "--data-dir", str(world / "after-one"),
                         "--public-dir", str(public))
    assert code == 1
    assert lines == [f"FAIL release: latest is 40 h old (generated {generated}, limit 36 h)"]
    code, _ = health(capsys, "--data-dir", str(world / "after-one"),
                     "--public-dir", str(public), "--max-age-hours", "48")
    assert code == 0


def test_nothing_there_is_two_clear_lines(tmp_path, capsys):
    code, lines = health(capsys, "--data-dir", str(tmp_path / "data"),
                         "--public-dir", str(tmp_path / "public"))
    assert code == 1
    assert lines == [f"FAIL warehouse: no {tmp_path / 'data' / 'atlas.duckdb'}: no run has "
                     f"finished here",
                     f"FAIL release: no {tmp_path / 'public' / 'latest.json'}: nothing "
                     f"published yet"]


def test_sources_no_longer_in_the_registry_are_not_checked(world, tmp_path, capsys):
    text = Path(REGISTRY).read_text("utf-8")
    hamm_only = "[[source]]" + next(b for b in text.split("[[source]]") if 'id = "hamm"' in b)
    (tmp_path / "sources.toml").write_text(hamm_only, "utf-8")
    code = main(["--registry", str(tmp_path / "sources.toml"), "health", "--data-dir",
                 str(world / "data"), "--public-dir", str(world / "public"),
                 "--max-failures", "1"])
    assert code == 0, capsys.readouterr().out
    assert capsys.readouterr().out.startswith("OK 1 sources")


def test_a_warehouse_locked_by_a_running_pipeline_is_not_an_alarm(world):
    """A nightly run holds the write lock for its whole length; `shg health` polled by a
    monitor meanwhile checks the release and says it could not read the sources."""
    import duckdb

    writer = duckdb.connect(str(world / "data" / "atlas.duckdb"))
    try:
        done = subprocess.run(
            [str(Path(sys.executable).with_name("shg")), "--registry", REGISTRY, "health",
             "--data-dir", str(world / "data"), "--public-dir", str(world / "public"),
             "--max-failures", "1"], capture_output=True, text=True, timeout=60)
    finally:
        writer.close()
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("OK sources not checked: warehouse in use by a running "
                                  "pipeline; latest ")


def test_pure_checks(tmp_path):
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    status = {"herne": SourceHealth("failed", "timeout", "herne: no answer", now, 3, None, 0),
              "hamm": SourceHealth("failed", "http_error", "x", now, 2, None, 0)}
    assert source_problems(status, 3) == [
        "FAIL source herne: failed 3 runs in a row [timeout] no answer"]
    assert len(source_problems(status, 2)) == 2
    (tmp_path / "releases" / "r1").mkdir(parents=True)
    fresh = {"generated": "2026-11-23T03:30:00Z", "release": "releases/r1/"}
    assert release_problems(fresh, tmp_path, now, timedelta(hours=36)) == []
    assert release_problems(fresh | {"release": "releases/r0/"}, tmp_path, now,
                            timedelta(hours=36)) == [
        "FAIL release: latest.json names releases/r0/, which is missing"]
    assert release_problems({}, tmp_path, now, timedelta(hours=36)) == [
        f"FAIL release: {tmp_path / 'latest.json'} has no readable 'generated' time"]
    assert release_problems(fresh, tmp_path, now + timedelta(hours=30),
                            timedelta(hours=36)) == [
        "FAIL release: latest is 38 h old (generated 2026-11-23T03:30:00Z, limit 36 h)"]


def test_an_unreadable_warehouse_is_one_line(tmp_path, capsys):
    (tmp_path / "atlas.duckdb").write_bytes(b"not a database, a truncated copy")
    code, lines = health(capsys, "--data-dir", str(tmp_path), "--public-dir", str(tmp_path))
    assert code == 1
    assert lines[0].startswith(f"FAIL warehouse: cannot read {tmp_path / 'atlas.duckdb'}: ")
    assert len(lines) == 2 and lines[1].startswith("FAIL release: no ")
