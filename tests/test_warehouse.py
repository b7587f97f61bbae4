"""Loading source runs into a real DuckDB file."""

from datetime import timedelta

import duckdb
import pytest

from schema.source_run import PageRow, QuarantineRow
from tests.factories import listings, record, source
from warehouse.storage.db import CONTENT_COLUMNS, connect
from warehouse.storage.runs import (
    SourceRun,
    begin_run,
    commit_source_run,
    last_status,
    upsert_sources,
)


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "atlas.duckdb")
    upsert_sources(con, [source()])
    yield con
    con.close()


def commit(con, run_id, items, now, **kw):
    begin_run(con, run_id, "live", now)
    run = SourceRun("herne", now, now, listings=items, **kw)
    commit_source_run(con, run_id, run)
    return run.counts


def snapshot(con):
    return con.execute("SELECT * FROM listings ORDER BY id").fetchall()


def test_listings_table_matches_the_model(con):
    cols = [r[0] for r in con.execute("DESCRIBE listings").fetchall()]
    assert tuple(cols[: len(CONTENT_COLUMNS)]) == CONTENT_COLUMNS


def test_insert_then_unchanged_rerun_writes_nothing(con, now):
    batch = listings(*(record(str(i)) for i in range(5)))
    counts = commit(con, "r1", batch, now)
    assert (counts.inserted, counts.updated, counts.unchanged) == (5, 0, 0)
    before = snapshot(con)
    history = con.execute("SELECT count(*) FROM listing_history").fetchone()[0]
    later = now + timedelta(days=1)
    refetched = listings(*(record(str(i), fetched_at=later) for i in range(5)))
    counts = commit(con, "r2", refetched, later)
    assert (counts.inserted, counts.updated, counts.unchanged) == (0, 0, 5)
    assert snapshot(con) == before
    assert con.execute("SELECT count(*) FROM listing_history").fetchone()[0] == history
    assert con.execute("SELECT count(*) FROM source_runs").fetchone()[0] == 2


def test_change_closes_history_and_vanished_listing_is_kept_inactive(con, now):
    commit(con, "r1", listings(*(record(str(i)) for i in range(3))), now)
    later = now + timedelta(days=1)
    counts = commit(con, "r2", listings(record("0", name="Neuer Name"), record("1")), later)
    assert (counts.updated, counts.unchanged, counts.vanished) == (1, 1, 1)
    rows = dict(con.execute("SELECT source_key, active FROM listings").fetchall())
    assert rows == {"0": True, "1": True, "2": False}
    hist = con.execute("""SELECT name, valid_to IS NULL FROM listing_history
                          WHERE source_key = '0' ORDER BY valid_from""").fetchall()
    assert hist == [("Selbsthilfegruppe 0", False), ("Neuer Name", True)]
    gone = con.execute("""SELECT inactive_since FROM listings WHERE source_key='2'""").fetchone()
    assert gone[0] == later
    # it comes back with the same id and its first_seen
    counts = commit(con, "r3", listings(*(record(str(i)) for i in range(3))), later)
    assert counts.updated == 2  # "0" renamed back, "2" reactivated
    row = con.execute("""SELECT active, first_seen FROM listings WHERE source_key='2'""").fetchone()
    assert row == (True, now)


def test_failed_run_keeps_previous_listings(con, now):
    commit(con, "r1", listings(record("0"), record("1")), now)
    later = now + timedelta(days=1)
    begin_run(con, "r2", "live", later)
    failed = SourceRun("herne", later, later, status="failed", failure_class="refused",
                       reason="herne: refused")
    commit_source_run(con, "r2", failed)
    assert con.execute("SELECT count(*) FROM listings WHERE active").fetchone()[0] == 2
    status = last_status(con)["herne"]
    assert status.status == "failed" and status.failure_class == "refused"
    assert status.last_ok == now and status.last_run == later


def test_a_failing_commit_rolls_back_everything(con, now):
    commit(con, "r1", listings(record("0")), now)
    before = snapshot(con)
    begin_run(con, "r2", "live", now)
    bad = SourceRun("herne", now, now, listings=listings(record("0", name="X"), record("9")),
                    pages=[{"no_such_column": 1}])
    with pytest.raises(Exception):  # noqa: B017 - any error must roll back
        commit_source_run(con, "r2", bad)
    assert snapshot(con) == before
    assert con.execute("SELECT count(*) FROM source_runs WHERE run_id='r2'").fetchone()[0] == 0


def test_quarantine_and_raw_pages_are_recorded(con, now):
    commit(con, "r1", listings(record("0")), now,
           pages=[PageRow(source_id="herne", url="https://x/", status=200,
                          not_modified=False, sha256="ab", bytes=10, encoding="utf-8",
                          fetched_at=now, warc_file="herne.warc.gz")],
           quarantine=[QuarantineRow(source_id="herne", source_key="7", url="https://x/7",
                                     field="name", reason="herne: record 7: field name: empty",
                                     raw='{"name": ""}', quarantined_at=now)])
    assert con.execute("SELECT url, warc_file FROM raw_pages").fetchall() == [
        ("https://x/", "herne.warc.gz")]
    assert con.execute("SELECT source_key, field FROM quarantine").fetchall() == [("7", "name")]
    assert con.execute("SELECT rejected FROM source_runs").fetchone()[0] == 1


def test_records_the_run_could_not_read_keep_their_last_good_version(con, now):
    commit(con, "r1", listings(*(record(str(i)) for i in range(3))), now)
    before = snapshot(con)
    later = now + timedelta(days=1)
    counts = commit(con, "r2", listings(record("0"), record("1")), later, keep_keys=["2"])
    assert (counts.unchanged, counts.vanished) == (2, 0)
    assert snapshot(con) == before


def test_an_incomplete_run_only_adds(con, now):
    """A failure that may hide records (a topic page that did not load): nothing vanishes
    and nothing changes, but a new group is taken in."""
    commit(con, "r1", listings(*(record(str(i)) for i in range(3))), now)
    before = snapshot(con)
    later = now + timedelta(days=1)
    counts = commit(con, "r2", listings(record("0", topics=[]), record("9")), later,
                    complete=False)
    assert (counts.inserted, counts.updated, counts.unchanged, counts.vanished) == (1, 0, 1, 0)
    rows = con.execute("SELECT * FROM listings WHERE source_key <> '9' ORDER BY id").fetchall()
    assert rows == before
    counts = commit(con, "r3", listings(record("0", topics=[]), record("9")),
                    later + timedelta(days=1))
    assert (counts.updated, counts.vanished) == (1, 2)  # a complete run applies both


def test_record_hash_is_the_hash_of_the_listings_json_form():
    """record_hash is computed from the Python dump (listings_table has it already); it must
    stay the sha256 of the JSON form it always was, or every stored listing would read as
    changed on the next run. Upstream provenance brings datetimes in other offsets."""
    import hashlib
    import json
    from datetime import UTC, datetime, timezone

    from schema.listing_rows import record_hash
    from schema.records import Upstream

    def reference(listing) -> str:
        data = listing.model_dump(mode="json")
        data["provenance"] = {k: v for k, v in data["provenance"].items()
                              if k not in ("fetched_at", "content_hash")}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    plus_one = timezone(timedelta(hours=1))
    items = listings(
        record("1"),
        record("2", parent_key="1", hours_text="Mo–Fr 9–12 Uhr", kind="organisation",
               web_text=["www.example.org"], topics=["Sucht", "Unbekanntes Thema"]),
        record("3", upstream=Upstream(id="a5f0c1de-7f3b-5a9e-9d43-1b2c3d4e5f60",
                                      release_url="https://x.example.org/latest.json",
                                      fetched_at=datetime(2026, 11, 1, 3, 4, 5, 123400,
                                                          tzinfo=plus_one))),
        record("4", upstream=Upstream(id="k-4", release_url="https://x.example.org/l.json",
                                      fetched_at=datetime(2026, 11, 1, tzinfo=UTC),
                                      licence="dl-de/by-2-0")),
    )
    assert [record_hash(item) for item in items] == [reference(item) for item in items]


def test_a_night_of_commits_is_folded_into_the_file_seldom(tmp_path):
    """Inside `few_checkpoints` every commit is in the WAL on disk, but none folds it into
    the file at DuckDB's 16 MB threshold; leaving it folds it and puts the threshold back."""
    from warehouse.storage.db import few_checkpoints

    path = tmp_path / "atlas.duckdb"
    wal = tmp_path / "atlas.duckdb.wal"
    con = connect(path)
    con.execute("CREATE TABLE pages_t (n BIGINT, body VARCHAR)")
    with few_checkpoints(con):
        for batch in range(4):  # about 24 MB of WAL in four commits
            con.execute("INSERT INTO pages_t SELECT range, repeat(md5(range::VARCHAR), 6) "
                        f"FROM range({batch * 100_000}, {(batch + 1) * 100_000})")
        assert wal.stat().st_size > 16 * 2**20
        assert rows_after_a_crash(path, wal, tmp_path) == 400_000  # every commit is durable
    assert not wal.exists() or wal.stat().st_size == 0
    assert con.execute("SELECT current_setting('checkpoint_threshold')").fetchone()[0] == (
        "16.0 MiB")
    con.close()


def rows_after_a_crash(path, wal, tmp_path) -> int:
    """Rows another process finds if the writer died now: its file and WAL, copied."""
    import shutil

    import duckdb

    crash = tmp_path / "crash"
    crash.mkdir()
    shutil.copy(path, crash / path.name)
    shutil.copy(wal, crash / wal.name)
    other = duckdb.connect(str(crash / path.name))
    try:
        return other.execute("SELECT count(*) FROM pages_t").fetchone()[0]
    finally:
        other.close()


def test_reopening_empties_duckdbs_cache_and_keeps_the_data(tmp_path):
    """What a night read stays in DuckDB's buffer pool; `reopen` (before publishing, the
    night's peak) hands it back, and the reopened connection sees every committed row."""
    from warehouse.storage.db import reopen

    def cached_mb(con) -> float:
        return con.execute("SELECT coalesce(sum(memory_usage_bytes), 0) / 2**20 "
                           "FROM duckdb_memory() WHERE tag = 'BASE_TABLE'").fetchone()[0]

    path = tmp_path / "atlas.duckdb"
    con = connect(path)
    con.execute("CREATE TABLE wide AS SELECT range AS n, repeat(md5(range::VARCHAR), 4) AS body "
                "FROM range(800000)")
    con.execute("CHECKPOINT")
    con.execute("SELECT sum(length(body)) FROM wide").fetchone()  # read: its blocks cached
    assert cached_mb(con) > 20
    fresh = reopen(con, path)
    try:
        with pytest.raises(duckdb.ConnectionException):
            con.execute("SELECT 1")  # the old connection is closed: one writer stays one
        assert cached_mb(fresh) < 1
        assert fresh.execute("SELECT count(*), max(n) FROM wide").fetchone() == (800000, 799999)
    finally:
        fresh.close()


def test_a_warehouse_from_before_the_new_columns_is_brought_up_to_date(tmp_path, now):
    """A file written before `social_links` and `provenance.as_of` existed gets them when it
    is opened, keeps its rows, and takes listings that use them."""
    path = tmp_path / "atlas.duckdb"
    con = connect(path)
    upsert_sources(con, [source()])
    commit(con, "r1", listings(record("1")), now)
    for table in ("listings", "listing_history"):  # the file as an older version left it
        con.execute(f"ALTER TABLE {table} DROP COLUMN social_links")
        con.execute(f"ALTER TABLE {table} DROP COLUMN provenance.as_of")
    con.close()
    con = connect(path)
    try:
        newer = listings(record("1"), record("2", social_text=["https://www.facebook.com/shg2"],
                                              as_of_text="01.03.2026"))
        commit(con, "r2", newer, now + timedelta(days=1))
        rows = dict(con.execute("SELECT source_key, [social_links[1].url, "
                                "provenance.as_of::VARCHAR] FROM listings").fetchall())
    finally:
        con.close()
    assert rows == {"1": [None, None], "2": ["https://www.facebook.com/shg2", "2026-03-01"]}
