"""`shg review`: the pairs linkage is unsure about (`link_review`) with their evidence, minus
those the decisions file settles; `--same`/`--different` append a decision to that file, which
the next linkage honours above any score."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse.linkage.decisions import Decisions, append_decision, read_queue, ref_id, summary
from warehouse.storage.db import connect


class ReviewError(Exception):
    """A review command that cannot be done (no warehouse, an unknown listing)."""


def _open(db: Path) -> duckdb.DuckDBPyConnection:
    try:
        return connect(db, read_only=True)
    except duckdb.IOException as exc:  # a run holds the file
        raise ReviewError(f"cannot read {db} now (a run holds it?): {exc}") from exc


def queue(db: Path, decisions: Decisions) -> tuple[list[dict], list[str]]:
    """(the open queue, decisions naming a listing that is not active)."""
    if not db.exists():
        raise ReviewError(f"no warehouse at {db}: run `shg run` first")
    with _open(db) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        pending = read_queue(con, set(decisions.by_pair())) if "link_review" in tables else []
        active = {r[0] for r in con.execute(
            "SELECT id::VARCHAR FROM listings WHERE active").fetchall()}
    stale = [f"{d.a} / {d.b}" for d in decisions.by_pair().values()
             if not {ref_id(d.a), ref_id(d.b)} <= active]
    return pending, stale


def format_queue(pending: list[dict], stale: list[str]) -> str:
    """One block per pair: score, both listings, the rule, what agreed and disagreed."""
    lines = [f"{len(pending)} pairs to review (score band of warehouse/linkage/decisions.py)"]
    for q in pending:
        agreed, disagreed = summary(q["evidence"])
        lines += [f"\n{q['score']:.3f}  {q['ref_a']}  {q['name_a']!r}",
                  f"       {q['ref_b']}  {q['name_b']!r}",
                  f"       linked now: {'yes, rule ' + q['rule'] if q['rule'] else 'no'}",
                  f"       agreed:    {', '.join(agreed)}",
                  f"       disagreed: {', '.join(disagreed) or '-'}",
                  f"       decide: shg review --same {q['ref_a']} {q['ref_b']} --reason '…'"
                  f"  (or --different)"]
    if stale:
        lines.append("\ndecisions naming a listing that is not active (kept, not applied):")
        lines += [f"    {s}" for s in stale]
    return "\n".join(lines)


def record(db: Path, path: Path, a: str, b: str, *, same: bool, reason: str,
           by: str | None) -> str:
    """Append a decision after checking that the warehouse knows both listings (a typo
    would otherwise wait silently for a listing that never comes)."""
    if db.exists():
        with _open(db) as con:
            known = {r[0] for r in con.execute(
                "SELECT id::VARCHAR FROM listings WHERE id IN (?::UUID, ?::UUID)",
                [ref_id(a), ref_id(b)]).fetchall()}
        missing = [ref for ref in (a, b) if ref_id(ref) not in known]
        if missing:
            raise ReviewError(f"no listing {missing[0]} in {db} (name listings as "
                              f"source_id:source_key)")
    decision = append_decision(path, a, b, same=same, reason=reason, by=by,
                               on=datetime.now(UTC).date())
    verdict = "the same" if decision.same else "not the same"
    return f"recorded in {path}: {decision.a} and {decision.b} are {verdict}"
