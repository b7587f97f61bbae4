"""Entities: the matched pairs clustered into components, each component's stable id, and the
night's linkage step that writes them.

Clustering is greedy, best score first, never joining two listings of one source (a source's
keys are distinct by construction); a person's decisions come first. Components then get
stable entity ids: an id already held by members is kept (the oldest wins, the others are
retired with a redirect `retired_into`), a new component gets uuid5 of its smallest listing
id. `link_entities` reads the active listings from the warehouse and writes entities, members
and the review queue in one transaction; `link_state` remembers what the last linkage read,
so an unchanged night computes nothing.
"""

from __future__ import annotations

import gc
import hashlib
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import rapidfuzz

from warehouse.linkage.blocking import blocks_of, candidate_pairs, names_of, worth_comparing
from warehouse.linkage.decisions import NONE, Decisions, review_row, uncertain, write_queue
from warehouse.linkage.features import Features, forget_run, table_features
from warehouse.linkage.rules import compare
from warehouse.storage.db import arrow_schema

#: Namespace of entity ids: uuid5(ENTITY_NS, smallest member listing id).
ENTITY_NS = uuid.UUID("6f1c2a52-3f0e-5d4b-9a51-5e1b7c0e4e11")


def cluster(items: list[Features], counts: LinkCounts | None = None,
            decided: dict[tuple[int, int], bool] | None = None,
            review: list[dict] | None = None,
            ) -> tuple[list[list[int]], dict[int, list[dict]]]:
    """Components of matched pairs (best score first; never two listings of one source) and
    the evidence of the links used, per listing index. `decided` (index pair -> same), a
    person's word, comes before any score: its "same" pairs are joined first, its "not the
    same" pairs never end up in one component. Undecided pairs whose score lies in the
    uncertain band are appended to `review`."""
    decided = decided or {}
    matches = _matches(items, decided, counts, review)
    joined = [(-1.0, "", "", i, j, _DECISION)
              for (i, j), same in sorted(decided.items()) if same]
    parent = list(range(len(items)))
    sources = [{f.source_id} for f in items]
    apart: dict[int, set[int]] = defaultdict(set)  # root -> listings it must never meet
    for (i, j), same in decided.items():
        if not same:
            apart[i].add(j)
            apart[j].add(i)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    links: dict[int, list[dict]] = defaultdict(list)
    for neg, _, _, i, j, ev in joined + matches:
        ri, rj = find(i), find(j)
        if ri == rj or (ev["rule"] != "decision" and sources[ri] & sources[rj]) or any(
                find(x) == rj for x in apart.get(ri, ())):
            continue
        keep, gone = (ri, rj) if ri < rj else (rj, ri)
        parent[gone] = keep
        sources[keep] |= sources[gone]
        if gone in apart:
            apart[keep] |= apart.pop(gone)
        for me, other in ((i, j), (j, i)):
            links[me].append(_link_evidence(items[other].id, -neg, ev))
    if counts is not None:
        counts.links = sum(map(len, links.values())) // 2
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(items)):
        groups[find(i)].append(i)
    return sorted(groups.values(), key=lambda g: min(items[i].id for i in g)), links


def _matches(items: list[Features], decided: dict[tuple[int, int], bool],
             counts: LinkCounts | None, review: list[dict] | None) -> list[tuple]:
    """The candidate pairs no decision covers that a rule links, best score first (then by
    listing id): (-score, id, id, index, index, evidence)."""
    blocks, names = blocks_of(items), names_of(items)
    pairs = candidate_pairs(items, names, blocks)
    matches, compared = [], 0
    for i, j in pairs:
        a, b = items[i], items[j]
        if (i, j) in decided or not worth_comparing(a, b, names[i], names[j]):
            continue
        compared += 1
        score, ev = compare(a, b)
        if ev["rule"]:
            matches.append((-score, a.id, b.id, i, j, ev))
        if review is not None and uncertain(score, ev):
            review.append(review_row(a.id, b.id, score, ev))
    if counts is not None:
        counts.blocks, counts.pairs_scored, counts.pairs_compared = (len(blocks), len(pairs),
                                                                     compared)
    matches.sort(key=lambda m: m[:3])
    return matches


#: The evidence of a pair a person declared the same (its score is 1): no comparison.
_DECISION = {"rule": "decision", "name_similarity": None, "same_address": None,
             "shared_phones": [], "shared_emails": [], "same_web_domain": None}


def _link_evidence(other: str, score: float, ev: dict) -> dict:
    """One member's record of a link it holds: what `entity_members.evidence` keeps."""
    return {"other_listing": other, "score": score} | {k: ev[k] for k in _DECISION}


@dataclass
class LinkCounts:
    """What one linkage read, found and wrote: the step's report (`shg run`, the bench)."""

    listings: int = 0
    entities: int = 0
    linked: int = 0      # entities with members from more than one source
    created: int = 0
    retired: int = 0
    members_changed: int = 0
    blocks: int = 0      # postcode, city, name and contact blocks
    pairs_scored: int = 0  # candidate pairs, scored by rapidfuzz (0: input unchanged)
    pairs_compared: int = 0  # of which a rule could link: compared with full evidence
    links: int = 0       # matched pairs the clustering used
    reused: bool = False  # input unchanged since the last linkage: nothing computed
    decided: int = 0     # pairs a person's decision settled (both listings active)
    #: decisions naming a listing that is not active (gone, or never existed), reported
    stale_decisions: list[str] = field(default_factory=list)
    review: int = 0      # uncertain pairs left for a person (`shg review`)


def decided_indices(decisions: Decisions, index: dict[str, int]
                     ) -> tuple[dict[tuple[int, int], bool], list[str]]:
    """The decisions on listing indices (smaller first), and those naming a listing that is
    not active ("a / b"): reported, not fatal (a listing may be gone for good)."""
    by_index, stale = {}, []
    for (x, y), decision in decisions.by_pair().items():
        if x in index and y in index:
            i, j = sorted((index[x], index[y]))
            by_index[(i, j)] = decision.same
        else:
            stale.append(f"{decision.a} / {decision.b}")
    return by_index, stale


def assign(current: dict[str, str], entities: dict[str, tuple[datetime, str | None]],
            run_id: str, now: datetime, items: list[Features],
            components: list[list[int]], links: dict[int, list[dict]], counts: LinkCounts
            ) -> tuple[list[dict], list[dict], dict[str, str]]:
    """Entity ids for the components: an existing entity stays with the component holding
    most of its members, the others are retired into it, new ones get a seeded id. What it
    counts goes into `counts`."""

    def live(entity: str) -> str:
        seen = set()
        while entities.get(entity, (None, None))[1] and entity not in seen:
            seen.add(entity)
            entity = entities[entity][1]
        return entity

    counts.listings, counts.entities = len(items), len(components)
    # claims: which components hold members of which existing entity
    claims: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for c, comp in enumerate(components):
        held: dict[str, int] = defaultdict(int)
        for i in comp:
            if (e := current.get(items[i].id)) is not None:
                held[live(e)] += 1
        for e, n in held.items():
            claims[e].append((c, n))
    # a split: the entity stays with the component holding most of its members
    owned: dict[int, list[str]] = defaultdict(list)
    for e, cs in claims.items():
        owned[max(cs, key=lambda cn: (cn[1], -cn[0]))[0]].append(e)
    chosen: dict[int, str] = {}
    taken: set[str] = set()
    retire: dict[str, str] = {}
    for c, comp in enumerate(components):
        mine = sorted(owned.get(c, ()), key=lambda e: (entities[e][0], e))
        if mine:
            chosen[c] = mine[0]
            taken.add(mine[0])
            retire |= {e: mine[0] for e in mine[1:]}
            continue
        seed = min(items[i].id for i in comp)
        new, n = str(uuid.uuid5(ENTITY_NS, seed)), 0
        while new in entities or new in taken:
            n += 1
            new = str(uuid.uuid5(ENTITY_NS, f"{seed}#{n}"))
        chosen[c] = new
        taken.add(new)
    counts.created = sum(1 for e in chosen.values() if e not in entities)
    counts.retired = len(retire)
    counts.linked = sum(1 for comp in components if len({items[i].source_id for i in comp}) > 1)

    member_rows, entity_rows = [], []
    for c, comp in enumerate(components):
        entity = chosen[c]
        first = min(comp, key=lambda i: items[i].id)
        for i in comp:
            evidence = sorted(links.get(i, []), key=lambda e: e["other_listing"])
            member_rows.append({
                "listing_id": items[i].id, "entity_id": entity, "source_id": items[i].source_id,
                "score": max((e["score"] for e in evidence), default=None),
                "evidence": evidence, "linked_run": run_id})
        entity_rows.append({
            "entity_id": entity, "kind": items[first].kind, "name": items[first].name,
            "members": len(comp), "sources": sorted({items[i].source_id for i in comp}),
            "created_run": run_id, "created_at": now, "updated_run": run_id,
            "retired_into": None, "retired_at": None})
    return member_rows, entity_rows, retire


def resolve(con: duckdb.DuckDBPyConnection, entity_id: str | uuid.UUID) -> str:
    """The live entity an id stands for (following a redirect)."""
    row = con.execute("SELECT coalesce(retired_into, entity_id)::VARCHAR FROM entities "
                      "WHERE entity_id = ?::UUID", [str(entity_id)]).fetchone()
    return row[0] if row else str(entity_id)


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
    with _one_pass():
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
    counts, review = LinkCounts(), []
    by_index, counts.stale_decisions = decided_indices(decisions,
                                                       {f.id: i for i, f in enumerate(items)})
    components, links = cluster(items, counts, by_index, review)
    member_rows, entity_rows, retire = assign(current, known, run_id, now, items, components,
                                              links, counts)
    counts.decided, counts.review = len(by_index), len(review)
    return (pa.Table.from_pylist(member_rows, schema=arrow_schema(con, "entity_members")),
            pa.Table.from_pylist(entity_rows, schema=arrow_schema(con, "entities")), retire,
            counts, review)


@contextmanager
def _one_pass() -> Iterator[None]:
    """Linkage makes millions of small acyclic objects (features, sets, evidence) that the
    cyclic collector would rescan again and again without freeing any: it waits until the
    decisions are made (a gain above the bench's noise: docs/performance.md, "Linkage").
    The run's memos go with them, so publishing after linkage does not carry them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        forget_run()
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
