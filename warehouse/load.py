"""Load one source run into the warehouse: one transaction, bulk through Arrow (a large run
through a Parquet file written a batch at a time).

Per listing the run is an insert (new id), an update (content hash changed, or the listing
comes back after vanishing), unchanged (nothing is written), or vanished (active before, absent
now: marked inactive with an end date, never deleted). Every insert/update closes the previous
`listing_history` row and opens a new one. An unchanged re-run writes only run bookkeeping.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from schema.ids import listing_id
from schema.listing import Listing
from schema.listing_rows import ListingBatches, listing_row, record_hash
from schema.source_run import LoadCounts
from warehouse.db import CONTENT_COLUMNS, arrow_schema
from warehouse.memory import trim_heap

__all__ = ["as_dict", "listings_table", "load_source_run", "record_hash", "rows_table"]


def rows_table(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> pa.Table:
    """Rows (`schema.listing_rows.listing_row`) as an Arrow table shaped like the `listings`
    content columns + record_hash."""
    schema = arrow_schema(con, "listings", [*CONTENT_COLUMNS, "record_hash"])
    return pa.Table.from_pylist(rows, schema=schema)


def listings_table(con: duckdb.DuckDBPyConnection, listings: Iterable[Listing]) -> pa.Table:
    """Listings as an Arrow table shaped like the `listings` content columns + record_hash."""
    return rows_table(con, [listing_row(item) for item in listings])


def _refuse_others(source_ids: Iterable[str], source_id: str) -> None:
    if any(other != source_id for other in source_ids):
        raise ValueError(f"{source_id}: batch holds listings of another source")


#: DuckDB's memory while it merges a run spilled in batches. Unlimited, it held the rows of a
#: large insert until they were written: 1.6 GB more for a million listings. Limited, it
#: writes them out as it goes (and spills joins to its temporary folder).
LARGE_LOAD_MEMORY = "400MB"


@contextmanager
def _incoming(con: duckdb.DuckDBPyConnection, source_id: str,
              listings: list[Listing] | ListingBatches) -> Iterator[None]:
    """The run's listings as the relation `incoming`: an Arrow table, or for a run spilled in
    batches a Parquet file the batches are written to one at a time, which DuckDB reads as
    it merges, within LARGE_LOAD_MEMORY. Statements over it stay few and large: DuckDB
    writes a large insert out as it goes, while the rows of many small ones stay in memory
    until the commit (9 KB a listing)."""
    if not isinstance(listings, ListingBatches) or not listings.spilled:
        items = list(listings)
        _refuse_others((item.source_id for item in items), source_id)
        con.register("incoming", listings_table(con, items))
        try:
            yield
        finally:
            con.unregister("incoming")
        return
    staged = listings.path.with_suffix(".parquet")
    try:
        schema = arrow_schema(con, "listings", [*CONTENT_COLUMNS, "record_hash"])
        with pq.ParquetWriter(staged, schema) as out:
            for rows in listings.row_batches():
                _refuse_others((row["source_id"] for row in rows), source_id)
                out.write_table(rows_table(con, rows))
        path = str(staged).replace("'", "''")
        con.execute(f"CREATE OR REPLACE TEMP VIEW incoming AS SELECT * FROM read_parquet('{path}')")
        trim_heap()  # the collector's batches (when it ran in this process) are freed
        con.execute(f"SET memory_limit = '{LARGE_LOAD_MEMORY}'")
        try:
            yield
        finally:
            con.execute("RESET memory_limit")  # the project runs on DuckDB's default otherwise
            con.execute("DROP VIEW incoming")
    finally:
        staged.unlink(missing_ok=True)


def load_source_run(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    source_id: str,
    listings: list[Listing] | ListingBatches,
    now: datetime,
    complete: bool = True,
    keep_keys: list[str] = (),
) -> LoadCounts:
    """Merge one healthy source run into `listings` and `listing_history`.

    Runs inside the caller's transaction (see `warehouse.runs.record_source_run`), so a crash
    leaves the warehouse at the last committed source run. Listings of `keep_keys` (records
    the run could not read: a page that failed, a record in quarantine) never vanish here.
    A run that is not `complete` (a failure may hide records, or parts of them: a topic page
    that did not load takes its topic off every group on it) only adds: new listings are
    inserted, existing ones neither change nor vanish until a complete run.
    """
    with _incoming(con, source_id, listings):
        return _merge(con, run_id, source_id, now, complete,
                      [str(listing_id(source_id, k)) for k in keep_keys])


def _merge(con, run_id: str, source_id: str, now: datetime, complete: bool,
           keep: list[str]) -> LoadCounts:
    cols = ", ".join(f'"{c}"' for c in CONTENT_COLUMNS)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _ops AS
        SELECT i.id::UUID AS id,
               CASE WHEN l.id IS NULL THEN 'insert'
                    WHEN NOT $complete THEN 'same'
                    WHEN l.record_hash <> i.record_hash OR NOT l.active THEN 'update'
                    ELSE 'same' END AS op,
               l.first_seen
        FROM incoming i LEFT JOIN listings l ON l.id = i.id::UUID
    """, {"complete": complete})
    vanished = [] if not complete else [r[0] for r in con.execute("""
        SELECT id FROM listings
        WHERE source_id = $source AND active AND id NOT IN (SELECT id::UUID FROM incoming)
          AND NOT list_contains($keep::UUID[], id)
    """, {"source": source_id, "keep": keep}).fetchall()]
    ops = dict(con.execute("SELECT op, count(*) FROM _ops GROUP BY op").fetchall())
    counts = LoadCounts(inserted=ops.get("insert", 0), updated=ops.get("update", 0),
                        unchanged=ops.get("same", 0), vanished=len(vanished))
    if counts.updated:
        # Replace changed rows whole: simpler than a column-by-column UPDATE of nested types.
        con.execute("""DELETE FROM listings WHERE id IN (SELECT id FROM _ops WHERE op='update')""")
    if counts.inserted or counts.updated:
        con.execute(f"""
            INSERT INTO listings ({cols}, record_hash, active, first_seen, changed_at,
                                  inactive_since, run_id)
            SELECT {", ".join(f'i."{c}"' for c in CONTENT_COLUMNS)}, i.record_hash, true,
                   coalesce(o.first_seen, $now), $now, NULL, $run
            FROM incoming i JOIN _ops o ON o.id = i.id::UUID WHERE o.op <> 'same'
        """, {"now": now, "run": run_id})
        if counts.updated:  # a scan of the whole history: only when a version ends
            con.execute("""
                UPDATE listing_history SET valid_to = $now
                WHERE valid_to IS NULL AND id IN (SELECT id FROM _ops WHERE op = 'update')
            """, {"now": now})
        con.execute(f"""
            INSERT INTO listing_history (valid_from, valid_to, run_id, record_hash, {cols})
            SELECT $now, NULL, $run, i.record_hash, {", ".join(f'i."{c}"' for c in CONTENT_COLUMNS)}
            FROM incoming i JOIN _ops o ON o.id = i.id::UUID WHERE o.op <> 'same'
        """, {"now": now, "run": run_id})
    if vanished:
        con.execute("""
            UPDATE listings SET active = false, inactive_since = $now, run_id = $run
            WHERE id IN (SELECT unnest($ids::UUID[]))
        """, {"now": now, "run": run_id, "ids": [str(v) for v in vanished]})
        con.execute("""
            UPDATE listing_history SET valid_to = $now
            WHERE valid_to IS NULL AND id IN (SELECT unnest($ids::UUID[]))
        """, {"now": now, "ids": [str(v) for v in vanished]})
    con.execute("DROP TABLE _ops")
    return counts


def as_dict(counts: LoadCounts) -> dict[str, int]:
    return asdict(counts)
