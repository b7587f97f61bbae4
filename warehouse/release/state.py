"""Is there anything new to publish? A fingerprint of everything a release is built from.

A night on which no source changed would otherwise write, validate and hash a whole new
release identical in its data to the last one: at Germany scale most of a night's work. The
state covers the release code, the sources table (licences, policies, names), every listing's
content hash and lifecycle, and the linkage's entity tables. When it equals the state that
`latest.json` records, the latest release stands and `latest.json` only says when it was last
confirmed current, which is what `shg health` reads.

Left out on purpose: source health (the landing page shows it as of its release).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from functools import cache
from pathlib import Path

import duckdb

from warehouse.release.integrity import read_history
from warehouse.release.public import FORMAT_VERSION
from warehouse.release.switch import remove_leftovers, switch


@cache
def _code() -> str:
    folder = Path(__file__).resolve().parents[1]  # the whole warehouse package
    digest = hashlib.sha256(FORMAT_VERSION.encode())
    code = (".py", ".sql", ".html", ".md", ".json")  # the templates and descriptors too
    for path in sorted(p for p in folder.rglob("*") if p.suffix in code):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def release_state(con: duckdb.DuckDBPyConnection) -> str:
    """The fingerprint of the data and code a release would be built from now."""
    parts = [_code(), *con.execute("""
        SELECT (SELECT md5(coalesce(string_agg(concat_ws(':', id, record_hash, active,
                                                         first_seen, changed_at, inactive_since),
                                               ',' ORDER BY id), ''))
                FROM listings),
               (SELECT md5(coalesce(string_agg(to_json(s)::VARCHAR, ',' ORDER BY source_id),
                                    '')) FROM sources s),
               (SELECT md5(coalesce(string_agg(listing_id::VARCHAR || ':' || entity_id::VARCHAR,
                                               ',' ORDER BY listing_id), ''))
                FROM entity_members),
               (SELECT md5(coalesce(string_agg(to_json(e)::VARCHAR, ',' ORDER BY entity_id),
                                    '')) FROM entities e)
    """).fetchone()]
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def current_release(public: Path, state: str) -> dict | None:
    """`latest.json` when the release it names was built from `state` and is still there."""
    try:
        latest = json.loads((public / "latest.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    release = latest.get("release")
    if latest.get("state") != state or not release or not (public / release).is_dir():
        return None
    return latest


def confirm_latest(public: Path, latest: dict, now: datetime) -> dict:
    """Record in `latest.json` that its release is still current as of `now`: a new state
    with the same release and history, switched to like a publish (`warehouse.release.switch`)."""
    latest = latest | {"confirmed": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
    remove_leftovers(public)
    switch(public, latest["run_id"], latest, read_history(public))
    return latest
