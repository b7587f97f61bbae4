"""Per-source cadence: one nightly schedule, and each live run collects only the sources due
(municipal sites daily, NAKOS weekly). A source left out is reported as skipped, keeps its
records and is never committed as a failed run."""

from datetime import timedelta

import duckdb
import pytest

from flows.health import check
from flows.pipeline import due_sources, not_due_reason, run_all
from schema.registry import Registry, load_registry
from tests.conftest import FIXTURES, ROOT
from tests.factories import listings, record, source
from tools.site_server import serve_directory
from warehouse.storage.db import connect
from warehouse.storage.runs import (
    SourceRun,
    begin_run,
    commit_source_run,
    last_accepted_live,
    upsert_sources,
)

WEEKLY, DAILY = source("nakos-rot", cadence="weekly"), source("herne", cadence="daily")


@pytest.mark.parametrize(("src", "age", "due"), [
    (WEEKLY, timedelta(days=2), False),
    (WEEKLY, timedelta(days=6, hours=19), True),  # a week less the slack: next night's run
    (WEEKLY, timedelta(days=6, hours=12), False),
    (DAILY, timedelta(hours=23), True),  # last night's run, the clock shifted an hour
    (DAILY, timedelta(hours=4), False),  # a second run the same morning
    (source("datei", cadence="monthly"), timedelta(days=27), False),
    (source("datei", cadence="monthly"), timedelta(days=30), True),
])
def test_due_by_cadence_with_slack(src, age, due, now):
    assert (not_due_reason(src, now - age, now) is None) is due


def test_a_source_never_accepted_is_due(now):
    assert not_due_reason(WEEKLY, None, now) is None


def test_reason_names_cadence_and_last_run(now):
    reason = not_due_reason(WEEKLY, now - timedelta(days=2), now)
    assert reason == "not due: weekly cadence, last accepted run 2026-11-21 03:00 UTC, 48 h ago"


def test_last_accepted_live_ignores_failures_and_replays(tmp_path, now):
    """A failed run or a replay of an old snapshot says nothing about when the live site was
    last collected: only accepted live runs count."""
    con = connect(tmp_path / "atlas.duckdb")
    upsert_sources(con, [WEEKLY, DAILY])

    def commit(run_id, mode, when, source_id, ok=True):
        begin_run(con, run_id, mode, when)
        commit_source_run(con, run_id, SourceRun(
            source_id, when, when, status="ok" if ok else "failed",
            failure_class=None if ok else "timeout", reason=None if ok else "slow",
            listings=listings(record("1", source_id=source_id)) if ok else []))

    commit("live-old", "live", now - timedelta(days=9), "nakos-rot")
    commit("live", "live", now - timedelta(days=3), "nakos-rot")
    commit("failed", "live", now - timedelta(days=1), "nakos-rot", ok=False)
    commit("replay", "replay", now - timedelta(hours=2), "nakos-rot")
    commit("herne-replay", "replay", now - timedelta(hours=2), "herne")
    last = last_accepted_live(con)
    con.close()
    assert last == {"nakos-rot": now - timedelta(days=3)}
    due, waiting = due_sources([WEEKLY, DAILY], last, now)
    assert [s.id for s in due] == ["herne"]
    assert waiting["nakos-rot"].startswith("not due: weekly cadence")


def test_live_runs_collect_only_due_sources(tmp_path):
    """Two live runs against the fixture sites, the first one aged by two days: herne
    (daily) is collected again, nakos-rot (weekly) is skipped and keeps its records; a
    forced or replay run collects it anyway."""
    full = load_registry(ROOT / "sources.toml")
    registry = Registry(path=full.path, sources=[full.get("herne"), full.get("nakos-rot")])
    db = tmp_path / "data" / "atlas.duckdb"
    with serve_directory(FIXTURES / "herne") as (herne, _), \
            serve_directory(FIXTURES / "nakos-rot") as (nakos, nakos_seen):
        kw = {"data_dir": tmp_path / "data", "public_dir": tmp_path / "public",
              "rewrite": {"https://www.herne.de": herne, "https://www.nakos.de": nakos},
              "rate_override": 100}
        first = run_all(registry, **kw)
        assert {s["status"] for s in first["sources"].values()} == {"ok"}
        with duckdb.connect(str(db)) as con:
            con.execute("UPDATE runs SET started_at = started_at - INTERVAL 2 DAY")
            kept = con.execute("SELECT count(*) FROM listings WHERE active "
                               "AND source_id = 'nakos-rot'").fetchone()[0]
        nakos_requests = len(nakos_seen)
        second = run_all(registry, **kw)
        assert len(nakos_seen) == nakos_requests  # not a single request to NAKOS
        with duckdb.connect(str(db), read_only=True) as con:
            active = con.execute("SELECT count(*) FROM listings WHERE active "
                                 "AND source_id = 'nakos-rot'").fetchone()[0]
        forced = run_all(registry, force=True, **kw)
        replayed = run_all(registry, replay=ROOT / "snapshots", **kw)

    assert second["status"] == "ok"
    assert second["summary"] == {"ok": 1, "failed": 0, "skipped": 1}
    assert second["sources"]["herne"]["status"] == "ok"
    nakos = second["sources"]["nakos-rot"]
    assert nakos["status"] == "skipped" and nakos["failure_class"] is None
    assert nakos["reason"].startswith("not due: weekly cadence, last accepted run")
    assert nakos["delta"] == {"before": kept, "after": None, "change": None}
    assert forced["sources"]["nakos-rot"]["status"] == "ok"
    assert replayed["sources"]["nakos-rot"]["status"] == "ok"
    with duckdb.connect(str(db), read_only=True) as con:
        committed = con.execute("SELECT source_id FROM source_runs WHERE run_id = ?",
                                [second["run_id"]]).fetchall()
    assert committed == [("herne",)]
    assert active == kept > 0
    health = check(tmp_path / "data", tmp_path / "public", max_failures=1)
    assert health.ok, health.problems  # a skipped source is not a failing one
