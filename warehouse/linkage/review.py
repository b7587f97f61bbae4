"""The review queue: pairs linkage is unsure about, for a person to decide (`shg review`).

A compared pair is uncertain when its score lies in the band [REVIEW_LOW, REVIEW_HIGH): the
rules may link it or not, but the evidence is thin either way. Each run replaces the queue
(`link_review`) with that run's uncertain pairs that no decision covers; `shg review` lists
them with the evidence, and `shg review --same/--different` appends a decision to
`linkage-decisions.toml`, which takes the pair out of the queue and into the next linkage.
"""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa

#: The uncertain band of `warehouse.linkage.evidence`'s score (0–1). On the real pairs of
#: tests/real/pairs.toml it holds 55 of 152 pairs and 3 of the rules' 8 misses; on the
#: 20,000-listing synthetic world of bench.link, 163 of 2,657 compared pairs.
REVIEW_LOW = 0.40
REVIEW_HIGH = 0.60

#: The evidence a reviewer reads: what agreed and what disagreed.
AGREED = ("same_address", "same_place", "same_web_site", "same_web_domain")
DISAGREED = ("name_conflict", "address_conflict", "other_city", "generic_name")


def uncertain(score: float, evidence: dict) -> bool:
    """Is a compared pair one a person should look at?"""
    return REVIEW_LOW <= score < REVIEW_HIGH and evidence["compatible_kinds"]


def review_row(a_id: str, b_id: str, score: float, evidence: dict) -> dict:
    """One queue row; the pair ordered by listing id, as decisions key it."""
    first, second = sorted((a_id, b_id))
    return {"listing_a": first, "listing_b": second, "score": score,
            "rule": evidence["rule"], "evidence": json.dumps(evidence, sort_keys=True)}


def summary(evidence: dict) -> tuple[list[str], list[str]]:
    """(agreed, disagreed): the features a reviewer reads first."""
    agreed = [k for k in AGREED if evidence.get(k)]
    agreed += [f"{k}={','.join(evidence[k])}" for k in ("shared_phones", "shared_emails")
               if evidence.get(k)]
    agreed.append(f"name_similarity={evidence.get('name_similarity', 0):.0f}")
    disagreed = [k for k in DISAGREED if evidence.get(k)]
    return agreed, disagreed


REVIEW_SCHEMA = pa.schema([("listing_a", pa.string()), ("listing_b", pa.string()),
                           ("score", pa.float64()), ("rule", pa.string()),
                           ("evidence", pa.string())])


def write_queue(con: duckdb.DuckDBPyConnection, run_id: str, rows: list[dict]) -> None:
    """Replace the queue with this run's uncertain pairs (inside the caller's transaction)."""
    table = pa.Table.from_pylist(rows, schema=REVIEW_SCHEMA)
    con.register("_review_in", table)
    try:
        con.execute("DELETE FROM link_review")
        con.execute("""INSERT INTO link_review
                       SELECT listing_a::UUID, listing_b::UUID, score, rule, evidence::JSON, ?
                       FROM _review_in""", [run_id])
    finally:
        con.unregister("_review_in")


def read_queue(con: duckdb.DuckDBPyConnection, decided: set[tuple[str, str]]) -> list[dict]:
    """The queue with both listings' names and sources, best score first, minus the pairs a
    decision already covers."""
    rows = con.execute("""
        SELECT r.listing_a::VARCHAR, r.listing_b::VARCHAR, r.score, r.rule,
               r.evidence::VARCHAR,
               a.source_id || ':' || a.source_key, a.name,
               b.source_id || ':' || b.source_key, b.name
        FROM link_review r
        JOIN listings a ON a.id = r.listing_a
        JOIN listings b ON b.id = r.listing_b
        ORDER BY r.score DESC, r.listing_a, r.listing_b
    """).fetchall()
    keys = ("listing_a", "listing_b", "score", "rule", "evidence", "ref_a", "name_a", "ref_b",
            "name_b")
    queue = [dict(zip(keys, row, strict=True)) for row in rows]
    for item in queue:
        item["evidence"] = json.loads(item["evidence"])
    return [q for q in queue if (q["listing_a"], q["listing_b"]) not in decided]
