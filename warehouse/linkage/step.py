"""The linkage step of a night: read the active listings from the warehouse, link them
(`warehouse.linkage.entities`) and write entities, members and the review queue in one
transaction. `link_state` remembers what the last linkage read, so an unchanged night computes
nothing.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import rapidfuzz

from warehouse.linkage.decisions import NONE, Decisions, write_queue
from warehouse.linkage.entities import LinkCounts, assign, cluster, decided_indices
from warehouse.linkage.features import table_features
from warehouse.storage.db import arrow_schema

_DDL_PATH = Path(__file__).with_name("link.sql")


def ensure_link_schema(con: duckdb.DuckDBPyConnection) -> None:
    """The entity, member, state and review tables (also made by `warehouse.storage.db.connect`)."""
    con.execute(_DDL_PATH.read_text("utf-8"))


def _active_table(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """The columns linkage needs of every active listing."""
    return con.sql("""
        SELECT id::VARCHAR AS id, source_id, kind, name,
               address.street AS street, address.house_number AS number,
               address.postcode AS postcode, address.extra AS extra,
               CASE WHEN address.district IS NULL OR address.city IS NULL
                         OR strpos(lower(address.city), lower(address.district)) > 0
                    THEN address.city ELSE address.city || '-' || address.district END AS city,
               list_transform(phones, p -> p.e164) AS e164,
               list_transform(phones, p -> p.extension) AS extension,
               list_transform(phones, p -> p.original) AS phone_original,
               list_transform(emails, e -> e.address) AS emails,
               list_transform(websites, w -> w.url) AS urls,
               CASE WHEN kind = 'contact_centre' AND address.street IS NULL
                    THEN address.original END AS raw_address
        FROM listings WHERE active ORDER BY id
    """).to_arrow_table()


#: What the decisions depend on besides the data: the linkage's code and the scorer's version.
_CODE = hashlib.sha256(b"".join(path.read_bytes() for path in sorted(
    Path(__file__).parent.glob("*.py"))) + rapidfuzz.__version__.encode()).hexdigest()


def _fingerprint(con: duckdb.DuckDBPyConnection, decisions: Decisions = NONE) -> str:
    """The linkage's whole input: the code, every active listing's content hash, the entity
    tables as the last linkage left them, and a person's decisions."""
    row = con.execute("""
        SELECT (SELECT md5(coalesce(string_agg(id::VARCHAR || ':' || coalesce(record_hash, ''),
                                               ',' ORDER BY id), ''))
                FROM listings WHERE active),
               (SELECT md5(coalesce(string_agg(listing_id::VARCHAR || ':' || entity_id::VARCHAR,
                                               ',' ORDER BY listing_id), ''))
                FROM entity_members),
               (SELECT md5(coalesce(string_agg(concat_ws(':', entity_id, members, retired_into),
                                               ',' ORDER BY entity_id), ''))
                FROM entities)
    """).fetchone()
    return hashlib.sha256("|".join((_CODE, *row, decisions.digest())).encode()).hexdigest()


def link_entities(con: duckdb.DuckDBPyConnection, run_id: str, now: datetime,
                  decisions: Decisions = NONE) -> LinkCounts:
    """Group the active listings into entities; one transaction. `decisions` (a person's,
    from linkage-decisions.toml) come before any score. Unchanged data writes nothing
    (no new entity rows, no member rows with a new run); when neither the listings nor the
    entity tables nor the decisions nor this code changed since the last linkage
    (`link_state`), the result would be the same, so nothing is computed either."""
    ensure_link_schema(con)
    fingerprint = _fingerprint(con, decisions)
    state = con.execute("SELECT fingerprint, listings, entities, linked FROM link_state"
                        ).fetchone()
    if state and state[0] == fingerprint:
        return LinkCounts(listings=state[1], entities=state[2], linked=state[3], reused=True)
    return _link(con, run_id, now, decisions=decisions)


def _link(con: duckdb.DuckDBPyConnection, run_id: str, now: datetime,
          decisions: Decisions = NONE) -> LinkCounts:
    """Decide, then write entities, members, the review queue and `link_state` in one
    transaction."""
    with _paused_gc():
        members, entities, retire, counts, review = _decide(con, run_id, now, decisions)
    con.execute("BEGIN")
    try:
        _write(con, run_id, now, members, entities, retire, counts)
        write_queue(con, run_id, review)
        con.execute("DELETE FROM link_state")
        con.execute("INSERT INTO link_state VALUES (?, ?, ?, ?, ?, ?)",
                    [_fingerprint(con, decisions), run_id, now, counts.listings, counts.entities,
                     counts.linked])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return counts


def _decide(con: duckdb.DuckDBPyConnection, run_id: str, now: datetime, decisions: Decisions
            ) -> tuple[pa.Table, pa.Table, dict[str, str], LinkCounts, list[dict]]:
    """Everything linkage decides from the warehouse's tables: the member and entity rows to
    write, the ids to retire, the counts, the review queue."""
    items = table_features(_active_table(con))
    current = dict(con.execute("SELECT listing_id::VARCHAR, entity_id::VARCHAR "
                               "FROM entity_members").fetchall())
    known = {e: (c, r) for e, c, r in con.execute(
        "SELECT entity_id::VARCHAR, created_at, retired_into::VARCHAR FROM entities").fetchall()}
    stats, review = LinkCounts(), []
    by_index, stale = decided_indices({pair: d.same for pair, d in decisions.by_pair().items()},
                                      {f.id: i for i, f in enumerate(items)})
    components, links = cluster(items, stats, by_index, review)
    member_rows, entity_rows, retire, counts = assign(current, known, run_id, now, items,
                                                      components, links)
    counts.blocks, counts.pairs_scored, counts.pairs_compared, counts.links = (
        stats.blocks, stats.pairs_scored, stats.pairs_compared, stats.links)
    counts.decided, counts.review = len(by_index), len(review)
    counts.stale_decisions = [f"{d.a} / {d.b}" for pair, d in decisions.by_pair().items()
                              if pair in stale]
    return (pa.Table.from_pylist(member_rows, schema=arrow_schema(con, "entity_members")),
            pa.Table.from_pylist(entity_rows, schema=arrow_schema(con, "entities")), retire,
            counts, review)


@contextmanager
def _paused_gc() -> Iterator[None]:
    """Linkage makes millions of small acyclic objects (features, sets, evidence) that the
    cyclic collector would rescan again and again without freeing any: it waits until the
    decisions are made (a gain above the bench's noise: docs/performance.md, "Linkage")."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _write(con, run_id: str, now: datetime, members: pa.Table, entities: pa.Table,
           retire: dict[str, str], counts: LinkCounts) -> None:
    con.register("_members_in", members)
    con.register("_entities_in", entities)
    try:
        # typed copies: Arrow carries the UUIDs as strings, INSERT casts them to the DDL's types
        for name, table in (("_members", "entity_members"), ("_entities", "entities")):
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS FROM {table} LIMIT 0")
            con.execute(f"INSERT INTO {name} FROM {name}_in")
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _changed AS
            SELECT n.* FROM _members n LEFT JOIN entity_members o USING (listing_id)
            WHERE o.listing_id IS NULL OR o.entity_id <> n.entity_id
               OR o.evidence IS DISTINCT FROM n.evidence
        """)
        counts.members_changed = con.execute("SELECT count(*) FROM _changed").fetchone()[0]
        con.execute("DELETE FROM entity_members WHERE listing_id IN "
                    "(SELECT listing_id FROM _changed)")
        con.execute("INSERT INTO entity_members SELECT * FROM _changed")
        # entities: new ones inserted; known ones updated only when their summary changed
        con.execute("""
            INSERT INTO entities SELECT * FROM _entities
            WHERE entity_id NOT IN (SELECT entity_id FROM entities)
        """)
        con.execute("""
            UPDATE entities e SET name = n.name, kind = n.kind, members = n.members,
                   sources = n.sources, updated_run = $run, retired_into = NULL,
                   retired_at = NULL
            FROM _entities n
            WHERE e.entity_id = n.entity_id AND (e.name <> n.name OR e.kind <> n.kind
                  OR e.members <> n.members OR e.sources <> n.sources
                  OR e.retired_into IS NOT NULL)
        """, {"run": run_id})
        if retire:
            con.execute("""
                UPDATE entities e SET retired_into = r.survivor::UUID, retired_at = $now,
                       updated_run = $run, members = 0, sources = []
                FROM (SELECT unnest($old) AS old, unnest($new) AS survivor) r
                WHERE e.entity_id = r.old::UUID
            """, {"now": now, "run": run_id, "old": list(retire), "new": list(retire.values())})
        # flatten redirect chains: a retired id always points at a live entity
        con.execute("""
            UPDATE entities e SET retired_into = r.retired_into, updated_run = $run
            FROM entities r WHERE e.retired_into = r.entity_id AND r.retired_into IS NOT NULL
        """, {"run": run_id})
        # entities without active members and not retired keep their id but count none
        con.execute("""
            UPDATE entities SET members = 0, sources = [], updated_run = $run
            WHERE retired_into IS NULL AND members > 0
              AND entity_id NOT IN (SELECT entity_id FROM _entities)
        """, {"run": run_id})
    finally:
        for name in ("_changed", "_members", "_entities"):
            con.execute(f"DROP TABLE IF EXISTS {name}")
        con.unregister("_members_in")
        con.unregister("_entities_in")


