"""Protection from bad runs: a source that suddenly yields nothing or a third of its records
is refused, its previous records stay current, and `source_health` says how long it has been."""

import duckdb
import pytest

from flows.collect import collect_sequentially
from flows.pipeline import run_all
from schema.registry import load_registry
from tests.conftest import ROOT

REGISTRY = load_registry(ROOT / "sources.toml")


def run(tmp_path, keep=None):
    """One offline run of herne; `keep(listings)` shrinks what the source yielded."""
    def collect_many(sources, ctx):
        for source_run in collect_sequentially(sources, ctx):
            if keep is not None:
                source_run.listings = keep(source_run.listings)
            yield source_run

    return run_all(REGISTRY, source_ids=["herne"], replay=ROOT / "snapshots",
                   data_dir=tmp_path / "data", public_dir=tmp_path / "public",
                   collect_many=collect_many)


@pytest.fixture
def db(tmp_path):
    return lambda: duckdb.connect(str(tmp_path / "data" / "atlas.duckdb"), read_only=True)


def health(db):
    with db() as con:
        return con.execute("""SELECT last_status, failure_class, consecutive_failures,
                                     last_ok_at IS NOT NULL, active_records
                              FROM source_health WHERE source_id = 'herne'""").fetchone()


def test_a_third_of_the_records_is_refused_and_the_old_ones_stay(tmp_path, db):
    assert run(tmp_path)["status"] == "ok"
    report = run(tmp_path, keep=lambda items: items[: len(items) // 3])
    herne = report["sources"]["herne"]
    assert herne["status"] == "failed" and herne["failure_class"] == "site_changed"
    assert "fewer than 50% of the 13" in herne["reason"]
    assert health(db) == ("failed", "site_changed", 1, True, 13)
    with db() as con:
        assert con.execute("SELECT count(*) FROM listings WHERE active").fetchone() == (13,)
        assert con.execute("""SELECT count(*) FROM quarantine WHERE field = '(run)'""",
                           ).fetchone() == (4,)
    # the release still holds the last good data, marked with its last accepted run
    assert report["published_rows"] == 13
    with duckdb.connect(str(tmp_path / "public" / "latest" / "atlas.duckdb"),
                        read_only=True) as snap:
        verified = snap.execute("SELECT DISTINCT verified_at FROM listings").fetchall()
    with db() as con:
        first_ok = con.execute("""SELECT strftime(min(finished_at) AT TIME ZONE 'UTC',
                                  '%Y-%m-%dT%H:%M:%SZ') FROM source_runs""").fetchone()[0]
    assert verified == [(first_ok,)]


def test_nothing_is_refused_and_failures_are_counted(tmp_path, db):
    run(tmp_path)
    run(tmp_path, keep=lambda items: [])
    run(tmp_path, keep=lambda items: [])
    assert health(db) == ("failed", "site_changed", 2, True, 13)
    run(tmp_path)
    assert health(db) == ("ok", None, 0, True, 13)


def test_a_normal_shrink_is_accepted(tmp_path, db):
    run(tmp_path)
    report = run(tmp_path, keep=lambda items: items[:-2])  # two groups closed
    assert report["sources"]["herne"]["status"] == "ok"
    assert report["sources"]["herne"]["vanished"] == 2
    assert health(db)[4] == 11
