"""Load one source run into the warehouse: one transaction, bulk through Arrow (a large run
through a Parquet file written a batch at a time).

Per listing the run is an insert (new id), an update (content hash changed, or the listing
comes back after vanishing), unchanged (nothing is written), or vanished (active before, absent
now: marked inactive with an end date, never deleted). Every insert/update closes the previous
`listing_history` row and opens a new one. An unchanged re-run writes only run bookkeeping.
A source run writes only its own listings (`owned_rows`; the merge keys on the source too).
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from schema.ids import listing_id
from schema.listing import Listing
from schema.listing_rows import ListingBatches, listing_row
from schema.source_run import LoadCounts
from warehouse.storage import sql_literal
from warehouse.storage.db import CONTENT_COLUMNS, arrow_schema


def rows_table(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> pa.Table:
    """Rows (`schema.listing_rows.listing_row`) as an Arrow table shaped like the `listings`
    content columns + record_hash."""
    schema = arrow_schema(con, "listings", [*CONTENT_COLUMNS, "record_hash"])
    return pa.Table.from_pylist(rows, schema=schema)


@dataclass(frozen=True)
class Loaded:
    counts: LoadCounts
    refused: list["Refused"]


@dataclass(frozen=True)
class Refused:
    """A row a source run may not write, and why (for quarantine)."""

    source_key: str
    url: str
    raw: str
    field: str
    reason: str


def owned_rows(con: duckdb.DuckDBPyConnection, source_id: str, rows: list[dict]
               ) -> tuple[list[dict], list[Refused]]:
    """The rows (`listing_row`) `source_id` may write, and the others. A listing belongs to
    its source, whatever ids a release or a buggy scraper hands in: an id another source holds
    is never written, and a new id must be the source's own, `listing_id(source, key)` (else it
    would squat on an id its owner has not loaded yet). An id the source holds is its own."""
    others = _not_held_by(con, source_id, [row["id"] for row in rows])
    own: list[dict] = []
    refused: list[Refused] = []
    for row in rows:
        lid, why = row["id"], None
        if row["source_id"] != source_id:
            why = "source_id", f"belongs to source {row['source_id']!r}, not to {source_id!r}"
        elif lid not in others:  # held by this source already
            pass
        elif (holder := others[lid]) is not None:
            why = "id", f"id {lid} is held by source {holder!r}: a listing belongs to its source"
        elif lid != (expected := str(listing_id(source_id, row["source_key"]))):
            why = "id", (f"id {lid} is not this source's id for key {row['source_key']!r} "
                         f"({expected}): a listing belongs to its source")
        if why is None:
            own.append(row)
        else:
            refused.append(Refused(row["source_key"], row["provenance"]["source_url"],
                                   json.dumps(row, default=str), *why))
    return own, refused


def _not_held_by(con: duckdb.DuckDBPyConnection, source_id: str, ids: list[str]
                 ) -> dict[str, str | None]:
    """Of `ids`, those `source_id` does not hold: id -> the source holding it, or None for a
    new id. A steady night's ids are all held already, so this is small."""
    if not ids:
        return {}
    con.register("_claimed", pa.table({"id": pa.array(ids, pa.string())}))
    try:
        return dict(con.execute("""
            SELECT c.id, l.source_id FROM _claimed c LEFT JOIN listings l ON l.id = c.id::UUID
            WHERE l.source_id IS DISTINCT FROM $source
        """, {"source": source_id}).fetchall())
    finally:
        con.unregister("_claimed")


#: DuckDB's memory while it merges a run spilled in batches. Unlimited, it holds the rows of a
#: large insert until they are written (docs/performance.md); limited, it writes them out as
#: it goes (and spills joins to its temporary folder).
LARGE_LOAD_MEMORY = "400MB"


@contextmanager
def _incoming(con: duckdb.DuckDBPyConnection, source_id: str,
              listings: list[Listing] | ListingBatches, refused: list[Refused]
              ) -> Iterator[None]:
    """The run's own listings (`owned_rows`; the others are added to `refused`) as the
    relation `incoming`: an Arrow table, or for a run spilled in batches a Parquet file the
    batches are written to one at a time, which DuckDB reads as it merges, within
    LARGE_LOAD_MEMORY. Statements over it stay few and large: DuckDB writes a large insert
    out as it goes, while the rows of many small ones stay in memory until the commit."""
    if not isinstance(listings, ListingBatches) or not listings.spilled:
        own, out = owned_rows(con, source_id, [listing_row(item) for item in listings])
        refused += out
        con.register("incoming", rows_table(con, own))
        try:
            yield
        finally:
            con.unregister("incoming")
        return
    staged = listings.path.with_suffix(".parquet")
    try:
        schema = arrow_schema(con, "listings", [*CONTENT_COLUMNS, "record_hash"])
        with pq.ParquetWriter(staged, schema) as writer:
            for rows in listings.row_batches():
                own, out = owned_rows(con, source_id, rows)
                refused += out
                writer.write_table(rows_table(con, own))
        con.execute("CREATE OR REPLACE TEMP VIEW incoming AS "
                    f"SELECT * FROM read_parquet({sql_literal(str(staged))})")
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
) -> "Loaded":
    """Merge one healthy source run into `listings` and `listing_history`; the rows it may
    not write (another source's, see `owned_rows`) come back refused, their keys kept.

    Runs inside the caller's transaction (see `warehouse.storage.runs.commit_source_run`), so
    a crash leaves the warehouse at the last committed source run. Listings of `keep_keys` (records
    the run could not read: a page that failed, a record in quarantine) never vanish here.
    A run that is not `complete` (a failure may hide records, or parts of them: a topic page
    that did not load takes its topic off every group on it) only adds: new listings are
    inserted, existing ones neither change nor vanish until a complete run.
    """
    refused: list[Refused] = []
    with _incoming(con, source_id, listings, refused):
        keep = {*keep_keys, *(r.source_key for r in refused)}
        counts = _merge(con, run_id, source_id, now, complete,
                        [str(listing_id(source_id, k)) for k in sorted(keep)])
    return Loaded(counts, refused)


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
        FROM incoming i LEFT JOIN listings l ON l.id = i.id::UUID AND l.source_id = $source
        UNION ALL
        SELECT id, 'vanish', NULL FROM listings
        WHERE $complete AND source_id = $source AND active
          AND id NOT IN (SELECT id::UUID FROM incoming) AND NOT list_contains($keep::UUID[], id)
    """, {"complete": complete, "source": source_id, "keep": keep})
    ops = dict(con.execute("SELECT op, count(*) FROM _ops GROUP BY op").fetchall())
    counts = LoadCounts(inserted=ops.get("insert", 0), updated=ops.get("update", 0),
                        unchanged=ops.get("same", 0), vanished=ops.get("vanish", 0))
    if counts.updated or counts.vanished:  # a scan of the whole history: only when one ends
        con.execute("""
            UPDATE listing_history SET valid_to = $now
            WHERE valid_to IS NULL AND source_id = $source
              AND id IN (SELECT id FROM _ops WHERE op IN ('update', 'vanish'))
        """, {"now": now, "source": source_id})
    if counts.updated:
        # Replace changed rows whole: simpler than a column-by-column UPDATE of nested types.
        con.execute("""DELETE FROM listings WHERE source_id = $source
                       AND id IN (SELECT id FROM _ops WHERE op = 'update')""",
                    {"source": source_id})
    if counts.inserted or counts.updated:
        con.execute(f"""
            INSERT INTO listings ({cols}, record_hash, active, first_seen, changed_at,
                                  inactive_since, run_id)
            SELECT {", ".join(f'i."{c}"' for c in CONTENT_COLUMNS)}, i.record_hash, true,
                   coalesce(o.first_seen, $now), $now, NULL, $run
            FROM incoming i JOIN _ops o ON o.id = i.id::UUID WHERE o.op IN ('insert', 'update')
        """, {"now": now, "run": run_id})
        con.execute(f"""
            INSERT INTO listing_history (valid_from, valid_to, run_id, record_hash, {cols})
            SELECT $now, NULL, $run, i.record_hash, {", ".join(f'i."{c}"' for c in CONTENT_COLUMNS)}
            FROM incoming i JOIN _ops o ON o.id = i.id::UUID WHERE o.op IN ('insert', 'update')
        """, {"now": now, "run": run_id})
    if counts.vanished:
        con.execute("""
            UPDATE listings SET active = false, inactive_since = $now, run_id = $run
            WHERE source_id = $source AND id IN (SELECT id FROM _ops WHERE op = 'vanish')
        """, {"now": now, "run": run_id, "source": source_id})
    con.execute("DROP TABLE _ops")
    return counts
