"""Publish is one switch: whichever write of a publish fails (ENOSPC or EIO, injected at the
OS-level calls below), `latest`, `latest.json` and `history.json` afterwards agree and name
the previous release, `shg health` finds nothing wrong with them, and the next successful run
leaves no leftovers. `shg health` fails with one line when they disagree.

The calls are counted and failed by `WriteFaults`, which wraps `os`, `io.open` and the file
objects it returns; nothing of ours is replaced. pyarrow's and DuckDB's own C++ writers (the
Parquet and CSV tables, the snapshot) are not seen by it: their failures raise out of
publish like any other exception before the switch (`test_publish.py`).
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import io
import json
import os
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from flows.cli import main
from tests.conftest import ROOT
from tests.factories import listings, record, source
from warehouse.release.publish import publish
from warehouse.release.state import confirm_latest
from warehouse.storage.db import connect
from warehouse.storage.runs import SourceRun, begin_run, commit_source_run, upsert_sources

REGISTRY = str(ROOT / "sources.toml")


def _writes(flags: int) -> bool:
    return bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC))


class WriteFaults:
    """Counts the OS-level writes below `root` (opening for writing, writing, fsync, mkdir,
    rename, replace, symlink, unlink, rmdir) and fails the `fail_at`-th with `code`. With
    `lasting`, every later write fails too (a disk that stays full or broken); deletions
    still succeed for ENOSPC (they free space), not for EIO. A failing write leaves the first
    half of its data behind, as a full disk leaves a truncated file."""

    def __init__(self, root: Path, fail_at: int | None = None, code: int = errno.ENOSPC,
                 lasting: bool = False) -> None:
        self.root = str(root.resolve())
        self.fail_at, self.code, self.lasting = fail_at, code, lasting
        self.calls: list[tuple[str, str]] = []
        self.failed: tuple[str, str] | None = None

    def hit(self, op: str, path: str) -> None:
        if not (path == self.root or path.startswith(self.root + os.sep)):
            return
        self.calls.append((op, path))
        n = len(self.calls)
        if self.fail_at is None or n < self.fail_at:
            return
        deletion = op in ("unlink", "rmdir")
        if n == self.fail_at or (self.lasting and not (deletion and self.code == errno.ENOSPC)):
            self.failed = self.failed or (op, path)
            raise OSError(self.code, os.strerror(self.code), path)

    @staticmethod
    def where(path, dir_fd: int | None = None) -> str:
        if isinstance(path, int):  # a file descriptor
            return os.readlink(f"/proc/self/fd/{path}")
        path = os.fsdecode(path)
        if dir_fd is not None and not os.path.isabs(path):
            path = os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), path)
        folder, name = os.path.split(os.path.abspath(path))
        return os.path.join(os.path.realpath(folder), name)

    @contextlib.contextmanager
    def installed(self) -> Iterator[WriteFaults]:
        real = {name: getattr(os, name) for name in (
            "open", "write", "fsync", "mkdir", "rename", "replace", "symlink", "unlink",
            "remove", "rmdir")}
        real_open = io.open
        faults = self

        def os_open(path, flags, *args, dir_fd=None, **kw):
            if _writes(flags):
                faults.hit("open", faults.where(path, dir_fd))
            return real["open"](path, flags, *args, dir_fd=dir_fd, **kw)

        def one_path(name, position=0):
            def wrapped(*args, **kw):
                faults.hit(name, faults.where(args[position], kw.get("dir_fd")
                                              or kw.get("dst_dir_fd")))
                return real[name](*args, **kw)
            return wrapped

        def file_open(file, mode="r", *args, **kw):
            opened = real_open(file, mode, *args, **kw)
            if isinstance(file, int) or not any(c in mode for c in "wax+"):
                return opened
            path = faults.where(file)
            try:
                faults.hit("open", path)
            except OSError:
                opened.close()
                raise
            return _File(opened, faults, path)

        patched = {"open": os_open, "write": one_path("write"), "fsync": one_path("fsync"),
                   "mkdir": one_path("mkdir"), "rename": one_path("rename", 1),
                   "replace": one_path("replace", 1), "symlink": one_path("symlink", 1),
                   "unlink": one_path("unlink"), "remove": one_path("remove"),
                   "rmdir": one_path("rmdir")}
        try:
            for name, function in patched.items():
                setattr(os, name, function)
            io.open = builtins.open = file_open
            yield self
        finally:
            for name, function in real.items():
                setattr(os, name, function)
            io.open = builtins.open = real_open


class _File:
    """A file opened for writing whose `write` is one counted call."""

    def __init__(self, file, faults: WriteFaults, path: str) -> None:
        self._file, self._faults, self._path = file, faults, path

    def write(self, data):
        try:
            self._faults.hit("write", self._path)
        except OSError:
            self._file.write(data[: len(data) // 2])  # torn: what reached the disk
            self._file.flush()
            raise
        return self._file.write(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._file.close()

    def __iter__(self):
        return iter(self._file)

    def __getattr__(self, name):
        return getattr(self._file, name)


# ------------------------------------------------------------------------------ helpers

def named(public: Path) -> tuple[str | None, str | None, str | None]:
    """The release each of the three public names names (None: absent or unreadable)."""
    link = public / "latest"
    latest = history = None
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError, IndexError):
        latest = json.loads((public / "latest.json").read_text("utf-8"))["run_id"]
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError, IndexError):
        history = json.loads((public / "history.json").read_text("utf-8"))[0]["run_id"]
    return (link.resolve().name if link.exists() else None), latest, history


def leftovers(public: Path) -> list[str]:
    """Everything in `public` that no reader is meant to see: not one of the public names, a
    release the history names, or the switch and the one state folder it names."""
    history = {e["run_id"] for e in json.loads((public / "history.json").read_text("utf-8"))}
    expected = {"history.json", "latest", "latest.json", "releases"}
    expected |= {f"releases/{r}" for r in history}
    found = {p.relative_to(public).as_posix() for p in public.iterdir()}
    found |= {f"releases/{p.name}" for p in (public / "releases").iterdir()}
    if (public / "current").is_symlink():
        state = f"states/{Path(os.readlink(public / 'current')).name}"
        expected |= {"current", "states", state, f"{state}/latest.json",
                     f"{state}/history.json", f"{state}/release"}
        found |= {f"states/{p.name}" for p in (public / "states").iterdir()}
        found |= {f"{state}/{p.name}" for p in (public / state).iterdir()}
    return sorted(found - expected)


def health_lines(public: Path, now) -> list[str]:
    from flows.health import read_latest, release_problems, switch_problems

    latest = read_latest(public)
    return release_problems(latest, public, now, timedelta(hours=36)) + (
        switch_problems(latest, public) if latest else [])


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A warehouse with one open listing and a public folder holding release r1."""
    from datetime import UTC, datetime

    tmp = tmp_path_factory.mktemp("switch")
    now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    con = connect(tmp / "atlas.duckdb")
    upsert_sources(con, [source("herne")])
    begin_run(con, "r1", "live", now)
    commit_source_run(con, "r1", SourceRun("herne", now, now, listings=listings(record("1"))))
    publish(con, tmp / "pristine", "r1", now)
    yield con, tmp, now
    con.close()


def copy_public(tmp: Path, name: str) -> Path:
    public = tmp / name
    shutil.rmtree(public, ignore_errors=True)
    shutil.copytree(tmp / "pristine", public, symlinks=True)
    return public


def writes_of_a_publish(world) -> WriteFaults:
    """The writes a successful publish of r2 next to r1 makes, counted."""
    con, tmp, now = world
    public = copy_public(tmp, "count")
    with WriteFaults(public).installed() as faults:
        publish(con, public, "r2", now)
    assert named(public) == ("r2", "r2", "r2")
    return faults


# ------------------------------------------------------------------------------- tests

def next_run(con, public: Path, now, kind: str) -> str:
    """The next night on a repaired disk: a new release, or one that found nothing new and
    only confirms the latest (`warehouse.release.state.confirm_latest`)."""
    if kind == "publish":
        publish(con, public, "r3", now)
        return "r3"
    latest = json.loads((public / "latest.json").read_text("utf-8"))
    confirm_latest(public, latest, now + timedelta(days=1))
    return latest["run_id"]


@pytest.mark.timeout(600)
@pytest.mark.parametrize("code,lasting,then", [(errno.ENOSPC, False, "publish"),
                                               (errno.EIO, True, "confirm")],
                         ids=["ENOSPC-at-one-write", "EIO-from-one-write-on"])
def test_any_failing_write_leaves_all_three_on_one_release(world, code, lasting, then):
    """ENOSPC at the n-th write only, and EIO from the n-th write on (deletions failing
    too, so whatever the publish built stays behind), for every write of a publish; after
    each, a next run on a repaired disk (a new release, or a night with nothing new) cleans
    up."""
    con, tmp, now = world
    counted = writes_of_a_publish(world)
    calls = counted.calls
    cleaned = 0
    for n in range(1, len(calls) + 1):
        public = copy_public(tmp, "faulty")
        with WriteFaults(public, fail_at=n, code=code, lasting=lasting).installed() as faults:
            try:
                publish(con, public, "r2", now)
                published = "r2"
            except OSError as exc:
                assert exc.errno == code
                published = "r1"
        where = f"write {n} of {len(calls)}: {faults.failed}"
        assert faults.failed, where
        assert named(public) == (published,) * 3, where
        assert health_lines(public, now) == [], where
        left = leftovers(public)
        if left:
            cleaned += 1
            latest = next_run(con, public, now, then)
            assert named(public) == (latest,) * 3, where
            assert leftovers(public) == [], f"{where}: {left}"
            assert health_lines(public, now + timedelta(days=1)) == [], where
    assert cleaned, "no write left anything behind: the clean-up was never exercised"
    assert {op for op, _ in calls} == {"open", "write", "fsync", "mkdir", "rename", "replace",
                                       "symlink", "unlink", "rmdir"}


def test_the_next_run_removes_what_a_killed_publish_left(world):
    """A disk failing for good in the middle of a publish, then repaired: the half-built
    folder, a release built but never switched to, a half-written state folder and the
    temporary links all stay behind; the next publish removes them."""
    con, tmp, now = world
    public = copy_public(tmp, "killed")
    calls = writes_of_a_publish(world).calls
    # the first write into a state folder: the release is complete and in releases/
    first_state_write = next(i for i, (op, path) in enumerate(calls, 1)
                             if op == "open" and "/states/" in path)
    with WriteFaults(public, fail_at=first_state_write, code=errno.EIO, lasting=True
                     ).installed(), pytest.raises(OSError):
        publish(con, public, "r2", now)
    assert (public / "releases" / "r2").is_dir()  # EIO: not even the clean-up succeeded
    assert "releases/r2" in leftovers(public)
    (public / ".building-r9").mkdir()  # and what a SIGKILL while building leaves
    (public / ".latest-123").symlink_to("releases/r9")  # and the earlier layout's temp files
    (public / ".latest.json.123").write_text('{"run_id": "r', "utf-8")
    (public / ".history.json.123").write_text("[", "utf-8")
    assert named(public) == ("r1", "r1", "r1")
    publish(con, public, "r3", now)
    assert leftovers(public) == []
    assert [e["run_id"] for e in json.loads((public / "history.json").read_text("utf-8"))] \
        == ["r3", "r1"]


def test_an_earlier_layout_is_converted_keeping_latest_json_s_release(world):
    """A public folder written before the switch (latest a link into releases/, the two
    documents plain files), left as the old writer left it when the disk filled up between
    its steps: latest already on r2, latest.json and history.json on r1. The next publish
    keeps r1 as the previous release (what latest.json and the run report said)."""
    con, tmp, now = world
    public = tmp / "legacy"
    shutil.rmtree(public, ignore_errors=True)
    (public / "releases").mkdir(parents=True)
    pristine = tmp / "pristine"
    for run in ("r1", "r2"):
        shutil.copytree(pristine / "releases" / "r1", public / "releases" / run)
    (public / "latest").symlink_to("releases/r2")
    (public / "latest.json").write_text((pristine / "latest.json").read_text("utf-8"), "utf-8")
    (public / "history.json").write_text((pristine / "history.json").read_text("utf-8"),
                                         "utf-8")
    publish(con, public, "r3", now)
    assert named(public) == ("r3", "r3", "r3")
    history = json.loads((public / "history.json").read_text("utf-8"))
    assert [e["run_id"] for e in history] == ["r3", "r1"]
    assert all((public / name).is_symlink() for name in ("latest", "latest.json",
                                                          "history.json"))
    assert health_lines(public, now) == []


def health(capsys, public: Path, data: Path) -> tuple[int, list[str]]:
    code = main(["--registry", REGISTRY, "health", "--data-dir", str(data), "--public-dir",
                 str(public), "--max-age-hours", "1000000"])
    return code, capsys.readouterr().out.splitlines()


def test_health_fails_with_one_line_when_the_three_disagree(world, tmp_path, capsys):
    tmp = world[1]
    public = copy_public(tmp, "health")
    writes_of_a_publish(world)  # r2 next to r1 in the "count" copy
    shutil.copytree(tmp / "count" / "releases" / "r2", public / "releases" / "r2")
    data = tmp_path / "data"
    data.mkdir()
    connect(data / "atlas.duckdb").close()
    code, lines = health(capsys, public, data)
    assert code == 0 and lines[0].startswith("OK "), lines

    # what the old writer left when latest.json's write failed: latest on r2, the rest on r1
    os.replace(public / "latest", public / "latest.old")
    (public / "latest").symlink_to("releases/r2")
    code, lines = health(capsys, public, data)
    assert code == 1
    assert lines == ["FAIL release: latest, latest.json, history.json and SHA256SUMS "
                     "disagree: latest is releases/r2, latest.json names releases/r1/"]
    os.replace(public / "latest.old", public / "latest")

    history = public / "states" / Path(os.readlink(public / "current")).name / "history.json"
    entries = json.loads(history.read_text("utf-8"))
    history.write_text(json.dumps([{"run_id": "r0"}, *entries]), "utf-8")
    code, lines = health(capsys, public, data)
    assert (code, lines) == (1, ["FAIL release: latest, latest.json, history.json and "
                                 "SHA256SUMS disagree: history.json's newest release is r0, "
                                 "latest.json's r1"])
    history.write_text(json.dumps(entries), "utf-8")

    readme = public / "releases" / "r1" / "README.md"
    text = readme.read_text("utf-8")
    readme.write_text(text.replace("a", "b", 1), "utf-8")  # same size, other bytes
    code, lines = health(capsys, public, data)
    assert (code, lines) == (1, ["FAIL release: latest, latest.json, history.json and "
                                 "SHA256SUMS disagree: releases/r1/README.md does not match "
                                 "its checksum"])
    readme.write_text(text + "\n", "utf-8")
    code, lines = health(capsys, public, data)
    assert code == 1 and lines[0].endswith("releases/r1/README.md has "
                                           f"{len(text.encode()) + 1} bytes, latest.json says "
                                           f"{len(text.encode())}")
    readme.write_text(text, "utf-8")
    code, lines = health(capsys, public, data)
    assert code == 0, lines
