"""Load one source run into the warehouse: one transaction, bulk through Arrow.

Per listing the run is an insert (new id), an update (content hash changed, or the listing
comes back after vanishing), unchanged (nothing is written), or vanished (active before, absent
now: marked inactive with an end date, never deleted). Every insert/update closes the previous
`listing_history` row and opens a new one. An unchanged re-run writes only run bookkeeping.
A source run writes only its own listings (`owned_listings`; the merge keys on the source too).
"""

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from uuid import UUID

import duckdb
import pyarrow as pa
from pydantic import TypeAdapter

from schema.ids import listing_id
from schema.listing import Listing
from schema.source_run import LoadCounts
from warehouse.db import CONTENT_COLUMNS, arrow_schema

#: Provenance that changes on every fetch without the listing changing.
_VOLATILE = {"fetched_at", "content_hash"}


_DATETIME = TypeAdapter(datetime)


def record_hash(listing: Listing) -> str:
    return _hash(listing.model_dump())


def _hash(data: dict) -> str:
    """sha256 of the listing's JSON form (`model_dump(mode="json")`, keys sorted) without its
    volatile provenance, computed from its Python form: `listings_table` has that already, and
    a second dump per listing cost as much as the rest of the row."""
    data = data | {"provenance": {k: v for k, v in data["provenance"].items()
                                  if k not in _VOLATILE}}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=_json_value).encode()
                          ).hexdigest()


def _json_value(value: object) -> object:
    """What pydantic's JSON mode makes of the Python values a Listing holds besides JSON's own
    (str subclasses such as Kind are strings to `json` already)."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return _DATETIME.dump_python(value, mode="json")
    raise TypeError(f"no JSON form for {type(value).__name__} in a listing")


def listings_table(con: duckdb.DuckDBPyConnection, listings: list[Listing]) -> pa.Table:
    """Listings as an Arrow table shaped like the `listings` content columns + record_hash."""
    schema = arrow_schema(con, "listings", [*CONTENT_COLUMNS, "record_hash"])
    rows = []
    for item in listings:
        row = item.model_dump()
        row["record_hash"] = _hash(row)
        row["id"] = str(row["id"])
        row["parent_id"] = row["parent_id"] and str(row["parent_id"])
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=schema)


@dataclass(frozen=True)
class Refused:
    """A listing a source run may not write, and why (for quarantine)."""

    listing: Listing
    field: str
    reason: str


def owned_listings(con: duckdb.DuckDBPyConnection, source_id: str, listings: list[Listing]
                   ) -> tuple[list[Listing], list[Refused]]:
    """The listings `source_id` may write, and the others. A listing belongs to its source,
    whatever ids a release or a buggy scraper hands in: an id another source holds is never
    written, and a new id must be the source's own, `listing_id(source, key)` (else it would
    squat on an id its owner has not loaded yet). An id the source holds already is its own."""
    ids = [str(item.id) for item in listings]
    others = _not_held_by(con, source_id, ids)
    own: list[Listing] = []
    refused: list[Refused] = []
    for item, lid in zip(listings, ids, strict=True):
        if item.source_id != source_id:
            refused.append(Refused(item, "source_id", f"belongs to source "
                                   f"{item.source_id!r}, not to {source_id!r}"))
        elif lid not in others:  # held by this source already
            own.append(item)
        elif (holder := others[lid]) is not None:
            refused.append(Refused(item, "id", f"id {lid} is held by source {holder!r}: "
                                   f"a listing belongs to its source"))
        elif item.id != (expected := listing_id(source_id, item.source_key)):
            refused.append(Refused(item, "id", f"id {item.id} is not this source's id for "
                                   f"key {item.source_key!r} ({expected}): a listing belongs "
                                   f"to its source"))
        else:
            own.append(item)
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


def load_source_run(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    source_id: str,
    listings: list[Listing],
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
    if any(item.source_id != source_id for item in listings):
        raise ValueError(f"{source_id}: batch holds listings of another source "
                         f"(`owned_listings` screens them out)")
    incoming = listings_table(con, listings)
    con.register("incoming", incoming)
    try:
        return _merge(con, run_id, source_id, now, complete,
                      [str(listing_id(source_id, k)) for k in keep_keys])
    finally:
        con.unregister("incoming")


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
    """, {"complete": complete, "source": source_id})
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
        con.execute("""DELETE FROM listings WHERE source_id = $source
                       AND id IN (SELECT id FROM _ops WHERE op = 'update')""",
                    {"source": source_id})
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
                WHERE valid_to IS NULL AND source_id = $source
                  AND id IN (SELECT id FROM _ops WHERE op = 'update')
            """, {"now": now, "source": source_id})
        con.execute(f"""
            INSERT INTO listing_history (valid_from, valid_to, run_id, record_hash, {cols})
            SELECT $now, NULL, $run, i.record_hash, {", ".join(f'i."{c}"' for c in CONTENT_COLUMNS)}
            FROM incoming i JOIN _ops o ON o.id = i.id::UUID WHERE o.op <> 'same'
        """, {"now": now, "run": run_id})
    if vanished:
        con.execute("""
            UPDATE listings SET active = false, inactive_since = $now, run_id = $run
            WHERE source_id = $source AND id IN (SELECT unnest($ids::UUID[]))
        """, {"now": now, "run": run_id, "ids": [str(v) for v in vanished],
              "source": source_id})
        con.execute("""
            UPDATE listing_history SET valid_to = $now
            WHERE valid_to IS NULL AND source_id = $source
              AND id IN (SELECT unnest($ids::UUID[]))
        """, {"now": now, "ids": [str(v) for v in vanished], "source": source_id})
    con.execute("DROP TABLE _ops")
    return counts


def as_dict(counts: LoadCounts) -> dict[str, int]:
    return asdict(counts)
