"""`shg run` says how it goes on a terminal and keeps logs free of progress lines."""

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from flows import progress
from tests.conftest import ROOT

SOURCES = ["herne", "nakos-rot"]


def _shg_run(tmp: Path, terminal: bool) -> tuple[int, str]:
    """`shg run --replay snapshots` of SOURCES, its stdout and stderr on a pseudo-terminal
    or on a pipe; (exit code, what it wrote)."""
    args = [str(Path(sys.executable).with_name("shg")), "--data", str(tmp / "data"), "run",
            "--replay", "snapshots", "--public", str(tmp / "public")]
    args += [a for sid in SOURCES for a in ("--source", sid)]
    env = {k: v for k, v in os.environ.items() if k not in ("SHG_PROGRESS", "PREFECT_API_URL")}
    if not terminal:
        done = subprocess.run(args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
        return done.returncode, done.stdout.decode()
    main, sub = pty.openpty()
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=sub,
                            stderr=sub)
    os.close(sub)
    out, deadline = b"", time.monotonic() + 600
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(main, 65536)
                except OSError:  # EIO: every writer of the terminal has closed it
                    break
                if not chunk:
                    break
                out += chunk
            elif proc.poll() is not None:
                break
    finally:
        os.close(main)
        code = proc.wait(timeout=60)
    return code, out.decode().replace("\r\n", "\n")


def test_run_shows_progress_on_a_terminal_and_none_in_a_log(tmp_path):
    """`shg run` printed nothing for its first 10 s and then nothing per source; now a line
    at once, and per source started, pages, records and done, but only on a terminal."""
    code, shown = _shg_run(tmp_path / "terminal", terminal=True)
    assert code == 0, shown
    lines = shown.splitlines()
    assert "starting Prefect's temporary server…" in lines[0]
    for sid in SOURCES:
        events = [line.split(f" {sid}: ", 1)[1] for line in lines if f" {sid}: " in line]
        assert events[0] == "started", events
        assert any(e.endswith(" pages fetched") for e in events), events
        assert any(e.endswith(" records read") for e in events), events
        assert events[-1].startswith("done, ok: "), events
    assert "run " in shown and ": ok" in shown  # the report as before

    code, logged = _shg_run(tmp_path / "log", terminal=False)
    assert code == 0, logged
    assert "run " in logged  # the report, as before
    assert "Prefect's temporary server" not in logged
    for sid in SOURCES:
        assert f" {sid}: started" not in logged and f" {sid}: done" not in logged


def test_progress_follows_the_terminal_unless_told(monkeypatch, capsys):
    monkeypatch.delenv("SHG_PROGRESS", raising=False)
    progress.source("herne", "started")  # pytest's captured stderr is no terminal
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("SHG_PROGRESS", "1")
    progress.source("herne", "started")
    assert capsys.readouterr().err.endswith(" herne: started\n")
    monkeypatch.setenv("SHG_PROGRESS", "0")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    progress.source("herne", "started")
    assert capsys.readouterr().err == ""
