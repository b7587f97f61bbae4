"""Run bookkeeping: `runs`, `source_runs`, `raw_pages`, `quarantine`, and the one transaction
per source run that ties them to the listings load."""

from dataclasses import dataclass, fields
from datetime import datetime

import duckdb
import pyarrow as pa

from schema.listing_rows import ListingBatches
from schema.registry import Source
from schema.source_run import LoadCounts, QuarantineRow, SourceRun
from warehouse.storage.db import arrow_schema
from warehouse.storage.load import Refused, load_source_run


def begin_run(con: duckdb.DuckDBPyConnection, run_id: str, mode: str, now: datetime) -> None:
    """Record the run as `running`. A run still `running` here died without finishing (killed,
    power lost: DuckDB lets one writer in at a time), so it is marked `aborted`; the source
    runs it committed stay, as they were committed."""
    con.execute("BEGIN")
    con.execute("UPDATE runs SET status = 'aborted' WHERE status = 'running'")
    con.execute("INSERT INTO runs VALUES (?, ?, NULL, ?, 'running', NULL)", [run_id, now, mode])
    con.execute("COMMIT")


def finish_run(con, run_id: str, status: str, release: str | None, now: datetime) -> None:
    con.execute("UPDATE runs SET finished_at = ?, status = ?, release = ? WHERE run_id = ?",
                [now, status, release, run_id])


def upsert_sources(con: duckdb.DuckDBPyConnection, sources: list[Source]) -> None:
    con.execute("BEGIN")
    for s in sources:
        con.execute("DELETE FROM sources WHERE source_id = ?", [s.id])
        con.execute(
            "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [s.id, s.name, s.publisher, s.kind, s.start_urls, s.licence, s.policy,
             s.attribution, s.cadence, s.rate_per_second, s.min_records],
        )
    con.execute("COMMIT")


def commit_source_run(con: duckdb.DuckDBPyConnection, run_id: str, run: SourceRun) -> None:
    """One transaction: listings merge (healthy runs only), pages, quarantine, the stats row."""
    con.execute("BEGIN")
    try:
        if run.status == "ok" and run.unchanged_since:
            run.counts = LoadCounts(unchanged=run.unchanged_records)
        elif run.status == "ok":
            loaded = load_source_run(con, run_id=run_id, source_id=run.source_id,
                                     listings=run.listings, now=run.finished_at,
                                     complete=run.complete, keep_keys=run.keep_keys)
            run.counts = loaded.counts
            run.quarantine = run.quarantine + [_refused_row(run, r) for r in loaded.refused]
        _append(con, "raw_pages", run.pages, run_id=run_id)
        _append(con, "quarantine", run.quarantine, run_id=run_id)
        _append(con, "source_run_stats", run.stats, run_id=run_id, source_id=run.source_id)
        c = run.counts
        con.execute(
            "INSERT INTO source_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, run.source_id, run.status, run.failure_class, run.reason, run.started_at,
             run.finished_at, run.duration_s, run.fetched, run.not_modified, run.parsed,
             len(run.quarantine), c.inserted, c.updated, c.unchanged, c.vanished],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        if isinstance(run.listings, ListingBatches):  # loaded or not, the spill is done with
            run.listings.discard()


def _refused_row(run: SourceRun, refused: Refused) -> QuarantineRow:
    """The quarantine row of a listing the run may not write, naming source, record, field."""
    return QuarantineRow(run.source_id, refused.source_key, refused.url, refused.field,
                         f"{run.source_id}: record {refused.source_key}: field "
                         f"{refused.field}: {refused.reason}", refused.raw, run.finished_at)


def _append(con: duckdb.DuckDBPyConnection, table: str, rows: list, **keys) -> None:
    """Typed rows (flat dataclasses) into `table`, each completed by `keys` (the run id).
    Built column by column: a dict per row (`asdict`) cost more than the insert itself."""
    if not rows:
        return
    columns = {f.name: [getattr(row, f.name) for row in rows] for f in fields(rows[0])}
    columns |= {key: [value] * len(rows) for key, value in keys.items()}
    schema = arrow_schema(con, table)
    batch = pa.Table.from_pydict({name: columns[name] for name in schema.names}, schema=schema)
    con.register("_batch", batch)
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM _batch")
    finally:
        con.unregister("_batch")


@dataclass(frozen=True)
class SourceHealth:
    """A row of the `source_health` view, for a source that has run."""

    status: str  # of its last run
    failure_class: str | None
    reason: str | None
    last_run: datetime
    consecutive_failures: int
    last_ok: datetime | None  # its last accepted run
    records: int  # still current


def last_status(con: duckdb.DuckDBPyConnection) -> dict[str, SourceHealth]:
    """Per source that has run: its `source_health` row."""
    rows = con.execute("""
        SELECT source_id, last_status, failure_class, reason, last_run_at,
               consecutive_failures, last_ok_at, active_records
        FROM source_health
    """).fetchall()
    return {r[0]: SourceHealth(*r[1:]) for r in rows if r[1] is not None}


def latest_quality(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """source_run_stats of each source's latest healthy run: (source, field, records, present,
    missing, invalid, repaired)."""
    return con.execute("""
        WITH latest AS (
            SELECT source_id, arg_max(run_id, finished_at) AS run_id
            FROM source_runs WHERE status = 'ok' GROUP BY source_id)
        SELECT s.source_id, s.field, s.records, s.present, s.missing, s.invalid, s.repaired
        FROM source_run_stats s JOIN latest USING (source_id, run_id)
        ORDER BY s.source_id, s.field
    """).fetchall()


def current_flag_counts(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """(source, flag code, active listings carrying it) from the same flags a release
    publishes (`warehouse.release.public`): codes only, each counted once per listing."""
    return con.execute("""
        SELECT source_id, split_part(f.flag, ':', 1) AS code, count(DISTINCT id)
        FROM listings, unnest(flags) AS f(flag)
        WHERE active GROUP BY ALL ORDER BY ALL
    """).fetchall()


def last_accepted_count(con: duckdb.DuckDBPyConnection, source_id: str) -> int | None:
    """Records (valid listings) of the source's last accepted run, or None if it never had one."""
    row = con.execute("""
        SELECT inserted + updated + unchanged FROM source_runs
        WHERE source_id = ? AND status = 'ok' ORDER BY finished_at DESC LIMIT 1
    """, [source_id]).fetchone()
    return None if row is None else row[0]


def last_accepted_live(con: duckdb.DuckDBPyConnection) -> dict[str, datetime]:
    """Start time of each source's last accepted live run. Replay runs do not count: they
    re-read an old snapshot and say nothing about the live site."""
    return dict(con.execute("""
        SELECT sr.source_id, max(r.started_at) FROM source_runs sr JOIN runs r USING (run_id)
        WHERE sr.status = 'ok' AND r.mode = 'live' GROUP BY sr.source_id
    """).fetchall())


def valid_manifest_runs(con: duckdb.DuckDBPyConnection, claims: dict[str, str]) -> set[str]:
    """Of `claims` (source id -> run id of its manifest), the sources whose warehouse records
    are still exactly that run's: it was accepted here, and no accepted run of the source
    since has inserted, updated or retired a listing. Anything else (another warehouse, a
    replay or a partial run since) must be collected whole."""
    if not claims:
        return set()
    rows = con.execute("""
        WITH claim AS (SELECT unnest($sources) AS source_id, unnest($runs) AS run_id),
        base AS (SELECT c.source_id, sr.finished_at FROM claim c
                 JOIN source_runs sr USING (source_id, run_id) WHERE sr.status = 'ok')
        SELECT b.source_id FROM base b
        WHERE NOT EXISTS (
            SELECT 1 FROM source_runs later
            WHERE later.source_id = b.source_id AND later.status = 'ok'
              AND later.finished_at > b.finished_at
              AND later.inserted + later.updated + later.vanished > 0)
    """, {"sources": list(claims), "runs": list(claims.values())}).fetchall()
    return {r[0] for r in rows}


def last_accepted_pages(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Requests answered in each source's last accepted run (its pages, with robots.txt and
    retries): what its page budget of the next run is relative to (`scrapers.fetch.crawl`)."""
    return dict(con.execute("""
        SELECT source_id, arg_max(fetched, finished_at) FROM source_runs
        WHERE status = 'ok' GROUP BY source_id
    """).fetchall())
