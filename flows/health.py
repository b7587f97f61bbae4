"""`shg health`: one line per problem, for any monitoring system. The checks are pure
functions over what `check` reads, so each rule is tested on its own."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import psutil

from warehouse.release.integrity import SUMS, read_sha256sums, sha256_file
from warehouse.storage.db import connect
from warehouse.storage.runs import SourceHealth, last_status


@dataclass
class Health:
    problems: list[str] = field(default_factory=list)  # "FAIL …" lines
    notes: list[str] = field(default_factory=list)  # what was checked, for the OK line

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        return self.problems or [f"OK {'; '.join(self.notes)}"]


def source_problems(status: dict[str, SourceHealth], max_failures: int) -> list[str]:
    """Sources whose last `max_failures` or more runs all failed (`source_health` view)."""
    out = []
    for sid, st in sorted(status.items()):
        n = st.consecutive_failures
        if n >= max_failures:
            reason = (st.reason or "").removeprefix(f"{sid}: ")  # named already
            out.append(f"FAIL source {sid}: failed {n} runs in a row "
                       f"[{st.failure_class}] {reason}")
    return out


def release_problems(latest: dict | None, public: Path, now: datetime, max_age: timedelta
                     ) -> list[str]:
    """`latest.json` missing, unreadable, naming a missing release, or too old."""
    if latest is None:
        return [f"FAIL release: no {public / 'latest.json'}: nothing published yet"]
    try:
        age = now - current_as_of(latest)
    except (KeyError, TypeError, ValueError):
        return [f"FAIL release: {public / 'latest.json'} has no readable 'generated' time"]
    out = []
    release = latest.get("release")
    if not release or not (public / release).is_dir():
        out.append(f"FAIL release: latest.json names {release}, which is missing")
    if age > max_age:
        confirmed = f", confirmed {latest['confirmed']}" if latest.get("confirmed") else ""
        limit = max_age.total_seconds() / 3600
        out.append(f"FAIL release: latest is {age.total_seconds() // 3600:.0f} h old "
                   f"(generated {latest['generated']}{confirmed}, limit {limit:g} h)")
    return out


#: Files up to this size are hashed by every check (the documents, pages and small tables);
#: larger ones are compared by size: hashing a gigabyte every half hour costs too much.
HASHED_UP_TO = 1 << 20


def switch_problems(latest: dict, public: Path) -> list[str]:
    """`latest`, `latest.json`, `history.json` and the release's `SHA256SUMS` disagree: one
    line naming the first disagreement (`warehouse.release.switch` changes them together)."""
    problem = _disagreement(latest, public)
    return [f"FAIL release: latest, latest.json, history.json and SHA256SUMS disagree: {problem}"
            ] if problem else []


def _disagreement(latest: dict, public: Path) -> str | None:
    release = public / str(latest.get("release"))
    link = public / "latest"
    if not link.exists():
        return "latest links to nothing"
    if link.resolve() != release.resolve():
        return (f"latest is {os.path.relpath(link.resolve(), public.resolve())}, "
                f"latest.json names {latest.get('release')}")
    if latest.get("run_id") != release.resolve().name:
        return f"latest.json says run {latest.get('run_id')} but names {latest.get('release')}"
    history = read_latest(public, "history.json")
    newest = history[0].get("run_id") if isinstance(history, list) and history \
        and isinstance(history[0], dict) else None
    if newest != latest["run_id"]:
        return f"history.json's newest release is {newest}, latest.json's {latest['run_id']}"
    try:
        sums = read_sha256sums(release) | {SUMS: sha256_file(release / SUMS)}
    except (OSError, ValueError) as exc:
        return f"{latest['release']}{SUMS} unreadable ({type(exc).__name__})"
    files = latest.get("files") or {}
    if set(files) != set(sums):
        extra = sorted(set(files) ^ set(sums))
        return f"latest.json and {SUMS} list different files ({', '.join(extra[:3])})"
    for name, entry in sorted(files.items()):
        problem = _file_problem(release / name, entry, sums[name])
        if problem:
            return f"{latest['release']}{name} {problem}"
    return None


def _file_problem(path: Path, entry: dict, digest: str) -> str | None:
    if entry.get("sha256") != digest:
        return f"has checksum {entry.get('sha256')} in latest.json, {digest} in {SUMS}"
    try:
        size = path.stat().st_size
    except OSError:
        return "is missing"
    if size != entry.get("bytes"):
        return f"has {size} bytes, latest.json says {entry.get('bytes')}"
    if size <= HASHED_UP_TO and sha256_file(path) != digest:
        return "does not match its checksum"
    return None


def run_problems(report: dict | None, path: Path) -> list[str]:
    """The last run's report names a run-level failure (it could not start, or lost its
    warehouse), or says `running` while its process is gone (killed, or no disk for it)."""
    if report is None:
        return []
    if not isinstance(report, dict) or not report:
        return [f"FAIL run: {path} is unreadable"]
    if report.get("status") == "running" and not _alive(report.get("pid")):
        return [f"FAIL run {report.get('run_id')}: started {report.get('started_at')} and "
                f"never finished (process {report.get('pid')} gone: killed, or no space left "
                "for its report)"]
    if not report.get("failure_class"):
        return []
    return [f"FAIL run {report.get('run_id')}: [{report['failure_class']}] "
            f"{report.get('reason')}"]


def _alive(pid) -> bool:
    """Whether process `pid` exists (the run and `shg health` share a machine)."""
    return isinstance(pid, int) and pid > 0 and psutil.pid_exists(pid)


def current_as_of(latest: dict) -> datetime:
    """When the latest release was last known current: built then, or confirmed by a later
    night that had nothing new to publish (`warehouse.release.state`)."""
    generated = _utc(latest["generated"])
    try:
        return max(generated, _utc(latest["confirmed"]))
    except (KeyError, TypeError, ValueError):
        return generated


def read_latest(public: Path, name: str = "latest.json") -> dict | list | None:
    """A public JSON document: None when absent, {} when unreadable."""
    path = public / name
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def check(data: Path, public: Path, *, now: datetime | None = None, max_failures: int = 3,
          max_age: timedelta = timedelta(hours=36),
          source_ids: Iterable[str] | None = None) -> Health:
    """The checks over the warehouse, the last run report and `latest.json`. A warehouse
    locked by a running pipeline is no problem: its sources are checked on the next call."""
    now = now or datetime.now(UTC)
    health = Health()
    db = data / "atlas.duckdb"
    if not db.is_file():
        health.problems.append(f"FAIL warehouse: no {db}: no run has finished here")
    else:
        try:
            with connect(db, read_only=True) as con:
                status = last_status(con)
        except duckdb.Error as exc:
            if isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower():
                health.notes.append("sources not checked: warehouse in use by a running "
                                    "pipeline")
            else:
                first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                health.problems.append(f"FAIL warehouse: cannot read {db}: {first_line}")
        else:
            if source_ids is not None:
                wanted = set(source_ids)
                status = {k: v for k, v in status.items() if k in wanted}
            health.problems += source_problems(status, max_failures)
            health.notes.append(f"{len(status)} sources, none failed {max_failures} runs "
                                f"in a row")
    health.problems += run_problems(read_latest(data, "run-report.json"),
                                    data / "run-report.json")
    latest = read_latest(public)
    problems = release_problems(latest, public, now, max_age)
    if isinstance(latest, dict) and latest.get("release") and (public / latest["release"]).is_dir():
        problems += switch_problems(latest, public)
    health.problems += problems
    if not problems:
        age = (now - current_as_of(latest)).total_seconds() // 3600
        health.notes.append(f"latest {latest.get('run_id')} is {age:.0f} h old "
                            f"({latest.get('counts', {}).get('listings')} listings)")
    return health


def _utc(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
